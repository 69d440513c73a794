//! State kept on the Datagrok server itself through the files API, so CI runners need no
//! committed state. The server offers no compare-and-swap, so the lock is best-effort: see
//! the README's "State" section for exactly what it does and does not guarantee.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::codec;
use super::{LockInfo, State, StateError};
use crate::client::Client;

/// How often a waiting run checks the remote lock again.
const POLL: Duration = Duration::from_secs(1);
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
}

impl RemoteStore {
    pub fn new(client: Client, connector: &str, path: &str) -> RemoteStore {
        RemoteStore {
            client,
            connector: connector.to_string(),
            path: path.trim_start_matches('/').to_string(),
            backup: None,
            held: Arc::new(Mutex::new(None)),
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

    pub async fn load(&self) -> Result<Option<State>, StateError> {
        match self
            .client
            .download_file(&self.connector, &self.path)
            .await?
        {
            None => Ok(None),
            Some(bytes) => {
                let state = codec::decode(&bytes, &self.describe())?;
                self.keep_copy(&bytes)?;
                Ok(Some(state))
            }
        }
    }

    /// Uploads the next serial, after checking that the lock (if we took one) is still ours
    /// and that the server's state is the one `state` was loaded from.
    pub async fn save(&self, state: &mut State) -> Result<(), StateError> {
        let held = self.held.lock().expect("not poisoned").clone();
        if let Some(nonce) = held
            && self.read_lock().await?.map(|i| i.id) != Some(nonce)
        {
            return Err(StateError::LockLost {
                location: self.describe(),
            });
        }
        if let Some(bytes) = self
            .client
            .download_file(&self.connector, &self.path)
            .await?
        {
            let stored = codec::decode(&bytes, &self.describe())?;
            super::check_successor(&stored, state, &self.describe())?;
        }
        let next = super::successor(state);
        let text = codec::encode(&next);
        let temp = write_temp(text.as_bytes())?;
        self.client
            .upload_file(&self.connector, &self.path, temp.path(), None)
            .await?;
        self.keep_copy(text.as_bytes())?;
        *state = next;
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
                        return Ok(info);
                    }
                    // Someone else's write landed after ours: they hold it; wait like above.
                }
            }
        }
    }

    /// Deletes the lock object if it is still ours.
    pub async fn release(&self, nonce: &str) -> Result<(), StateError> {
        *self.held.lock().expect("not poisoned") = None;
        if self.read_lock().await?.is_some_and(|i| i.id == nonce) {
            self.client
                .delete_file(&self.connector, &self.lock_path())
                .await?;
        }
        Ok(())
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
        let io = |action, source| StateError::Io {
            action,
            path: file.display().to_string(),
            source,
        };
        let dir = file.parent().expect("the copy has a folder");
        std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io("write", e))?;
        temp.write_all(bytes).map_err(|e| io("write", e))?;
        temp.persist(file).map_err(|e| io("write", e.error))?;
        Ok(())
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
