//! The data folder on disk: its lock, the snapshot (`state.json`), and blobs (the bytes of
//! tables and files, each under a fresh name in `blobs/`). A blob is written once and never
//! changed: a new upload gets a new blob and the metadata points at it, so bytes and metadata
//! can never disagree after a crash, and moving bytes into place needs no lock.
//!
//! Layout: `emulator.lock`, `state.json`, `journal.jsonl`, `blobs/<uuid>`, `tmp/` (uploads in
//! progress). Data folders written before blobs keep `tables/<id>.csv` and
//! `files/<connector>/<path>` until those objects are replaced.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::error::StoreError;
use super::types::Meta;
use crate::emulator::error::EmulatorError;

/// Locks `root/emulator.lock`. A previous emulator in this process may still be letting go
/// (an async handle's tasks finish after the handle drops), so a held lock is retried briefly.
pub fn lock_folder(root: &Path) -> Result<std::fs::File, EmulatorError> {
    let path = root.join("emulator.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| EmulatorError::DataDir {
            path: path.clone(),
            source,
        })?;
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(EmulatorError::DataDirInUse {
                    path: root.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(EmulatorError::DataDir { path, source });
            }
        }
    }
}

/// Reads the snapshot: `None` when there is none yet.
pub fn read_snapshot(root: &Path) -> Result<Option<(Meta, u64)>, EmulatorError> {
    let path = root.join("state.json");
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(EmulatorError::DataDir { path, source }),
    };
    let meta: Meta = serde_json::from_slice(&bytes).map_err(|e| EmulatorError::CorruptState {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if !(1..=super::types::FORMAT_VERSION).contains(&meta.format_version) {
        return Err(EmulatorError::CorruptState {
            path,
            message: format!("format version {} is unknown", meta.format_version),
        });
    }
    Ok(Some((meta.loaded(), bytes.len() as u64)))
}

/// Writes the snapshot atomically: temp file, fsync, rename, fsync folder.
pub fn write_snapshot(root: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let write = || -> std::io::Result<()> {
        let temp = root.join(format!("state.json.{}.tmp", Uuid::new_v4()));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, root.join("state.json"))?;
        sync_dir(root)
    };
    write().map_err(StoreError::Save)
}

/// Makes a rename or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Moves the finished upload at `temp` to a fresh blob and returns its name; durably when
/// `durable` (the bytes and the folder entry reach the disk before the metadata names them).
pub fn place_blob(root: &Path, temp: &Path, durable: bool) -> Result<String, StoreError> {
    let name = Uuid::new_v4().simple().to_string();
    let blobs = root.join("blobs");
    let place = || -> std::io::Result<()> {
        if durable {
            std::fs::File::open(temp)?.sync_all()?;
        }
        std::fs::rename(temp, blobs.join(&name))?;
        if durable {
            sync_dir(&blobs)?;
        }
        Ok(())
    };
    place().map_err(StoreError::Blob)?;
    Ok(name)
}

/// Removes stored bytes that nothing names any more (best effort: a leftover is removed by
/// the next start's sweep).
pub fn remove_bytes(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Delete {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Removes every blob the metadata does not name: uploads whose change never became durable.
pub fn sweep_blobs(root: &Path, meta: &Meta) {
    let named: HashSet<&str> = meta
        .tables
        .values()
        .filter_map(|t| t.blob.as_deref())
        .chain(meta.files.values().filter_map(|f| f.blob.as_deref()))
        .collect();
    let Ok(entries) = std::fs::read_dir(root.join("blobs")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !named.contains(name.to_string_lossy().as_ref()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Where the bytes of a legacy (pre-blob) table are.
pub fn legacy_table_path(root: &Path, id: Uuid) -> PathBuf {
    root.join("tables").join(format!("{id}.csv"))
}

/// Where the bytes of a legacy (pre-blob) file are.
pub fn legacy_file_path(root: &Path, connector_key: &str, path: &str) -> PathBuf {
    let mut full = root.join("files").join(connector_key);
    for segment in path.split('/') {
        full.push(segment);
    }
    full
}
