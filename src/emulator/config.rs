//! What an emulator is started with; kept apart from the server so the CLI and tests build it
//! without touching networking.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use super::fault::FaultRule;
use super::refusal::RefusalRule;

/// The API key `grokform emulator` and `--server local` accept when no `--api-key` is given.
/// It is a public demo key: anyone who can reach the port can use it.
pub const DEFAULT_API_KEY: &str = "grokform-local";

/// How to start an [`Emulator`](super::Emulator).
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Where objects persist across restarts; `None` keeps them in a private temporary folder
    /// removed when the emulator stops.
    pub data_dir: Option<PathBuf>,
    /// Keys accepted as `Authorization: Bearer <key>`; every key acts as the user `Admin`.
    pub api_keys: Vec<String>,
    /// Groups added to the built-in directory.
    pub groups: Vec<String>,
    /// Faults active from the start.
    pub faults: Vec<FaultRule>,
    /// Internal routes refused from the start.
    pub refusals: Vec<RefusalRule>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: None,
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            groups: Vec::new(),
            faults: Vec::new(),
            refusals: Vec::new(),
        }
    }
}
