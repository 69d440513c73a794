//! The raw HTTP client moved to `support::http`; these names stay for test files written
//! against them.

#![allow(dead_code, unused_imports)]

pub use crate::support::http::*;

/// Starts an emulator with the default settings (see `support::Server`).
pub fn start() -> grokform::emulator::Emulator {
    crate::support::Server::new().start()
}
