//! The built-in Datagrok server: Datagrok's public REST API (`datagrok-api.md`) served from
//! a folder, with inspection and fault injection for tests. It is its own module because it
//! is a server, not part of grokform's pipeline: nothing in `plan` or `apply` may depend on
//! it, and the `client` must work the same against it and a real Datagrok.
//!
//! Start it with [`Emulator::start`] (async) or [`Emulator::start_blocking`]; stop it by
//! dropping the handle.

mod answer;
mod app;
mod config;
mod csv_check;
mod directory;
mod error;
mod fault;
mod functions;
mod ids;
mod names;
mod refusal;
mod routes;
mod server;
mod store;

pub use app::RequestRecord;
pub use config::{DEFAULT_API_KEY, EmulatorConfig};
pub use error::EmulatorError;
pub use fault::{FaultKind, FaultRule, FaultSpecError};
pub use functions::FunctionBody;
pub use refusal::{InternalRoute, Refusal, RefusalRule, RefusalSpecError};
pub use server::Emulator;
