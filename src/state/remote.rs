//! State kept on the Datagrok server itself through the files API, so CI runners need no
//! committed state. The server offers no compare-and-swap, so the lock is best-effort: see
//! the README's "State" section for exactly what it does and does not guarantee.
//!
//! Uploading the whole state after every action made an apply quadratic in bytes sent. While
//! a run holds the lock, a save uploads only when `UPLOAD_EVERY` has passed since the last
//! upload; the saves in between are appended to a journal beside the local copy
//! (`.grokform/remote-state.journal`, fsynced), and releasing the lock uploads what the server
//! lacks. Every save still checks that the lock is ours (one small read).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::journal::{self, Base, RecordRef, Recovery, Writer};
use super::{FORMAT_VERSION, LockInfo, State, StateError, atomic, codec, temp_files};
use crate::client::Client;

/// How often a waiting run checks the remote lock again.
const POLL: Duration = Duration::from_secs(1);
/// The longest a run holding the lock goes without uploading the state it saved.
const UPLOAD_EVERY: Duration = Duration::from_secs(5);
/// How long after writing our lock we read it back. Another run that saw no lock at the same
/// moment has written its own by then (both writes are single small uploads), so the read-back
/// decides who won in all but the narrowest interleavings.
const SETTLE: Duration = Duration::from_millis(500);

/// `{connector}/{path}` on the server, with the lock object `{path}.lock` beside it.
#[derive(Clone, Debug)]
pub struct RemoteStore {
    client: Client,
    connector: String,
    path: String,
    /// Where the last state seen on the server is copied (`None`: no local copy).
    backup: Option<PathBuf>,
    /// The nonce of the lock this store holds, if any.
    held: Arc<Mutex<Option<String>>>,
    /// What was uploaded last, and the journal of the saves since.
    pending: Arc<tokio::sync::Mutex<Pending>>,
}

/// The saves this store made since its last upload.
#[derive(Debug, Default)]
struct Pending {
    /// The last upload: when, and the state it held (the journal's base).
    uploaded: Option<(Instant, Base)>,
    journal: Option<Writer>,
    /// The serial of the last save.
    serial: u64,
}

impl RemoteStore {
    pub fn new(client: Client, connector: &str, path: &str) -> RemoteStore {
        RemoteStore {
            client,
            connector: connector.to_string(),
            path: path.trim_start_matches('/').to_string(),
            backup: None,
            held: Arc::new(Mutex::new(None)),
            pending: Arc::default(),
        }
    }

    /// Keeps a copy of the last state seen on the server at `file`.
    pub fn with_backup(mut self, file: PathBuf) -> RemoteStore {
        self.backup = Some(file);
        self
    }

    pub fn describe(&self) -> String {
        format!("{}/{} on the server", self.connector, self.path)
    }

    fn lock_path(&self) -> String {
        format!("{}.lock", self.path)
    }

    fn journal_path(&self) -> Option<PathBuf> {
        self.backup.as_deref().map(journal::path_beside)
    }

    pub async fn load(&self) -> Result<Option<State>, StateError> {
        Ok(self.load_recovering().await?.0)
    }

    /// `load`, with the saves a run on this machine journaled but never uploaded replayed.
    pub async fn load_recovering(&self) -> Result<(Option<State>, Option<Recovery>), StateError> {
        let Some(bytes) = self
            .client
            .download_file(&self.connector, &self.path)
            .await?
        else {
            return Ok((None, None));
        };
        let mut state = codec::decode(&bytes, &self.describe())?;
        self.keep_copy(&bytes)?;
        let recovery = match self.journal_path() {
            Some(path) => replay_file(&mut state, &bytes, &path)?,
            None => None,
        };
        Ok((Some(state), recovery))
    }

