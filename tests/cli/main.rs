//! The one integration-test binary: runs the real `grokform` binary (and the real emulator over
//! real HTTP) the way users do. `support` holds what the tests share; each other file holds the
//! tests of one command or feature.

mod support;

// Older names for what `support` holds, for test files written against them.
mod common;
mod emulator_http;
mod project;

mod client;
mod emulator_api;
mod emulator_cli;
mod emulator_faults;
mod emulator_python;
mod emulator_robustness;
mod help;
mod plan_apply;
mod schema;
mod state;
mod validate;
mod workflow;
