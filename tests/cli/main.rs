//! The one integration-test binary: runs the real `grokform` binary (and the real emulator over
//! real HTTP) the way users do. Each file holds the tests of one command or feature.

mod common;

mod client;
mod emulator_api;
mod emulator_cli;
mod emulator_faults;
mod emulator_http;
mod emulator_internal;
mod emulator_python;
mod emulator_robustness;
mod emulator_ui;
mod help;
mod keys;
mod keys_property;
mod long_input;
mod plan_apply;
mod project;
mod refresh;
mod schema;
mod state;
mod validate;
mod workflow;