    /// Saves `state` as the next serial. Without a lock (or a local copy) it is uploaded at
    /// once; under a lock it is uploaded when the last upload is `UPLOAD_EVERY` old, and
    /// journaled locally otherwise. Either way the lock is checked first.
    pub async fn save(&self, state: &mut State) -> Result<(), StateError> {
        let held = self.held.lock().expect("not poisoned").clone();
        if let Some(nonce) = &held
            && self.read_lock().await?.map(|i| i.id).as_ref() != Some(nonce)
        {
            return Err(StateError::LockLost {
                location: self.describe(),
            });
        }
        let mut pending = self.pending.lock().await;
        if let (Some(_), Some(path), Some((at, base))) =
            (&held, self.journal_path(), &pending.uploaded)
            && at.elapsed() < UPLOAD_EVERY
        {
            super::check_successor_of(&base.lineage, pending.serial, state, &self.describe())?;
            let base = base.clone();
            return self.journal(state, &mut pending, &path, base);
        }
        let next = self.upload(state, true).await?;
        pending.uploaded = Some((Instant::now(), next));
        pending.journal = None;
        pending.serial = state.serial;
        Ok(())
    }

    /// Appends the changes since the last save to the local journal, durably.
    fn journal(
        &self,
        state: &mut State,
        pending: &mut Pending,
        path: &Path,
        base: Base,
    ) -> Result<(), StateError> {
        let changed = state.resources.take_changed_addresses();
        let record = RecordRef::of(state, &changed);
        let written = match &mut pending.journal {
            Some(writer) => writer.append(&record),
            None => {
                Writer::create(path, base, &record).map(|writer| pending.journal = Some(writer))
            }
        };
        drop(record);
        if let Err(e) = written {
            state.resources.mark_changed(changed);
            // The next save uploads everything instead.
            pending.uploaded = None;
            pending.journal = None;
            return Err(local_io("append to", path, e));
        }
        super::advance(state);
        pending.serial = state.serial;
        Ok(())
    }

    /// Uploads `state` (as the next serial when `advance`) after checking that the server's
    /// state is the one it was loaded from; keeps the local copy and drops the local journal,
    /// whose saves the server now holds. Returns the uploaded state's base.
    async fn upload(&self, state: &mut State, advance: bool) -> Result<Base, StateError> {
        if let Some(bytes) = self
            .client
            .download_file(&self.connector, &self.path)
            .await?
        {
            let stored = codec::decode(&bytes, &self.describe())?;
            super::check_successor(&stored, state, &self.describe())?;
        }
        let next = if advance {
            super::successor(state)
        } else {
            state.clone()
        };
        let text = codec::encode(&next);
        let temp = write_temp(text.as_bytes())?;
        self.client
            .upload_file(&self.connector, &self.path, temp.path(), None)
            .await?;
        self.keep_copy(text.as_bytes())?;
        if let Some(path) = self.journal_path() {
            journal::remove(&path).map_err(|e| local_io("remove", &path, e))?;
        }
        *state = next;
        state.resources.take_changed_addresses();
        Ok(Base {
            lineage: state.lineage.clone(),
            serial: state.serial,
            sha256: journal::sha256(text.as_bytes()),
        })
    }

    /// Uploads what the local journal holds beyond the server's state (nothing to do without
    /// one). `release` calls it while the lock is still ours.
    async fn flush(&self) -> Result<(), StateError> {
        let (Some(copy), Some(path)) = (&self.backup, self.journal_path()) else {
            return Ok(());
        };
        let mut pending = self.pending.lock().await;
        if !path.exists() {
            return Ok(());
        }
        let bytes = std::fs::read(copy).map_err(|e| local_io("read", copy, e))?;
        let mut state = codec::decode(&bytes, &copy.display().to_string())?;
        match replay_file(&mut state, &bytes, &path)? {
            Some(recovery) if recovery.replayed > 0 => {
                state.format_version = FORMAT_VERSION;
                state.tool_version = env!("CARGO_PKG_VERSION").to_string();
                self.upload(&mut state, false).await?;
            }
            _ => journal::remove(&path).map_err(|e| local_io("remove", &path, e))?,
        }
        *pending = Pending::default();
        Ok(())
    }

