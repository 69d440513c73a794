//! grokform: Terraform for Datagrok dashboards.
//!
//! The pipeline (see `DESIGN.md`): `manifest` (YAML with spans) → `model` (resolved, with
//! diagnostics) → `plan` (pure, against the `state`) → `apply` (through the `client`). The
//! `emulator` is a built-in Datagrok server for tests, demos and `--server local`.

pub mod address;
pub mod apply;
pub mod cli;
pub mod client;
pub mod emulator;
pub mod graph;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod render;
pub mod state;
