//! The one way tests start an emulator, in this process or as a `grokform emulator` process,
//! from the same settings; and a Rust client for it. A spawned process is killed when its
//! handle drops; an in-process emulator stops when its `Emulator` drops.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use grokform::client::{ApiKey, Client, ClientOptions};
use grokform::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig, EmulatorError, FaultRule};

use super::command::binary;
use super::process::ChildGuard;

/// How an emulator is started: keys, groups, data folder, faults.
#[derive(Clone, Debug, Default)]
pub struct Server {
    keys: Vec<String>,
    groups: Vec<String>,
    data: Option<PathBuf>,
    /// As written, because a spawned process takes them as `--fault` flags.
    faults: Vec<String>,
}

impl Server {
    /// The default: the demo key, the built-in groups, a temporary data folder, no faults.
    pub fn new() -> Self {
        Server::default()
    }

    /// Accepts `key` (repeatable) instead of the demo key.
    pub fn key(mut self, key: &str) -> Self {
        self.keys.push(key.to_owned());
        self
    }

    /// Adds a group to the directory.
    pub fn group(mut self, name: &str) -> Self {
        self.groups.push(name.to_owned());
        self
    }

    /// Keeps the data in `dir` (across restarts).
    pub fn data(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data = Some(dir.into());
        self
    }

    /// A fault active from the start, in `--fault` syntax.
    pub fn fault(mut self, spec: &str) -> Self {
        self.faults.push(spec.to_owned());
        self
    }

    /// The key clients should use: the first one given, or the demo key.
    pub fn api_key(&self) -> String {
        self.keys
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_API_KEY.to_owned())
    }

    fn config(&self) -> EmulatorConfig {
        let mut config = EmulatorConfig {
            data_dir: self.data.clone(),
            groups: self.groups.clone(),
            faults: self
                .faults
                .iter()
                .map(|spec| spec.parse::<FaultRule>().expect("a valid fault spec"))
                .collect(),
            ..EmulatorConfig::default()
        };
        if !self.keys.is_empty() {
            config.api_keys = self.keys.clone();
        }
        config
    }

    /// Starts in this process, on a background thread (for synchronous tests).
    #[track_caller]
    pub fn start(&self) -> Emulator {
        self.try_start().expect("the emulator starts")
    }

    /// Starts in this process, or says why it cannot.
    pub fn try_start(&self) -> Result<Emulator, EmulatorError> {
        Emulator::start_blocking(self.config())
    }

    /// Starts on the caller's tokio runtime.
    pub async fn start_async(&self) -> Emulator {
        Emulator::start(self.config())
            .await
            .expect("the emulator starts")
    }

    /// Starts `grokform emulator` as a process on a free port, with these settings as flags,
    /// and waits for its banner.
    #[track_caller]
    pub fn spawn(&self) -> ServerProcess {
        let mut command = Command::new(binary());
        command
            .args(["emulator", "--port", "0"])
            .env("NO_COLOR", "1")
            .env_remove("GROKFORM_EMULATOR_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Nothing is read from it, so it must not be able to fill a pipe and block.
            .stderr(Stdio::null());
        if let Some(dir) = &self.data {
            command.arg("--data").arg(dir);
        }
        for key in &self.keys {
            command.args(["--api-key", key]);
        }
        for group in &self.groups {
            command.args(["--group", group]);
        }
        for fault in &self.faults {
            command.args(["--fault", fault]);
        }
        let mut child = ChildGuard::new(command.spawn().expect("the grokform binary starts"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut banner = String::new();
        loop {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).expect("the banner is readable");
            assert!(
                read > 0,
                "the emulator exited before its banner ended: {banner}"
            );
            banner.push_str(&line);
            if line.starts_with("inspect:") {
                break;
            }
        }
        let url = banner
            .lines()
            .next()
            .and_then(|l| l.rsplit(' ').next())
            .expect("the first line ends with the URL");
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches("/api")
            .parse()
            .expect("an address in the first line");
        ServerProcess {
            child,
            addr,
            banner,
            key: self.api_key(),
        }
    }
}

/// A running `grokform emulator` process, killed on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: ChildGuard,
    addr: SocketAddr,
    /// What it printed on start, up to and including its `inspect:` line.
    pub banner: String,
    key: String,
}

impl ServerProcess {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API's base URL, ending in `/api`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it with SIGTERM (what CI sends services) and returns its exit code.
    pub fn terminate(self) -> i32 {
        self.child.signal("TERM");
        let status = self.child.wait().expect("the emulator can be waited for");
        status.code().unwrap_or(-1)
    }
}

/// Client options with short back-offs and timeouts, so retry tests take milliseconds.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        timeout_json: Duration::from_secs(10),
        timeout_transfer: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

/// grokform's client for the server at `url`, with `key` and [`fast_options`].
pub fn client_for(url: &str, key: &str) -> Client {
    Client::new(
        url,
        ApiKey::new(key.into()).expect("a valid key"),
        fast_options(),
    )
    .expect("a valid URL")
}

/// An emulator on the caller's runtime and a client for it.
pub async fn start_with_client() -> (Emulator, Client) {
    let emulator = Server::new().start_async().await;
    let client = client_for(&emulator.url(), DEFAULT_API_KEY);
    (emulator, client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::process::{is_gone, wait_until};

    #[test]
    fn a_spawned_server_is_stopped_when_the_test_fails() {
        let server = Server::new().spawn();
        let pid = server.pid();
        assert!(server.banner.starts_with("grokform emulator listening on "));
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _server = server;
            panic!("an assertion failed");
        }));
        assert!(failed.is_err());
        wait_until("the emulator process is gone", || is_gone(pid));
    }
}
