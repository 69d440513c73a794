//! Why an emulator could not start. Request-level failures are answers, not errors, so they
//! live in `api_error`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// An emulator failed to start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EmulatorError {
    /// The listening socket could not be opened.
    #[error("cannot listen on `{addr}`")]
    #[diagnostic(help("pick another port with `--port`, or 0 for any free port"))]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The data folder could not be created or read.
    #[error("cannot use the data folder `{}`", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another running emulator uses the data folder.
    #[error("the data folder `{}` is in use by another running emulator", path.display())]
    #[diagnostic(help("stop the other emulator, or give this one its own `--data` folder"))]
    DataDirInUse { path: PathBuf },
    /// The data folder holds an emulator state that does not parse.
    #[error("the emulator state `{}` is unreadable: {message}", path.display())]
    #[diagnostic(help(
        "it was not written by this version of grokform; move the folder away to start empty"
    ))]
    CorruptState { path: PathBuf, message: String },
    /// The background runtime could not be started.
    #[error("cannot start the emulator's runtime")]
    Runtime(#[source] std::io::Error),
}
