//! The state: what grokform has applied to a server, keyed by address. This module is the only
//! writer of `.grokform/`: load, lock, durable saves (a journal line per save, compacted into
//! an atomically written snapshot), backups, and the one `atomic_write` of the code base. The
//! types here are plain data shared by the planner (which reads them) and the applier (which
//! records into them); where they are stored (locally or on the server) is behind `StateStore`.

// `state` owns `.grokform/` on disk: every read and durable write of it lives here.
#![allow(clippy::disallowed_methods)]

mod atomic;
mod codec;
pub mod edit;
mod error;
mod fingerprint;
mod journal;
#[cfg(test)]
mod journal_store_tests;
mod local;
mod lock_file;
mod lock_info;
mod remote;
mod resources;
mod store;
mod temp_files;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) use atomic::atomic_write;
pub use codec::{decode, encode};
pub use error::StateError;
pub use fingerprint::Fingerprint;
pub use journal::{Ignored, Recovery};
pub use local::{BACKUP_FILE, JOURNAL_FILE, LOCK_FILE, LocalStore, STATE_FILE, Snapshot};
pub use lock_info::LockInfo;
pub use remote::RemoteStore;
pub use resources::Resources;
pub use store::{StateLocation, StateLock, StateStore};

use serde::{Deserialize, Serialize};

use crate::address::Kind;

/// The state file's format; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// The local copy of remote state, in the environment's `.grokform/` folder.
pub const REMOTE_COPY_FILE: &str = "remote-state.json";

/// One environment's state (`.grokform/state.json`).
///
/// Serialised pretty with sorted keys (every map is a `BTreeMap`) so that it diffs well in git.
/// It holds no secrets and no timestamps of its own (an entry's `observed` fingerprint keeps
/// the server's `updatedOn` text, which changes only when apply writes that object).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// Identifies one state's history; a saved plan or another copy with a different lineage is
    /// a different state, not an older one.
    pub lineage: String,
    /// The number of saves in this lineage: +1 on every save, whether the save wrote a
    /// journal line or a whole snapshot. Compacting the journal into the snapshot changes no
    /// content and keeps the serial; a snapshot plus its journal read back has the serial of
    /// the last journal line.
    pub serial: u64,
    /// The grokform version that last wrote it.
    pub tool_version: String,
    /// The server the resources live on (normalised base URL); `None` until the first apply.
    pub server: Option<String>,
    /// Every write goes through `Resources`, which remembers what changed for the journal.
    pub resources: Resources,
}

/// What grokform knows about one applied resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceState {
    pub kind: Kind,
    /// The server's ID (table and dashboard UUIDs); `None` for files, shares and calls, which
    /// are addressed by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// Hash of every input that, when changed, calls for an action on this resource.
    pub inputs_hash: String,
    /// What was applied, for the plan's old → new diff (names, source hashes, row and column
    /// counts, the filled layout text, call params…). Sorted keys, no secrets, no timestamps.
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// The state serial at which this resource was last applied (a deterministic stand-in for
    /// a timestamp).
    pub applied_serial: u64,
    #[serde(default, skip_serializing_if = "ResourceStatus::is_applied")]
    pub status: ResourceStatus,
    /// What the server answered when apply read the object back after writing it; refresh
    /// compares these cheap fields before downloading a body. `None` in states written
    /// before fingerprints, after a write the server would not let grokform read back, and
    /// for kinds that have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Fingerprint>,
}

/// Whether the server is known to hold what this entry says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceStatus {
    /// The action succeeded and its answer was recorded.
    #[default]
    Applied,
    /// A request that must not be repeated (a dashboard create, a function call) was sent but
    /// no answer proved what became of it: the server may or may not hold the object, or have
    /// run the call. The plan shows the ambiguity instead of blindly sending it again. Such an
    /// entry's `inputs_hash` is the hash of what was sent, and its attributes may hold
    /// [`REQUEST_OUTCOME`]: what the request got, when an answer came at all.
    Uncertain,
}

impl ResourceStatus {
    pub fn is_applied(&self) -> bool {
        *self == ResourceStatus::Applied
    }
}

/// The attribute of an uncertain entry that says what its request got ("answered 502 Bad
/// Gateway"), so that a later run can say what happened; absent when the run was killed
/// before any answer came.
pub const REQUEST_OUTCOME: &str = "request_outcome";

/// What an uncertain entry without [`REQUEST_OUTCOME`] says happened.
pub const NO_ANSWER_RECORDED: &str = "the run stopped before any answer was recorded";

impl ResourceState {
    /// What the request of an uncertain entry got, as a clause finishing "an earlier apply
    /// sent it and …": "it answered 502 Bad Gateway", or, without a recorded answer, that the
    /// run stopped before one came.
    pub fn what_happened(&self) -> String {
        match self
            .attributes
            .get(REQUEST_OUTCOME)
            .and_then(serde_json::Value::as_str)
        {
            Some(outcome) => format!("it {outcome}"),
            None => NO_ANSWER_RECORDED.to_string(),
        }
    }
}

impl State {
    /// A fresh, empty state with a new lineage.
    pub fn new() -> Self {
        State {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            server: None,
            resources: Resources::default(),
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// Errors unless `state` may be used against `server`: a state that recorded a different
/// server is an error naming both (never a silent re-create); a state with no server yet is
/// fine. Trailing slashes and the case of scheme and host do not count as differences.
pub fn check_server(state: &State, server: &str) -> Result<(), StateError> {
    match &state.server {
        Some(recorded) if !crate::server_url::ServerUrl::same(recorded, server) => {
            Err(StateError::ServerMismatch {
                state_server: recorded.clone(),
                server: server.to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// The data folder of the built-in emulator for `--server local`: `.grokform/local/`.
pub fn local_emulator_dir(root: &Path) -> PathBuf {
    root.join(".grokform").join("local")
}

/// Errors unless `state` is the successor of `stored` (what is in the store now): same
/// lineage, and the store's serial not newer than the one `state` was loaded at.
fn check_successor(stored: &State, state: &State, location: &str) -> Result<(), StateError> {
    check_successor_of(&stored.lineage, stored.serial, state, location)
}

/// `check_successor` given only the stored state's lineage and serial.
fn check_successor_of(
    lineage: &str,
    serial: u64,
    state: &State,
    location: &str,
) -> Result<(), StateError> {
    if lineage != state.lineage {
        return Err(StateError::OtherLineage {
            location: location.to_string(),
            stored: lineage.to_string(),
            loaded: state.lineage.clone(),
        });
    }
    if serial > state.serial {
        return Err(StateError::Newer {
            location: location.to_string(),
            stored: serial,
            loaded: state.serial,
        });
    }
    Ok(())
}

/// `state` as the next version to write.
fn successor(state: &State) -> State {
    let mut next = state.clone();
    advance(&mut next);
    next
}

/// Makes `state` the next version to write, in place.
fn advance(state: &mut State) {
    state.serial += 1;
    state.format_version = FORMAT_VERSION;
    state.tool_version = env!("CARGO_PKG_VERSION").to_string();
}
