//! State in `.grokform/` beside the manifest: the snapshot `state.json` (committed, reviewed),
//! the journal `state.journal` of the saves since it (see `journal`), a backup of the previous
//! snapshot, and the lock (see `lock_file`).
//!
//! A save appends one journal line when this store knows the files on disk are exactly as it
//! left them; otherwise (the first save of a run, someone else wrote) it reads and checks the
//! stored state and writes a whole snapshot. Either way a save is durable before it returns.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::journal::{self, Base, RecordRef, Recovery, Writer};
use super::{FORMAT_VERSION, LockInfo, State, StateError, atomic, codec, lock_file, temp_files};

/// The state file's name.
pub const STATE_FILE: &str = "state.json";
/// The previous snapshot, kept on every snapshot write.
pub const BACKUP_FILE: &str = "state.json.backup";
/// The lock beside it.
pub const LOCK_FILE: &str = "state.lock";
/// The saves since the snapshot; gone after a run that finished.
pub const JOURNAL_FILE: &str = "state.journal";

/// The journal is compacted into the snapshot once it is larger than this and than the
/// snapshot: each compaction (O(state)) then follows at least a state's worth of appended
/// records, so the total work of an apply stays linear in its actions.
const COMPACT_AT_LEAST: u64 = 1 << 20;

/// What a state was loaded from (see [`LocalStore::load_digested`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Snapshot {
    /// No snapshot and no journal: a new state.
    Absent,
    /// The snapshot alone, whose bytes have this SHA-256 (lowercase hex).
    Exact(String),
    /// A snapshot with a journal replayed on top.
    Journaled,
}

/// `.grokform/state.json` (or `.grokform/<env>/state.json`) under a manifest's folder.
#[derive(Clone, Debug)]
pub struct LocalStore {
    dir: PathBuf,
    /// The state path relative to the manifest folder, for messages.
    display: String,
    /// An environment name that cannot be a folder (reported on first use).
    bad_env: Option<String>,
    /// What this store last wrote, while it is known to be what is on disk.
    disk: Arc<Mutex<Option<Disk>>>,
    /// The text of resources already encoded by earlier snapshots.
    encoded: Arc<Mutex<codec::EncodeCache>>,
}

