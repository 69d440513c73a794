//! State in `.grokform/` beside the manifest: atomic writes with a backup, and an OS file lock
//! that dies with its holder (so a crashed run never leaves the state locked).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::codec;
use super::{LockInfo, State, StateError};

/// The state file's name.
pub const STATE_FILE: &str = "state.json";
/// The previous state, kept on every save.
pub const BACKUP_FILE: &str = "state.json.backup";
/// The lock beside it.
pub const LOCK_FILE: &str = "state.lock";

/// How often a waiting run checks the lock again.
const POLL: Duration = Duration::from_millis(200);

/// `.grokform/state.json` (or `.grokform/<env>/state.json`) under a manifest's folder.
#[derive(Clone, Debug)]
pub struct LocalStore {
    dir: PathBuf,
    /// The state path relative to the manifest folder, for messages.
    display: String,
    /// An environment name that cannot be a folder (reported on first use).
    bad_env: Option<String>,
    /// What this store wrote last. Apply saves after every action, so re-reading and decoding
    /// the file it just wrote made each save cost O(state) twice more (4,000 actions: quadratic).
    last_written: Arc<Mutex<Option<Written>>>,
    /// The text of resources already encoded by earlier saves.
    encoded: Arc<Mutex<codec::EncodeCache>>,
}

/// The identity of a state file this store wrote, and what it held.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Written {
    file: FileId,
    lineage: String,
    serial: u64,
}

