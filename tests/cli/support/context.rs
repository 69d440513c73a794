//! The test context: a project in a temporary folder (empty, or a copy of an example), the
//! emulator it talks to, and the snapshot filters that follow from both. Everything a test
//! makes is owned here, so it is cleaned up however the test ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use grokform::emulator::{DEFAULT_API_KEY, Emulator};
use serde_json::Value;

use super::command::{Grokform, Run, grokform, repo_root};
use super::filters::Filters;
use super::server::Server;

/// A project folder and (usually) the emulator its runs talk to.
pub struct TestContext {
    pub dir: tempfile::TempDir,
    /// `DATAGROK_URL` of every run; empty without a server.
    pub url: String,
    /// `DATAGROK_API_KEY` of every run.
    pub key: String,
    /// The server when this context started it (shared with `checkout`s of it).
    server: Option<Arc<Emulator>>,
    /// Where the server listens, for the filters (also for a server the test owns).
    addr: Option<std::net::SocketAddr>,
    example: Option<String>,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    /// An empty project folder and no server (for `validate`, `init`, `schema` …).
    pub fn new() -> Self {
        TestContext {
            dir: tempfile::tempdir().expect("a temp dir"),
            url: String::new(),
            key: String::new(),
            server: None,
            addr: None,
            example: None,
        }
    }

    /// The project in `dir`, a folder the test already filled, and no server yet.
    pub fn in_dir(dir: tempfile::TempDir) -> Self {
        TestContext { dir, ..Self::new() }
    }

    /// A copy of `examples/<name>` with an emulator of its own.
    pub fn example(name: &str) -> Self {
        Self::new().with_example(name).with_server(Server::new())
    }

    /// A copy of the quickstart with an emulator of its own.
    pub fn quickstart() -> Self {
        Self::example("quickstart")
    }

    /// Copies `examples/<name>` into the project (without any `.grokform/` it may have).
    pub fn with_example(mut self, name: &str) -> Self {
        copy_dir(&repo_root().join("examples").join(name), self.root());
        self.example = Some(name.to_owned());
        self
    }

    /// Starts `server` for this project.
    pub fn with_server(mut self, server: Server) -> Self {
        let emulator = server.start();
        self.key = server.api_key();
        self.bind(&emulator);
        self.server = Some(Arc::new(emulator));
        self
    }

    /// Runs against `emulator`, which the test owns, with the demo key.
    pub fn on(mut self, emulator: &Emulator) -> Self {
        self.key = DEFAULT_API_KEY.to_owned();
        self.bind(emulator);
        self
    }

    fn bind(&mut self, emulator: &Emulator) {
        self.url = emulator.url();
        self.addr = Some(emulator.addr());
    }

    /// Another fresh copy of the same example on the same server and key: a second CI runner,
    /// or a new checkout.
    pub fn checkout(&self) -> TestContext {
        let mut other = TestContext::new();
        if let Some(example) = &self.example {
            other = other.with_example(example);
        }
        other.url = self.url.clone();
        other.key = self.key.clone();
        other.addr = self.addr;
        other.server = self.server.clone();
        other
    }

    /// The emulator this context started.
    #[track_caller]
    pub fn server(&self) -> &Emulator {
        self.server
            .as_deref()
            .expect("this context has no server of its own (see `with_server`)")
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// `grokform ARGS` in the project, with the server's URL and key in the environment.
    pub fn grokform(&self, args: &[&str]) -> Grokform {
        let command = grokform(args).current_dir(self.root());
        if self.url.is_empty() {
            return command;
        }
        command
            .env("DATAGROK_URL", &self.url)
            .env("DATAGROK_API_KEY", &self.key)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.grokform(args).run()
    }

    /// `apply --auto-approve`, asserting success.
    #[track_caller]
    pub fn apply(&self) -> Run {
        let run = self.run(&["apply", "--auto-approve"]);
        run.code(0);
        run
    }

    /// Filters for this project's folder (`[PROJECT]`), the temporary folder (`[TMP]`), the
    /// server's port (`[PORT]`), and random values.
    pub fn filters(&self) -> Filters {
        let filters = Filters::new().path(self.root(), "[PROJECT]");
        match self.addr {
            Some(addr) => filters.server(addr),
            None => filters,
        }
    }

    #[track_caller]
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).expect("the file is readable")
    }

    /// Writes a file of the project, making its folders.
    pub fn write(&self, relative: &str, content: &str) {
        self.write_bytes(relative, content.as_bytes());
    }

    /// Writes a file of the project, making its folders (for content that is not UTF-8).
    pub fn write_bytes(&self, relative: &str, content: &[u8]) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a folder")).unwrap();
        std::fs::write(path, content).expect("the file is writable");
    }

    /// Rewrites the file with `edit`, asserting it changed something.
    #[track_caller]
    pub fn edit(&self, relative: &str, edit: impl FnOnce(&str) -> String) {
        let before = self.read(relative);
        let after = edit(&before);
        assert_ne!(before, after, "the edit of {relative} changed nothing");
        self.write(relative, &after);
    }

    #[track_caller]
    pub fn state(&self) -> Value {
        serde_json::from_str(&self.read(".grokform/state.json")).expect("the state is JSON")
    }

    /// Every file below the project, with its bytes (for secret scans).
    pub fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.root(), &mut out);
        out
    }

    /// The objects of one kind the server holds.
    #[track_caller]
    pub fn held(&self, kind: &str) -> Vec<Value> {
        held(self.server(), kind)
    }
}

/// The objects of one kind `emulator` holds (`tables`, `files`, `dashboards`, `shares`,
/// `calls`).
pub fn held(emulator: &Emulator, kind: &str) -> Vec<Value> {
    emulator.inspect()[kind]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The `key` field of each of `values`, as text (`""` where it is missing).
pub fn ids(values: &[Value], key: &str) -> Vec<String> {
    values
        .iter()
        .map(|v| v[key].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Requests that changed something on `emulator` since the `from`-th (everything but reads).
pub fn writes_since(emulator: &Emulator, from: usize) -> Vec<String> {
    emulator.requests()[from..]
        .iter()
        .filter(|r| !r.is_read())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".grokform" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}
