//! Why one change failed.

use crate::address::Address;
use crate::client::ClientError;
use crate::state::StateError;

/// Why one change failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ApplyError {
    #[error("{address}: {source}")]
    Client {
        address: Address,
        #[source]
        #[diagnostic_source]
        source: ClientError,
    },
    #[error("{address}: the change was made but the state could not be saved: {source}")]
    State {
        address: Address,
        #[source]
        source: StateError,
    },
    #[error(
        "{address}: an earlier apply sent this dashboard's create request and {happened}, so the \
         server may already hold `{name}`; {lookup}"
    )]
    #[diagnostic(help(
        "look for `{name}` on the server; if it is there, delete it in Datagrok or keep it and \
         accept a second one: run `grokform apply --confirm-uncertain {address}` to create it again"
    ))]
    Uncertain {
        address: Address,
        name: String,
        /// What the create request got ("it answered 502 Bad Gateway").
        happened: String,
        /// Why the lookup that resolves it could not decide.
        lookup: String,
    },
    #[error(
        "{address}: an earlier apply sent this dashboard's create request and {happened}, and \
         {count} dashboards named `{name}` that grokform does not record show its tables: {candidates}"
    )]
    #[diagnostic(help(
        "keep the one you want and delete the others in Datagrok, then run apply again: it adopts \
         a single match; or run `grokform apply --confirm-uncertain {address}` to create one more"
    ))]
    UncertainCandidates {
        address: Address,
        name: String,
        happened: String,
        count: usize,
        /// `/p/<id>` of each candidate, sorted.
        candidates: String,
    },
    #[error(
        "{address}: an earlier apply sent this call of `{function}` and {happened}, so the server \
         may already have run it"
    )]
    #[diagnostic(help(
        "check the server: if the call did not run, run `grokform apply --confirm-uncertain \
         {address}` to run it; if it did, `grokform apply --accept-uncertain {address}` records \
         it as run; if running it twice is harmless, declare `idempotent: true` on `calls.{key}`"
    ))]
    UncertainCall {
        address: Address,
        key: String,
        function: String,
        happened: String,
    },
    #[error("{address}: {message}")]
    Refused { address: Address, message: String },
    /// The server accepted the write, but reading the object back finds nothing.
    #[error("{address}: {source}")]
    #[diagnostic(help(
        "the state keeps the ID the server answered; the next `grokform refresh` shows whether the object exists, and `plan` repairs it"
    ))]
    NotOnServer {
        address: Address,
        #[source]
        source: crate::refresh::ReadBackError,
    },
}

pub(super) fn client_error(address: &Address, source: ClientError) -> ApplyError {
    ApplyError::Client {
        address: address.clone(),
        source,
    }
}

pub(super) fn refused(address: &Address, message: &str) -> ApplyError {
    ApplyError::Refused {
        address: address.clone(),
        message: message.to_string(),
    }
}
