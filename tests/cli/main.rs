//! The one integration-test binary: runs the real `grokform` binary (and the real emulator over
//! real HTTP) the way users do. Each file holds the tests of one command or feature.

mod common;

mod client;
mod help;
mod schema;
mod state;
mod validate;