/// Enough of a file's metadata to tell that nobody replaced or rewrote it: a rename over it
/// changes the inode, an in-place write changes the length or the modification time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileId {
    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            dev: metadata.dev(),
            ino: metadata.ino(),
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }

    #[cfg(not(unix))]
    fn of(_metadata: &std::fs::Metadata) -> Option<FileId> {
        // without inodes a rewrite cannot be told apart: always read the file again
        None
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.display().to_string();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

/// Environment names become folder names: no separators, no `..`, nothing hidden.
pub fn valid_env(env: &str) -> bool {
    // Environments are manifest keys: no `/`, `.` or control character can reach the path.
    crate::key::Key::parse(env).is_ok()
}

impl LocalStore {
    pub fn new(root: &Path, env: Option<&str>) -> LocalStore {
        let mut dir = root.join(".grokform");
        let mut display = ".grokform/".to_string();
        let mut bad_env = None;
        if let Some(env) = env {
            if !valid_env(env) {
                bad_env = Some(env.to_string());
            }
            dir.push(env);
            display.push_str(env);
            display.push('/');
        }
        display.push_str(STATE_FILE);
        LocalStore {
            dir,
            display,
            bad_env,
            last_written: Arc::default(),
            encoded: Arc::default(),
        }
    }

    /// The folder holding the state, its backup and its lock.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    pub fn backup_path(&self) -> PathBuf {
        self.dir.join(BACKUP_FILE)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    pub fn describe(&self) -> String {
        self.display.clone()
    }

    fn check_env(&self) -> Result<(), StateError> {
        match &self.bad_env {
            Some(env) => Err(StateError::BadEnvironment { env: env.clone() }),
            None => Ok(()),
        }
    }

    /// The stored state; `None` when there is none yet. A corrupt file is an error and is
    /// left exactly as it is.
    pub fn load(&self) -> Result<Option<State>, StateError> {
        self.check_env()?;
        let path = self.state_path();
        match std::fs::read(&path) {
            Ok(bytes) => codec::decode(&bytes, &path.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &path)(e)),
        }
    }

    /// Writes `state` as the next serial: temp file in the same folder, fsync, the old file
    /// kept as `state.json.backup`, rename over `state.json`, fsync the folder. Refuses when
    /// the file on disk is not the one `state` was loaded from (newer serial, other lineage).
    ///
    /// When `state.json` is still the very file this store wrote last, it is neither read nor
    /// decoded again, and the backup is a hard link to it rather than a copy: a save then
    /// costs one encode, one write and two fsyncs, whatever the size of the previous state.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        self.check_env()?;
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let path = self.state_path();
        let on_disk = match std::fs::metadata(&path) {
            Ok(metadata) => Some(FileId::of(&metadata)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io("read", &path)(e)),
        };
        let ours = {
            let last = self.last_written.lock().unwrap_or_else(|e| e.into_inner());
            match (&*last, &on_disk) {
                (Some(written), Some(Some(id))) if written.file == *id => Some(written.clone()),
                _ => None,
            }
        };
        // The previous state's bytes, when it had to be read (someone else wrote it).
        let mut previous = None;
        match (&ours, &on_disk) {
            (Some(written), _) => {
                super::check_successor_of(&written.lineage, written.serial, state, &self.display)?
            }
            (None, Some(_)) => {
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) => return Err(io("read", &path)(e)),
                };
                let stored = codec::decode(&bytes, &path.display().to_string())?;
                super::check_successor(&stored, state, &self.display)?;
                previous = Some(bytes);
            }
            (None, None) => {}
        }
        // Advanced in place, not cloned: a clone per save is O(state) for every action.
        let was = (
            state.serial,
            state.format_version,
            state.tool_version.clone(),
        );
        super::advance(state);
        let written = self.write(state, &path, on_disk.is_some(), previous);
        if written.is_err() {
            // a failed save leaves the state as it was
            (state.serial, state.format_version, state.tool_version) = was;
        }
        written
    }

    /// Writes `state` (already advanced) over `state.json`, keeping the old one as backup.
    fn write(
        &self,
        state: &State,
        path: &Path,
        backup: bool,
        previous: Option<Vec<u8>>,
    ) -> Result<(), StateError> {
        let text = codec::encode_cached(
            state,
            &mut self.encoded.lock().unwrap_or_else(|e| e.into_inner()),
        );
        let mut temp = tempfile::Builder::new()
            .prefix(".state.json.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io("create a temporary file in", &self.dir))?;
        temp.write_all(text.as_bytes())
            .and_then(|_| temp.as_file().sync_all())
            .map_err(io("write", temp.path()))?;
        if backup {
            self.keep_backup(path, previous)?;
        }
        temp.persist(path).map_err(|e| io("write", path)(e.error))?;
        sync_dir(&self.dir)?;
        let written = std::fs::metadata(path)
            .ok()
            .and_then(|m| FileId::of(&m))
            .map(|file| Written {
                file,
                lineage: state.lineage.clone(),
                serial: state.serial,
            });
        *self.last_written.lock().unwrap_or_else(|e| e.into_inner()) = written;
        Ok(())
    }

    /// Makes the current `state.json` the backup, atomically: a hard link to it renamed over
    /// the backup (its bytes were made durable when it was written), or, where links are not
    /// supported, a fsynced copy of `previous` (read now when not given).
    fn keep_backup(&self, path: &Path, previous: Option<Vec<u8>>) -> Result<(), StateError> {
        let backup = self.backup_path();
        let link = self
            .dir
            .join(format!(".state.json.backup.{}.tmp", uuid::Uuid::new_v4()));
        if std::fs::hard_link(path, &link).is_ok() {
            return std::fs::rename(&link, &backup).map_err(|e| {
                let _ = std::fs::remove_file(&link);
                io("write", &backup)(e)
            });
        }
        let bytes = match previous {
            Some(bytes) => bytes,
            None => std::fs::read(path).map_err(io("read", path))?,
        };
        let mut backup_temp = tempfile::Builder::new()
            .prefix(".state.json.backup.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io("create a temporary file in", &self.dir))?;
        backup_temp
            .write_all(&bytes)
            .and_then(|_| backup_temp.as_file().sync_all())
            .map_err(io("write", &backup))?;
        backup_temp
            .persist(&backup)
            .map_err(|e| io("write", &backup)(e.error))?;
        Ok(())
    }

    /// Takes the lock, waiting up to `wait` for a holder to let go.
    pub async fn lock(
        &self,
        operation: &str,
        wait: Duration,
    ) -> Result<(File, LockInfo), StateError> {
        self.check_env()?;
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let path = self.lock_path();
        let deadline = Instant::now() + wait;
        loop {
            // Not truncated on open: the content names the current holder.
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io("open", &path))?;
            match file.try_lock() {
                Ok(()) => {
                    // `force-unlock` may have removed the file we locked; then lock the new one.
                    if !same_file(&file, &path) {
                        continue;
                    }
                    let info = LockInfo::current(operation);
                    file.set_len(0)
                        .and_then(|_| file.seek(SeekFrom::Start(0)))
                        .and_then(|_| file.write_all(info.to_json().as_bytes()))
                        .and_then(|_| file.sync_all())
                        .map_err(io("write", &path))?;
                    return Ok((file, info));
                }
                Err(TryLockError::WouldBlock) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(StateError::Locked {
                            location: self.display.clone(),
                            holder: Box::new(read_holder(&mut file)),
                        });
                    }
                    tokio::time::sleep(POLL.min(deadline - now)).await;
                }
                Err(TryLockError::Error(e)) => return Err(io("lock", &path)(e)),
            }
        }
    }

    /// Breaks the lock: a live holder's lock file is removed (the holder keeps a lock on a
    /// file nobody uses any more), so the next run can lock. Returns who held it, or `None`
    /// when nobody did.
    pub fn force_unlock(&self) -> Result<Option<LockInfo>, StateError> {
        self.check_env()?;
        let path = self.lock_path();
        let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("open", &path)(e)),
        };
        match file.try_lock() {
            Ok(()) => {
                // Nobody holds it: the OS released it when the holder ended. Clear leftovers.
                file.set_len(0).map_err(io("write", &path))?;
                Ok(None)
            }
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                std::fs::remove_file(&path).map_err(io("remove", &path))?;
                Ok(Some(holder))
            }
            Err(TryLockError::Error(e)) => Err(io("lock", &path)(e)),
        }
    }
}

/// Lets go of a lock taken by `LocalStore::lock`: the holder's name is cleared, then the OS
/// lock released. The file stays: removing it would let two runs lock two different files.
pub fn release(file: &File) {
    let _ = file.set_len(0);
    let _ = file.sync_all();
    let _ = file.unlock();
}

fn read_holder(file: &mut File) -> LockInfo {
    let mut bytes = Vec::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_end(&mut bytes);
    LockInfo::parse(&bytes)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Makes a rename durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), StateError> {
    Ok(())
}
