//! Everything the emulator holds: the bytes of tables and files on disk (never in memory), and
//! the metadata of tables, files, dashboards, shares and calls in memory, persisted to a data
//! folder when one is given (without one, a private temporary folder holds the bytes and
//! disappears with the store).
//!
//! Persistence is linear: a change appends one journal line (just that change, compact JSON),
//! and the whole metadata is rewritten only when the journal has grown past the snapshot, so
//! the total work stays proportional to the changes. The metadata lock is held only to change
//! memory and queue the line; disk writes happen under the journal's own lock, one fsync for
//! every line waiting. A request is answered only once its line is on disk, so a `kill -9`
//! loses nothing acknowledged: the next start replays the journal after the snapshot.
//!
//! The per-kind operations live beside this file (`tables`, `files`, `dashboards`, `shares`);
//! the persisted types in `types`, the folder in `disk`, the journal in `journal`.

// The store owns the emulator's data folder: the bytes of tables and files live on its disk.
#![allow(clippy::disallowed_methods)]

pub mod bytes;
mod dashboards;
mod disk;
mod error;
mod files;
mod journal;
mod shares;
mod tables;
mod types;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde_json::{Value, json};
use uuid::Uuid;

pub use error::StoreError;
pub use types::{Access, DashboardMeta, DashboardSave, ShareMeta, ShareOutcome, TableMeta};
use types::{Change, Meta};

use super::error::EmulatorError;

/// The journal is compacted into the snapshot once it is larger than this and than the
/// snapshot: the rewrite is paid for by at least as many bytes of appends.
const COMPACT_AT_LEAST: u64 = 1024 * 1024;

/// Lines committed in memory and not yet written, in commit order.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    last: u64,
}

/// The journal file and what is known to be on disk.
struct Writer {
    journal: Option<std::fs::File>,
    len: u64,
    snapshot_len: u64,
    /// Every change up to this `seq` is on disk.
    durable: u64,
    /// A failed write leaves the journal in doubt: no later change is acknowledged.
    broken: Option<String>,
}

