//! Why a change to the store failed. These become the message of the ApiError a request gets,
//! so they name the object and say what to do, lowercase with names in backticks.

use std::path::PathBuf;

use uuid::Uuid;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The metadata (snapshot or journal) could not be written.
    #[error("the emulator could not save its state: {0}")]
    Save(#[source] std::io::Error),
    /// An upload's bytes could not be moved into place.
    #[error("the upload could not be saved: {0}")]
    Blob(#[source] std::io::Error),
    /// The stored bytes of an object could not be removed.
    #[error("cannot delete `{}`: {source}", path.display())]
    Delete {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is where a folder of the new path must be.
    #[error("cannot create `{path}`: `{prefix}` is a file, not a folder")]
    FileInTheWay { path: String, prefix: String },
    /// The new path is a folder holding files.
    #[error("cannot write `{path}`: it is a folder")]
    IsAFolder { path: String },
    /// A relation names an entity the emulator does not hold as a table.
    #[error("entity `{0}` not found: relations must be tables")]
    UnknownRelation(Uuid),
    /// A new project came without any name.
    #[error("a project needs a `name` or `friendlyName`")]
    Unnamed,
}
