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
        "{address}: an earlier apply sent this dashboard's create request but got no answer, so the \
         server may already hold `{name}`"
    )]
    #[diagnostic(help(
        "look for `{name}` on the server; if it is there, delete it in Datagrok or keep it and \
         accept a second one: run `grokform apply --confirm-uncertain {address}` to create it again"
    ))]
    Uncertain { address: Address, name: String },
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