/// The emulator's objects and their bytes.
pub struct Store {
    root: PathBuf,
    persist: bool,
    meta: Mutex<Meta>,
    pending: Mutex<Pending>,
    writer: Mutex<Writer>,
    /// Held locked while the store is open, so two emulators never share a data folder.
    _lock: Option<std::fs::File>,
    // dropped last: the folder must outlive every path handed out above
    _temp: Option<tempfile::TempDir>,
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panicking handler must not take the whole emulator down with it
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// Opens `data_dir` (creating it, replaying its journal), or a private temporary folder
    /// when `None`.
    pub fn open(data_dir: Option<&Path>) -> Result<Self, EmulatorError> {
        let (root, temp) = match data_dir {
            Some(dir) => {
                let io = |source| EmulatorError::DataDir {
                    path: dir.to_path_buf(),
                    source,
                };
                std::fs::create_dir_all(dir).map_err(io)?;
                (dir.canonicalize().map_err(io)?, None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("grokform-emulator-")
                    .tempdir()
                    .map_err(|source| EmulatorError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let io_error = |source| EmulatorError::DataDir {
            path: root.clone(),
            source,
        };
        let lock = match data_dir {
            Some(_) => Some(disk::lock_folder(&root)?),
            None => None,
        };
        // uploads cut short by a previous stop leave temp files; they are garbage
        let _ = std::fs::remove_dir_all(root.join("tmp"));
        for sub in ["tmp", "blobs"] {
            std::fs::create_dir_all(root.join(sub)).map_err(io_error)?;
        }
        let (mut meta, snapshot_len) = disk::read_snapshot(&root)?.unwrap_or((Meta::new(), 0));
        let mut writer = Writer {
            journal: None,
            len: 0,
            snapshot_len,
            durable: 0,
            broken: None,
        };
        if data_dir.is_some() {
            let path = root.join("journal.jsonl");
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(source) => return Err(EmulatorError::DataDir { path, source }),
            };
            let valid = journal::replay(&bytes, &mut meta);
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io_error)?;
            // a torn last line (a kill in mid-write) is cut off, so new lines follow whole ones
            if valid < bytes.len() {
                file.set_len(valid as u64).map_err(io_error)?;
                file.sync_all().map_err(io_error)?;
            }
            writer.journal = Some(file);
            writer.len = valid as u64;
            disk::sweep_blobs(&root, &meta);
        }
        writer.durable = meta.seq;
        Ok(Self {
            persist: data_dir.is_some(),
            root,
            meta: Mutex::new(meta),
            pending: Mutex::new(Pending::default()),
            writer: Mutex::new(writer),
            _lock: lock,
            _temp: temp,
        })
    }

    /// The folder everything lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn lock(&self) -> MutexGuard<'_, Meta> {
        guard(&self.meta)
    }

    /// A fresh path for an upload in progress.
    pub fn temp_path(&self) -> PathBuf {
        self.root.join("tmp").join(Uuid::new_v4().to_string())
    }

    /// Moves a finished upload to a fresh blob (no lock held); its name.
    fn place_blob(&self, temp: &Path) -> Result<String, StoreError> {
        disk::place_blob(&self.root, temp, self.persist)
    }

    fn blob_path(&self, name: &str) -> PathBuf {
        self.root.join("blobs").join(name)
    }

    /// Applies `changes` under the held metadata lock, queues their journal line, releases
    /// the lock, and returns once the line is on disk.
    fn commit(
        &self,
        mut meta: MutexGuard<'_, Meta>,
        changes: Vec<Change>,
    ) -> Result<(), StoreError> {
        meta.seq += 1;
        let seq = meta.seq;
        if self.persist {
            let line = journal::encode(seq, meta.clock, &changes);
            let mut pending = guard(&self.pending);
            pending.bytes.extend_from_slice(&line);
            pending.last = seq;
        }
        for change in changes {
            meta.apply(change);
        }
        drop(meta);
        if self.persist {
            self.flush(seq)
        } else {
            Ok(())
        }
    }

    /// Writes every queued line (group commit) unless change `seq` is already on disk.
    fn flush(&self, seq: u64) -> Result<(), StoreError> {
        let mut writer = guard(&self.writer);
        if let Some(reason) = &writer.broken {
            return Err(StoreError::Save(std::io::Error::other(reason.clone())));
        }
        if writer.durable >= seq {
            return Ok(());
        }
        let (bytes, last) = {
            let mut pending = guard(&self.pending);
            (std::mem::take(&mut pending.bytes), pending.last)
        };
        let Some(journal) = writer.journal.as_mut() else {
            return Ok(());
        };
        let written = journal.write_all(&bytes).and_then(|()| journal.sync_data());
        if let Err(e) = written {
            writer.broken = Some(format!("the journal could not be written: {e}"));
            return Err(StoreError::Save(e));
        }
        writer.len += bytes.len() as u64;
        writer.durable = last;
        if writer.len > COMPACT_AT_LEAST.max(writer.snapshot_len) {
            self.compact(&mut writer)?;
        }
        Ok(())
    }

    /// Rewrites the snapshot from memory and empties the journal. The metadata lock is held
    /// only to encode; the disk writes happen after.
    fn compact(&self, writer: &mut Writer) -> Result<(), StoreError> {
        let (bytes, seq) = {
            let meta = self.lock();
            let bytes = serde_json::to_vec(&*meta)
                .map_err(|e| StoreError::Save(std::io::Error::other(e)))?;
            // queued lines are in this snapshot: their requests are durable with it
            guard(&self.pending).bytes.clear();
            (bytes, meta.seq)
        };
        disk::write_snapshot(&self.root, &bytes)?;
        writer.durable = seq;
        writer.snapshot_len = bytes.len() as u64;
        // a kill before the journal is emptied is harmless: replay skips lines up to `seq`
        if let Some(journal) = writer.journal.as_mut() {
            journal
                .set_len(0)
                .and_then(|()| journal.sync_all())
                .map_err(StoreError::Save)?;
        }
        writer.len = 0;
        Ok(())
    }

    /// Everything held, as the inspection route shows it (deterministic order).
    pub fn inspect(&self) -> Value {
        let meta = self.lock();
        json!({
            "tables": meta.tables.values().map(|t| json!({
                "id": t.id,
                "name": t.grok_name(),
                "rows": t.rows,
                "columns": t.columns,
                "bytes": t.bytes,
            })).collect::<Vec<_>>(),
            "files": meta.files.values().map(|f| json!({
                "connector": f.connector,
                "path": f.path,
                "size": f.size,
                "etag": f.etag,
            })).collect::<Vec<_>>(),
            "dashboards": meta.dashboards.iter().map(|d| json!({
                "id": d.id,
                "name": d.name,
                "table_ids": d.table_ids,
                "layout": d.layout,
            })).collect::<Vec<_>>(),
            "shares": meta.shares.values().map(|s| json!({
                "entity_id": s.entity_id,
                "group": s.group,
                "access": s.access,
            })).collect::<Vec<_>>(),
            "calls": meta.calls.iter().map(|c| json!({
                "function": c.function,
                "params": c.params,
            })).collect::<Vec<_>>(),
        })
    }
}

impl Drop for Store {
    /// A clean stop leaves a tidy folder: the snapshot, and no journal to replay.
    fn drop(&mut self) {
        if !self.persist {
            return;
        }
        let mut writer = guard(&self.writer);
        if writer.broken.is_none() && self.compact(&mut writer).is_ok() {
            writer.journal = None;
            let _ = std::fs::remove_file(self.root.join("journal.jsonl"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// The data folder as a crash would leave it: a copy of its snapshot and journal, taken
    /// while the store is still open (no clean stop folds the journal).
    fn crashed_copy(from: &Path) -> tempfile::TempDir {
        let to = tempfile::tempdir().unwrap();
        for name in ["state.json", "journal.jsonl"] {
            if from.join(name).exists() {
                std::fs::copy(from.join(name), to.path().join(name)).unwrap();
            }
        }
        to
    }

    #[test]
    fn concurrent_changes_are_all_journaled_in_commit_order() {
        let data = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(Some(data.path())).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    for i in 0..100 {
                        store.record_call(format!("T{t}"), json!({"i": i})).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let copy = crashed_copy(data.path());
        let lines = std::fs::read_to_string(copy.path().join("journal.jsonl")).unwrap();
        assert_eq!(lines.lines().count(), 800);
        let reopened = Store::open(Some(copy.path())).unwrap();
        assert_eq!(reopened.inspect(), store.inspect());
        let calls = reopened.inspect()["calls"].as_array().unwrap().clone();
        for t in 0..8 {
            let of_thread: Vec<&Value> = calls
                .iter()
                .filter(|c| c["function"] == format!("T{t}"))
                .map(|c| &c["params"]["i"])
                .collect();
            let expected: Vec<Value> = (0..100).map(|i| json!(i)).collect();
            assert_eq!(of_thread, expected.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_journal_past_the_bound_is_folded_into_the_snapshot() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(Some(data.path())).unwrap();
        let big = "x".repeat(300 * 1024);
        for i in 0..5 {
            store
                .record_call(format!("F{i}"), json!({"padding": big}))
                .unwrap();
        }
        let journal = std::fs::metadata(data.path().join("journal.jsonl"))
            .unwrap()
            .len();
        assert!(journal < COMPACT_AT_LEAST, "journal of {journal} bytes");
        assert!(data.path().join("state.json").exists());
        let copy = crashed_copy(data.path());
        assert_eq!(
            Store::open(Some(copy.path())).unwrap().inspect(),
            store.inspect()
        );
        // a clean stop folds everything and leaves no journal
        let held = store.inspect();
        drop(store);
        assert!(!data.path().join("journal.jsonl").exists());
        assert_eq!(Store::open(Some(data.path())).unwrap().inspect(), held);
    }
}
