//! What can go wrong loading, locking and saving state, with the location and the way out.

use std::sync::Arc;

use miette::{NamedSource, SourceSpan};

use super::LockInfo;
use crate::client::ClientError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StateError {
    /// A local file could not be read or written.
    #[error("could not {action} `{path}`")]
    #[diagnostic(code(grokform::state::io))]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The state is not valid JSON or not a state; it is left untouched.
    #[error("the state `{location}` is corrupt: {reason}")]
    #[diagnostic(
        code(grokform::state::corrupt),
        help(
            "grokform did not change it. Fix it by hand, or restore `state.json.backup` (local state) or the copy in `.grokform/remote-state.json` (remote state)"
        )
    )]
    Corrupt {
        location: String,
        reason: String,
        #[source_code]
        source_code: Arc<NamedSource<String>>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    /// A line inside the journal (not its last) is damaged: records after it cannot be
    /// trusted, and dropping them would lose saved actions.
    #[error("the state journal `{location}` is damaged at line {line}: {reason}")]
    #[diagnostic(
        code(grokform::state::journal_damaged),
        help(
            "grokform did not change it. Lines before {line} are intact; to keep only those, cut the file before that line (the actions recorded after it will be planned again)"
        )
    )]
    JournalDamaged {
        location: String,
        line: usize,
        reason: String,
    },

    /// The journal continues another version of the state than the snapshot beside it (the
    /// snapshot was replaced, e.g. by a git checkout, after a run was interrupted).
    #[error("the state journal `{location}` does not continue the state beside it: {reason}")]
    #[diagnostic(
        code(grokform::state::journal_mismatch),
        help(
            "restore the state file that run started from (it names the serial), or remove the journal to drop the actions it recorded (they will be planned again)"
        )
    )]
    JournalMismatch { location: String, reason: String },

    /// Written by a newer grokform.
    #[error(
        "the state `{location}` has format version {found}, but this grokform reads only up to {supported}"
    )]
    #[diagnostic(
        code(grokform::state::newer_format),
        help("upgrade grokform; an older version must not rewrite a newer state")
    )]
    NewerFormat {
        location: String,
        found: u64,
        supported: u32,
    },

    /// Someone else holds the lock.
    #[error("the state `{location}` is locked by {}", holder.describe())]
    #[diagnostic(
        code(grokform::state::locked),
        help(
            "wait for it to finish (`--lock-timeout 5m` waits up to 5 minutes); if that process is gone for good, run `grokform force-unlock`"
        )
    )]
    Locked {
        location: String,
        holder: Box<LockInfo>,
    },

    /// The remote lock we held was removed or taken over (someone ran `force-unlock`).
    #[error("the lock on `{location}` is no longer ours; refusing to write the state")]
    #[diagnostic(
        code(grokform::state::lock_lost),
        help(
            "someone ran `grokform force-unlock` while this run was working; run `grokform plan` again to see where things stand"
        )
    )]
    LockLost { location: String },

    /// The last saves of a run with remote state could not be uploaded at its end; they are
    /// kept in the local journal.
    #[error("the last saves are not on the server yet, only in `{journal}`: {source}")]
    #[diagnostic(
        code(grokform::state::not_uploaded),
        help(
            "the next `grokform apply` or `grokform plan --lock` on this machine uploads them; until then another machine's plan does not know those actions"
        )
    )]
    NotUploaded {
        journal: String,
        #[source]
        source: Box<StateError>,
    },

    /// The stored state moved on since it was loaded.
    #[error(
        "the state `{location}` has serial {stored}, newer than serial {loaded} this run started from; refusing to overwrite it"
    )]
    #[diagnostic(
        code(grokform::state::newer),
        help("another run wrote the state meanwhile; run `grokform plan` again")
    )]
    Newer {
        location: String,
        stored: u64,
        loaded: u64,
    },

    /// The stored state is a different state altogether.
    #[error(
        "the state `{location}` has lineage `{stored}`, not `{loaded}` this run started from; refusing to overwrite it"
    )]
    #[diagnostic(
        code(grokform::state::other_lineage),
        help("the state was replaced by a different one meanwhile; run `grokform plan` again")
    )]
    OtherLineage {
        location: String,
        stored: String,
        loaded: String,
    },

    /// The state belongs to a different server than the one being planned against.
    #[error("the state was applied to `{state_server}`, but this run targets `{server}`")]
    #[diagnostic(
        code(grokform::state::server_mismatch),
        help(
            "pick the right server (`--server`, `DATAGROK_URL`, `server:`) or environment (`--env`); a different server needs its own state"
        )
    )]
    ServerMismatch {
        state_server: String,
        server: String,
    },

    /// An environment name that cannot be a folder name.
    #[error("`{env}` cannot name an environment's state folder")]
    #[diagnostic(
        code(grokform::state::bad_environment),
        help(
            "environment names are manifest keys: a letter or `_`, then letters, digits, `_` or `-`"
        )
    )]
    BadEnvironment { env: String },

    /// The remote backend needs a server.
    #[error(
        "the state is kept on the server (`state: {{ backend: datagrok }}`), but no server is configured"
    )]
    #[diagnostic(code(grokform::state::needs_server))]
    NeedsServer,

    /// Talking to the server that keeps the state failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Client(#[from] ClientError),
}
