//! A copy of an example project in a temporary folder, bound to a running emulator, so tests
//! can edit the manifest and its files and run `grokform` on it as a user would.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use grokform::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig};
use serde_json::Value;

use crate::common::{Grokform, Run, grokform, repo_root};

pub struct Project {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub key: String,
}

/// Starts an emulator with the default demo key.
pub fn emulator() -> Emulator {
    Emulator::start_blocking(EmulatorConfig::default()).expect("the emulator starts")
}

/// Starts an emulator accepting only `key`.
pub fn emulator_with_key(key: &str) -> Emulator {
    let config = EmulatorConfig {
        api_keys: vec![key.to_string()],
        ..Default::default()
    };
    Emulator::start_blocking(config).expect("the emulator starts")
}

impl Project {
    /// A copy of `examples/<name>` talking to `emulator` with the default key.
    pub fn example(name: &str, emulator: &Emulator) -> Project {
        let dir = tempfile::tempdir().expect("a temp dir");
        copy_dir(&repo_root().join("examples").join(name), dir.path());
        Project {
            dir,
            url: emulator.url(),
            key: DEFAULT_API_KEY.to_string(),
        }
    }

    pub fn quickstart(emulator: &Emulator) -> Project {
        Project::example("quickstart", emulator)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// `grokform ARGS` in the project, with the emulator's URL and key in the environment.
    pub fn grokform(&self, args: &[&str]) -> Grokform {
        grokform(args)
            .current_dir(self.root())
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

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).expect("the file is readable")
    }

    pub fn write(&self, relative: &str, content: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).expect("the file is writable");
    }

    /// Rewrites the manifest with `edit`, asserting it changed something.
    #[track_caller]
    pub fn edit(&self, relative: &str, edit: impl FnOnce(&str) -> String) {
        let before = self.read(relative);
        let after = edit(&before);
        assert_ne!(before, after, "the edit of {relative} changed nothing");
        self.write(relative, &after);
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&self.read(".grokform/state.json")).expect("the state is JSON")
    }

    /// Every file below the project, with its bytes (for secret scans).
    pub fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.root(), &mut out);
        out
    }
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

/// Insta settings that hide what changes between runs: temp folders, ports, IDs.
pub fn filters() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]");
    settings.add_filter(r"pid \d+", "pid [PID]");
    settings
}

/// The objects of one kind the emulator holds (`tables`, `files`, `dashboards`, `shares`, `calls`).
pub fn held(emulator: &Emulator, kind: &str) -> Vec<Value> {
    emulator.inspect()[kind]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
