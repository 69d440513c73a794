//! The project helpers moved to `support::TestContext`; these names stay for test files written
//! against them: `Project::quickstart(&server)` is a context bound to an emulator the test
//! owns.

#![allow(dead_code, unused_imports)]

use std::ops::{Deref, DerefMut};

use grokform::emulator::Emulator;

pub use crate::support::held;
use crate::support::{Server, TestContext};

/// A copy of an example project bound to a running emulator (see `TestContext`).
pub struct Project(TestContext);

impl Project {
    /// A copy of `examples/<name>` talking to `emulator` with the default key.
    pub fn example(name: &str, emulator: &Emulator) -> Project {
        Project(TestContext::new().with_example(name).on(emulator))
    }

    /// The project in `dir` (a folder the test filled) talking to `emulator`.
    pub fn at(dir: tempfile::TempDir, emulator: &Emulator) -> Project {
        Project(TestContext::in_dir(dir).on(emulator))
    }

    pub fn quickstart(emulator: &Emulator) -> Project {
        Project::example("quickstart", emulator)
    }
}

impl Deref for Project {
    type Target = TestContext;
    fn deref(&self) -> &TestContext {
        &self.0
    }
}

impl DerefMut for Project {
    fn deref_mut(&mut self) -> &mut TestContext {
        &mut self.0
    }
}

/// Starts an emulator with the default demo key.
pub fn emulator() -> Emulator {
    Server::new().start()
}

/// Starts an emulator accepting only `key`.
pub fn emulator_with_key(key: &str) -> Emulator {
    Server::new().key(key).start()
}

/// Insta settings that hide what changes between runs, for a test without a `TestContext`
/// (whose `filters()` know its own folder and port): any local port, and any folder `tempfile`
/// makes in the temporary folder, as `[TMP]`.
pub fn filters() -> insta::Settings {
    let temp = std::env::temp_dir().display().to_string();
    let temp = temp.trim_end_matches(std::path::MAIN_SEPARATOR);
    crate::support::Filters::default()
        .regex(
            &format!(
                r"{}/\.tmp[A-Za-z0-9]+",
                crate::support::filters::escape(temp)
            ),
            "[TMP]",
        )
        .regex(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]")
        .settings()
}
