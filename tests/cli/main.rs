//! The one integration-test binary: runs the real `grokform` binary (and the real emulator over
//! real HTTP) the way users do. `support` holds what the tests share; each other file holds the
//! tests of one command or feature.

// Tests set up projects on disk and read the environment freely; the seams bind the library.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod support;

// Older names for what `support` holds, for test files written against them.
mod common;
mod emulator_http;
mod project;

mod adopt;
mod annotations;
mod apply;
mod apply_summary;
mod changes;
mod chaos;
mod ci_examples;
mod client;
mod compat;
mod credentials;
mod drift_repair;
mod emulator_api;
mod emulator_cli;
mod emulator_dashboards;
mod emulator_faults;
mod emulator_files;
mod emulator_functions;
mod emulator_inspection;
mod emulator_internal;
mod emulator_persistence;
mod emulator_python;
mod emulator_robustness;
mod emulator_tables;
mod emulator_ui;
mod environments;
mod fingerprints;
mod help;
mod help_truth;
mod init;
mod keys;
mod keys_property;
mod layouts;
mod lifecycle_deletion;
mod lifecycle_destroy;
mod lifecycle_grants;
mod lifecycle_in_place;
mod lifecycle_replace;
mod local_state;
mod lock;
mod long_input;
mod one_pass_upload;
mod plan_formats;
mod plan_memo;
mod recovery;
mod refresh;
mod refresh_columns;
mod remote_journal;
mod remote_state;
mod replace;
mod saved_plans;
mod schema;
mod schema_safety;
mod stat_cache;
mod state;
mod state_cmds;
mod state_journal;
mod uncertain;
mod validate;
mod validate_property;