    /// Takes the lock: no lock object → write ours with a fresh nonce → read it back and keep
    /// it only if it is still ours. Waits up to `wait` for a holder to let go.
    pub async fn lock(&self, operation: &str, wait: Duration) -> Result<LockInfo, StateError> {
        let deadline = Instant::now() + wait;
        loop {
            match self.read_lock().await? {
                Some(holder) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(StateError::Locked {
                            location: self.describe(),
                            holder: Box::new(holder),
                        });
                    }
                    tokio::time::sleep(POLL.min(deadline - now)).await;
                }
                None => {
                    let info = LockInfo::current(operation);
                    let temp = write_temp(info.to_json().as_bytes())?;
                    self.client
                        .upload_file(&self.connector, &self.lock_path(), temp.path(), None)
                        .await?;
                    tokio::time::sleep(SETTLE).await;
                    if self.read_lock().await?.is_some_and(|i| i.id == info.id) {
                        *self.held.lock().expect("not poisoned") = Some(info.id.clone());
                        if let Some(dir) = self.backup.as_deref().and_then(Path::parent) {
                            temp_files::remove_stale(dir, &super::local::TEMP_TARGETS)
                                .map_err(|e| local_io("remove temporary files in", dir, e))?;
                        }
                        return Ok(info);
                    }
                    // Someone else's write landed after ours: they hold it; wait like above.
                }
            }
        }
    }

    /// Uploads what was only journaled, then deletes the lock object, if it is still ours.
    /// The lock goes even when the upload fails: the journal keeps the saves on this machine,
    /// and the error says so.
    pub async fn release(&self, nonce: &str) -> Result<(), StateError> {
        let ours = self.read_lock().await?.is_some_and(|i| i.id == nonce);
        let flushed = match (ours, self.journal_path()) {
            (true, Some(journal)) => self.flush().await.map_err(|e| StateError::NotUploaded {
                journal: journal.display().to_string(),
                source: Box::new(e),
            }),
            _ => Ok(()),
        };
        *self.held.lock().expect("not poisoned") = None;
        if ours {
            self.client
                .delete_file(&self.connector, &self.lock_path())
                .await?;
        }
        flushed
    }

    /// Deletes the lock object whoever holds it; returns who did.
    pub async fn force_unlock(&self) -> Result<Option<LockInfo>, StateError> {
        let holder = self.read_lock().await?;
        if holder.is_some() {
            self.client
                .delete_file(&self.connector, &self.lock_path())
                .await?;
        }
        Ok(holder)
    }

    async fn read_lock(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self
            .client
            .download_file(&self.connector, &self.lock_path())
            .await?
            .map(|bytes| LockInfo::parse(&bytes)))
    }

    fn keep_copy(&self, bytes: &[u8]) -> Result<(), StateError> {
        let Some(file) = &self.backup else {
            return Ok(());
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| local_io("create the folder of", file, e))?;
        atomic::atomic_write(file, bytes).map_err(|e| local_io("write", file, e))
    }
}

/// Replays the journal at `path` (if any) onto `state`, read from `snapshot`'s bytes.
fn replay_file(
    state: &mut State,
    snapshot: &[u8],
    path: &Path,
) -> Result<Option<Recovery>, StateError> {
    let location = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(local_io("read", path, e)),
    };
    let parsed = journal::parse(&bytes, &location)?;
    let ignored = parsed.ignored.clone();
    let replayed = journal::replay(state, &journal::sha256(snapshot), parsed, &location)?;
    Ok((replayed > 0 || ignored.is_some()).then_some(Recovery {
        journal: location,
        replayed,
        ignored,
        // Only the run holding the server's lock writes it, and that is this machine's
        // previous run: a concurrent one would be refused by the lock.
        running: None,
    }))
}

fn local_io(action: &'static str, path: &Path, source: std::io::Error) -> StateError {
    StateError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// A temporary file holding `bytes`, for the streaming upload API.
fn write_temp(bytes: &[u8]) -> Result<tempfile::NamedTempFile, StateError> {
    let io = |source| StateError::Io {
        action: "write",
        path: "a temporary file".into(),
        source,
    };
    let mut temp = tempfile::NamedTempFile::new().map_err(io)?;
    temp.write_all(bytes)
        .and_then(|_| temp.flush())
        .map_err(io)?;
    Ok(temp)
}
