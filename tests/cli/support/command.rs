//! Running the real `grokform` binary: a small builder (args, folder, environment, input) that
//! clears whatever on a developer's machine could change grokform's behaviour, and a `Run`
//! holding what came back, formatted for one snapshot of exit code, stdout and stderr together
//! (uv's `run_and_format`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::process::ChildGuard;

/// Path of the binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_grokform"))
}

/// The repository's root (for examples and schema files).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// miette's report with its wrapped lines joined again, so sentences can be searched.
pub fn unwrapped(report: &str) -> String {
    report.replace("\n  | ", " ")
}

/// A `grokform` invocation under construction.
#[derive(Clone, Debug)]
pub struct Grokform {
    args: Vec<OsString>,
    dir: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
}

/// Starts a `grokform` invocation with `args`.
pub fn grokform<I, S>(args: I) -> Grokform
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    Grokform {
        args: args.into_iter().map(Into::into).collect(),
        dir: None,
        env: Vec::new(),
        stdin: None,
    }
}

/// What a finished run printed and returned.
#[derive(Clone, Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Grokform {
    /// Adds arguments after the ones given so far.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Sets an environment variable for the run (a later value for the same key wins).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Feeds `input` on standard input (otherwise standard input is empty and not a terminal).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Starts the run without waiting (standard input closed, output piped), for tests that
    /// signal the process or run it beside another. The process is killed if the guard drops
    /// before it was waited for, so a failed assertion leaves nothing behind.
    pub fn spawn(self) -> ChildGuard {
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        ChildGuard::new(command.spawn().expect("the grokform binary starts"))
    }

    /// The command with the test environment: cleared of everything that could change
    /// grokform's behaviour on a developer's machine, and colour off.
    fn command(&self) -> Command {
        let mut command = Command::new(binary());
        command.args(&self.args);
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("DATAGROK_") || k.starts_with("GROKFORM_") || k == "GITHUB_ACTIONS" {
                command.env_remove(&key);
            }
        }
        command.env("NO_COLOR", "1");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }

    /// Runs to completion (see `command` for the environment).
    pub fn run(self) -> Run {
        use std::io::Write;
        let mut command = self.command();
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard::new(command.spawn().expect("the grokform binary starts"));
        let input = self.stdin.unwrap_or_default();
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("grokform finishes");
        writer.join().expect("stdin writer finishes");
        Run::from(output)
    }
}

impl From<std::process::Output> for Run {
    fn from(output: std::process::Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Exit code, stdout and stderr in one text, so one snapshot shows everything the user
    /// saw (uv's `run_and_format`); filters are applied when it is snapshotted.
    pub fn format(&self) -> String {
        format!(
            "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.code == 0,
            self.code,
            self.stdout,
            self.stderr
        )
    }
}
