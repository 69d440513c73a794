//! Runs a plan against a server: every change in dependency order with bounded concurrency,
//! recording each success in the state before the next one can depend on it. The scheduling
//! rules live in `executor` (generic, tested without a server); this module maps plan changes
//! to client calls and state records.

pub mod executor;