/// The snapshot this store wrote and the journal it appends to.
#[derive(Debug)]
struct Disk {
    snapshot: FileId,
    snapshot_len: u64,
    /// Lineage, serial and hash of the snapshot, the base of the journal.
    base: Base,
    journal: Option<Writer>,
    /// The serial of the last write (snapshot or journal record).
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
    fn of(path: &Path) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileId {
            dev: metadata.dev(),
            ino: metadata.ino(),
            len: metadata.len(),
            modified: metadata.modified().ok(),
        })
    }

    #[cfg(not(unix))]
    fn of(_path: &Path) -> Option<FileId> {
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
        LocalStore {
            dir,
            display,
            bad_env,
            disk: Arc::default(),
            encoded: Arc::default(),
        }
    }

    /// The folder holding the state, its journal, backup and lock.
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

    pub fn journal_path(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    /// `.grokform/state.json`, for messages.
    pub fn describe(&self) -> String {
        format!("{}{STATE_FILE}", self.display)
    }

    fn describe_journal(&self) -> String {
        format!("{}{JOURNAL_FILE}", self.display)
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
        Ok(self.load_recovering()?.0)
    }

    /// `load`, and what it replayed from a journal a run left behind (for the caller to say).
    pub fn load_recovering(&self) -> Result<(Option<State>, Option<Recovery>), StateError> {
        self.check_env()?;
        Ok(match self.read()? {
            Some((state, recovery)) => (Some(state), recovery),
            None => (None, None),
        })
    }

    /// `load_recovering`, and exactly which bytes the state came from, for a cache keyed on
    /// them (`plan`'s no-op memo): the snapshot's SHA-256 when no journal was replayed.
    pub fn load_digested(&self) -> Result<(Option<State>, Option<Recovery>, Snapshot), StateError> {
        self.check_env()?;
        let mut snapshot = Snapshot::Absent;
        let read = self.read_noting(Some(&mut snapshot))?;
        Ok(match read {
            Some((state, recovery)) => (Some(state), recovery, snapshot),
            None => (None, None, snapshot),
        })
    }

    /// The snapshot with its journal replayed; never writes.
    fn read(&self) -> Result<Option<(State, Option<Recovery>)>, StateError> {
        self.read_noting(None)
    }

    /// `read`, noting in `snapshot` (when asked) what the state was decoded from.
    fn read_noting(
        &self,
        snapshot: Option<&mut Snapshot>,
    ) -> Result<Option<(State, Option<Recovery>)>, StateError> {
        let path = self.state_path();
        let journal_path = self.journal_path();
        let journal = match std::fs::read(&journal_path) {
            Ok(bytes) => Some(journal::parse(&bytes, &self.describe_journal())?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io("read", &journal_path)(e)),
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if journal.is_some_and(|j| j.base.is_some()) {
                    return Err(StateError::JournalMismatch {
                        location: self.describe_journal(),
                        reason: format!(
                            "the snapshot it continues, `{}`, is gone",
                            self.describe()
                        ),
                    });
                }
                return Ok(None);
            }
            Err(e) => return Err(io("read", &path)(e)),
        };
        let mut state = codec::decode(&bytes, &self.describe())?;
        let Some(parsed) = journal else {
            if let Some(snapshot) = snapshot {
                *snapshot = Snapshot::Exact(journal::sha256(&bytes));
            }
            return Ok(Some((state, None)));
        };
        if let Some(snapshot) = snapshot {
            *snapshot = Snapshot::Journaled;
        }
        let ignored = parsed.ignored.clone();
        let replayed = journal::replay(
            &mut state,
            &journal::sha256(&bytes),
            parsed,
            &self.describe_journal(),
        )?;
        let recovery = (replayed > 0 || ignored.is_some()).then(|| Recovery {
            journal: self.describe_journal(),
            replayed,
            ignored,
            // Another process holding the lock is still writing the journal (this one, in
            // `apply`, is the run that will fold it in).
            running: lock_file::holder(&self.lock_path())
                .filter(|h| h.pid != std::process::id())
                .map(|h| h.describe()),
        });
        Ok(Some((state, recovery)))
    }

    /// Saves `state` as the next serial. Refuses when the stored state is not the one `state`
    /// was loaded from (newer serial, other lineage); `state` is updated only on success.
    ///
    /// When the snapshot and the journal are exactly as this store left them, the save is one
    /// journal line holding the entries changed since the last save (`Resources` tracks them),
    /// appended and fsynced: its cost does not grow with the state. Otherwise the stored
    /// state is read and checked, and the whole state written as a new snapshot, the old one
    /// kept as `state.json.backup`.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        self.check_env()?;
        let mut disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = disk.as_mut().filter(|d| self.is_as_left(d)) {
            super::check_successor_of(&known.base.lineage, known.serial, state, &self.describe())?;
            let full = match self.append(state, known) {
                Ok(full) => full,
                Err(e) => {
                    // The journal may hold part of a line: the next save writes a snapshot.
                    *disk = None;
                    return Err(e);
                }
            };
            if full {
                // The record is saved; a failed compaction leaves an older snapshot, no loss.
                self.write_snapshot(state, &mut disk)?;
            }
            return Ok(());
        }
        *disk = None;
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        if let Some((stored, _)) = self.read()? {
            super::check_successor(&stored, state, &self.describe())?;
        }
        // Advanced in place, not cloned: a clone per save is O(state).
        let was = (
            state.serial,
            state.format_version,
            state.tool_version.clone(),
        );
        super::advance(state);
        match self.write_snapshot(state, &mut disk) {
            Ok(()) => {
                // everything is in the snapshot
                state.resources.take_changed_addresses();
                Ok(())
            }
            Err(e) => {
                (state.serial, state.format_version, state.tool_version) = was;
                Err(e)
            }
        }
    }

    /// Whether the snapshot and the journal on disk are the ones this store last wrote.
    fn is_as_left(&self, disk: &Disk) -> bool {
        FileId::of(&self.state_path()).is_some_and(|id| id == disk.snapshot)
            && match &disk.journal {
                Some(writer) => writer.is_intact(),
                None => !self.journal_path().exists(),
            }
    }

    /// Appends the changes since the last save as the next serial, durably. Returns whether
    /// the journal has grown past its bound (time to compact).
    fn append(&self, state: &mut State, known: &mut Disk) -> Result<bool, StateError> {
        let changed = state.resources.take_changed_addresses();
        let record = RecordRef::of(state, &changed);
        let path = self.journal_path();
        let written = match &mut known.journal {
            Some(writer) => writer.append(&record),
            None => Writer::create(&path, known.base.clone(), &record)
                .map(|writer| known.journal = Some(writer)),
        };
        drop(record);
        if let Err(e) = written {
            state.resources.mark_changed(changed);
            return Err(io("append to", &path)(e));
        }
        super::advance(state);
        known.serial = state.serial;
        let journal_len = known.journal.as_ref().map_or(0, Writer::len);
        Ok(journal_len > COMPACT_AT_LEAST.max(known.snapshot_len))
    }

    /// Writes `state` as the snapshot (the previous one kept as backup) and removes the
    /// journal, whose records the snapshot now holds.
    fn write_snapshot(&self, state: &State, disk: &mut Option<Disk>) -> Result<(), StateError> {
        *disk = None;
        let path = self.state_path();
        if path.exists() {
            self.keep_backup(&path)?;
        }
        // Streamed to the file, hashed and counted on the way (the journal's base).
        let mut written = (0u64, Sha256::new());
        atomic::atomic_write_with(&path, |out| {
            let mut out = Counted {
                out,
                written: &mut written,
            };
            codec::encode_cached_to(
                state,
                &mut self.encoded.lock().unwrap_or_else(|e| e.into_inner()),
                &mut out,
            )
        })
        .map_err(io("write", &path))?;
        let (len, hasher) = written;
        // A crash here leaves journal records the snapshot already holds: replay skips them.
        let journal_path = self.journal_path();
        journal::remove(&journal_path).map_err(io("remove", &journal_path))?;
        *disk = FileId::of(&path).map(|snapshot| Disk {
            snapshot,
            snapshot_len: len,
            base: Base {
                lineage: state.lineage.clone(),
                serial: state.serial,
                sha256: journal::hex(&hasher.finalize()),
            },
            journal: None,
            serial: state.serial,
        });
        Ok(())
    }

    /// Makes the current `state.json` the backup, atomically: a hard link to it renamed over
    /// the backup (its bytes were made durable when it was written), or, where links are not
    /// supported, a copy written with `atomic_write`.
    fn keep_backup(&self, path: &Path) -> Result<(), StateError> {
        let backup = self.backup_path();
        let link = self.dir.join(format!(
            ".{BACKUP_FILE}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        if std::fs::hard_link(path, &link).is_ok() {
            return std::fs::rename(&link, &backup).map_err(|e| {
                let _ = std::fs::remove_file(&link);
                io("write", &backup)(e)
            });
        }
        let bytes = std::fs::read(path).map_err(io("read", path))?;
        atomic::atomic_write(&backup, &bytes).map_err(io("write", &backup))
    }

    /// Writes what the journal holds into the snapshot and removes the journal (nothing to do
    /// without one). Call it holding the lock: `StateLock::release` does.
    pub fn compact(&self) -> Result<(), StateError> {
        self.check_env()?;
        let mut disk = self.disk.lock().unwrap_or_else(|e| e.into_inner());
        let journal_path = self.journal_path();
        if !journal_path.exists() {
            return Ok(());
        }
        match self.read()? {
            Some((mut state, Some(recovery))) if recovery.replayed > 0 => {
                // The records were written by this version; the snapshot says so.
                state.format_version = FORMAT_VERSION;
                state.tool_version = env!("CARGO_PKG_VERSION").to_string();
                self.write_snapshot(&state, &mut disk)
            }
            // Nothing beyond the snapshot: only leftovers (a torn line, compacted records).
            _ => {
                *disk = None;
                journal::remove(&journal_path).map_err(io("remove", &journal_path))
            }
        }
    }

    /// Takes the lock, waiting up to `wait` for a holder to let go, then removes temporary
    /// files that killed runs left in the state's folder.
    pub async fn lock(
        &self,
        operation: &str,
        wait: Duration,
    ) -> Result<(File, LockInfo), StateError> {
        self.check_env()?;
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let held = lock_file::acquire(&self.lock_path(), &self.describe(), operation, wait).await?;
        temp_files::remove_stale(&self.dir, &TEMP_TARGETS)
            .map_err(io("remove temporary files in", &self.dir))?;
        Ok(held)
    }

    /// Breaks the lock whoever holds it; returns the holder, or `None` if nobody did.
    pub fn force_unlock(&self) -> Result<Option<LockInfo>, StateError> {
        self.check_env()?;
        lock_file::force_unlock(&self.lock_path())
    }
}

/// The files of the state's folder whose temporary files a killed run may leave.
pub(super) const TEMP_TARGETS: [&str; 4] =
    [STATE_FILE, BACKUP_FILE, LOCK_FILE, super::REMOTE_COPY_FILE];

/// A writer that counts and hashes what passes through it.
struct Counted<'a, W: ?Sized> {
    out: &'a mut W,
    written: &'a mut (u64, Sha256),
}

impl<W: std::io::Write + ?Sized> std::io::Write for Counted<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(bytes)?;
        self.written.0 += n as u64;
        self.written.1.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Lets go of a lock taken by `LocalStore::lock` (see `lock_file::release`).
pub fn release(file: &File) {
    lock_file::release(file);
}
