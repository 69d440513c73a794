//! One interface over the two places state can live, so `plan`, `apply` and `force-unlock`
//! never care which one the manifest chose.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::local::{self, LocalStore};
use super::remote::RemoteStore;
use super::{LockInfo, Recovery, State, StateError};
use crate::client::Client;
use crate::model::StateBackend;

/// Where an environment's state lives, before any client exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLocation {
    root: PathBuf,
    env: Option<String>,
    backend: StateBackend,
}

impl StateLocation {
    /// From the manifest's folder, the `--env` and the manifest's `state:` backend.
    pub fn new(root: &Path, env: Option<&str>, backend: &StateBackend) -> StateLocation {
        StateLocation {
            root: root.to_path_buf(),
            env: env.map(str::to_string),
            backend: backend.clone(),
        }
    }

    /// True when opening needs a `Client` (the state is on the server).
    pub fn is_remote(&self) -> bool {
        matches!(self.backend, StateBackend::Datagrok { .. })
    }

    /// The `(connector, path)` of a remote state, as the model resolved it (an environment
    /// inheriting the top-level `state:` already has its `<env>/` folder in the path).
    pub fn remote_path(&self) -> Option<(String, String)> {
        let StateBackend::Datagrok { connector, path } = &self.backend else {
            return None;
        };
        // The environment's folder, where it applies, is already in the path (`Model::resolve`).
        Some((connector.clone(), path.trim_start_matches('/').to_string()))
    }

    /// The store; `client` is needed (and only used) for the `datagrok` backend.
    pub fn open(&self, client: Option<&Client>) -> Result<StateStore, StateError> {
        match self.remote_path() {
            None => Ok(StateStore::local(&self.root, self.env.as_deref())),
            Some((connector, path)) => {
                if let Some(env) = &self.env
                    && !local::valid_env(env)
                {
                    return Err(StateError::BadEnvironment { env: env.clone() });
                }
                let client = client.ok_or(StateError::NeedsServer)?;
                let copy = LocalStore::new(&self.root, self.env.as_deref())
                    .dir()
                    .join(super::REMOTE_COPY_FILE);
                Ok(StateStore::remote(client.clone(), &connector, &path).with_local_copy(copy))
            }
        }
    }
}

/// Where state is loaded from and saved to. An enum rather than a trait: there are exactly
/// two backends, and async trait methods would need boxing for no gain.
#[derive(Clone, Debug)]
pub enum StateStore {
    Local(LocalStore),
    Datagrok(RemoteStore),
}

impl StateStore {
    /// `.grokform/state.json`, or `.grokform/<env>/state.json` with an environment.
    pub fn local(root: &Path, env: Option<&str>) -> StateStore {
        StateStore::Local(LocalStore::new(root, env))
    }

    /// `{connector}/{path}` on the server, locked with `{path}.lock`.
    pub fn remote(client: Client, connector: &str, path: &str) -> StateStore {
        StateStore::Datagrok(RemoteStore::new(client, connector, path))
    }

    /// Keeps a local copy of the last remote state at `file` (no effect on local stores).
    pub fn with_local_copy(self, file: PathBuf) -> StateStore {
        match self {
            StateStore::Datagrok(remote) => StateStore::Datagrok(remote.with_backup(file)),
            local => local,
        }
    }

    /// For messages: `.grokform/state.json` or `System:AppData/grokform/state.json on the server`.
    pub fn describe(&self) -> String {
        match self {
            StateStore::Local(store) => store.describe(),
            StateStore::Datagrok(store) => store.describe(),
        }
    }

    /// The stored state, `None` when there is none yet.
    pub async fn load(&self) -> Result<Option<State>, StateError> {
        Ok(self.load_recovering().await?.0)
    }

    /// `load`, and what it replayed from a journal a run that did not finish left behind
    /// (`None`: nothing to recover). Reading never writes: the journal is folded into the
    /// snapshot by the next run that holds the lock, when it releases it.
    pub async fn load_recovering(&self) -> Result<(Option<State>, Option<Recovery>), StateError> {
        match self {
            StateStore::Local(store) => store.load_recovering(),
            StateStore::Datagrok(store) => store.load_recovering().await,
        }
    }

    /// Takes the lock for `operation`, waiting up to `wait` (zero: fail at once) for another
    /// holder. Held until the returned `StateLock` is released or dropped.
    pub async fn lock(&self, operation: &str, wait: Duration) -> Result<StateLock, StateError> {
        match self {
            StateStore::Local(store) => {
                let (file, info) = store.lock(operation, wait).await?;
                Ok(StateLock {
                    info,
                    held: Held::Local(Some((file, store.clone()))),
                })
            }
            StateStore::Datagrok(store) => {
                let info = store.lock(operation, wait).await?;
                Ok(StateLock {
                    info,
                    held: Held::Remote(Some(store.clone())),
                })
            }
        }
    }

    /// Saves `state` as the next serial (`serial + 1`, `tool_version` and `format_version`
    /// set), durably: locally a journal line with what changed since the last save (or a whole
    /// snapshot, atomically, keeping the previous one as a backup); remotely an upload, or
    /// under a lock a local journal line between uploads. Refuses when the stored state moved
    /// on since `state` was loaded. `state` is updated only on success.
    pub async fn save(&self, state: &mut State) -> Result<(), StateError> {
        match self {
            StateStore::Local(store) => store.save(state),
            StateStore::Datagrok(store) => store.save(state).await,
        }
    }

    /// Breaks the lock whoever holds it; returns the holder, or `None` if it was not held.
    pub async fn force_unlock(&self) -> Result<Option<LockInfo>, StateError> {
        match self {
            StateStore::Local(store) => store.force_unlock(),
            StateStore::Datagrok(store) => store.force_unlock().await,
        }
    }
}

/// A held state lock. Call `release().await` when done: it folds the journal into the
/// snapshot (local) or uploads what was only journaled (remote) before letting go. Dropping
/// it releases a local lock at once (the journal stays, replayed by the next read) and a
/// remote one on a best-effort background task.
#[derive(Debug)]
pub struct StateLock {
    info: LockInfo,
    held: Held,
}

#[derive(Debug)]
enum Held {
    Local(Option<(std::fs::File, LocalStore)>),
    Remote(Option<RemoteStore>),
}

impl StateLock {
    /// Who holds it (this process).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Lets go of the lock.
    pub async fn release(mut self) -> Result<(), StateError> {
        match &mut self.held {
            Held::Local(held) => match held.take() {
                Some((file, store)) => {
                    let compacted = store.compact();
                    local::release(&file);
                    compacted
                }
                None => Ok(()),
            },
            Held::Remote(store) => match store.take() {
                Some(store) => store.release(&self.info.id).await,
                None => Ok(()),
            },
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        match &mut self.held {
            Held::Local(held) => {
                if let Some((file, _)) = held.take() {
                    local::release(&file);
                }
            }
            Held::Remote(store) => {
                if let (Some(store), Ok(runtime)) =
                    (store.take(), tokio::runtime::Handle::try_current())
                {
                    let nonce = self.info.id.clone();
                    runtime.spawn(async move {
                        let _ = store.release(&nonce).await;
                    });
                }
            }
        }
    }
}
