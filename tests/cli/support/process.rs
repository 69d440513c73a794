//! Child processes that cannot outlive their test, and waiting for a condition instead of for a
//! fixed time: a test that fails an assertion half-way (or a machine slower than the author's)
//! must neither leave a process behind nor fail for timing alone.

use std::ops::{Deref, DerefMut};
use std::process::{Child, ExitStatus, Output};
use std::time::{Duration, Instant};

/// How long a condition may take before the test gives up: far more than any of them needs on
/// an idle machine, so only a real hang fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A child process killed (and reaped) when the guard drops without having been waited for.
#[derive(Debug)]
pub struct ChildGuard {
    child: Option<Child>,
    /// The child leads its own process group (`CommandExt::process_group(0)`): the whole group
    /// is killed, so helpers it started (e.g. `flock`'s command) go too.
    group: bool,
}

impl ChildGuard {
    pub fn new(child: Child) -> Self {
        ChildGuard {
            child: Some(child),
            group: false,
        }
    }

    /// A child started with `process_group(0)`: dropping the guard kills its whole group.
    pub fn group_leader(child: Child) -> Self {
        ChildGuard {
            child: Some(child),
            group: true,
        }
    }

    /// Sends `signal` (`INT`, `TERM`, …) to the child, or to its group for a group leader.
    #[track_caller]
    pub fn signal(&self, signal: &str) {
        let target = if self.group {
            format!("-{}", self.id())
        } else {
            self.id().to_string()
        };
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg("--")
            .arg(&target)
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{signal} {target} failed");
    }

    /// The child itself, for a test that guards it its own way.
    pub fn into_child(mut self) -> Child {
        self.child.take().expect("not waited for yet")
    }

    /// Waits for the exit, collecting piped output (as `Child::wait_with_output`).
    pub fn wait_with_output(mut self) -> std::io::Result<Output> {
        let child = self.child.take().expect("not waited for yet");
        child.wait_with_output()
    }

    /// Waits for the exit (as `Child::wait`, but consuming the guard).
    pub fn wait(mut self) -> std::io::Result<ExitStatus> {
        let mut child = self.child.take().expect("not waited for yet");
        let status = child.wait();
        if self.group {
            // The leader is gone; anything it started must not linger either.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(std::process::Stdio::null())
                .status();
        }
        status
    }
}

impl Deref for ChildGuard {
    type Target = Child;
    fn deref(&self) -> &Child {
        self.child.as_ref().expect("not waited for yet")
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("not waited for yet")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if self.group {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(std::process::Stdio::null())
                .status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Polls `condition` until it holds; fails the test, naming `what`, after [`PATIENCE`].
#[track_caller]
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "gave up after {PATIENCE:?} waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet: it runs no more).
pub fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // `pid (comm) STATE …`; the command may hold spaces and parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn a_group_leaders_guard_ends_what_it_started_when_the_test_fails() {
        let mut child = ChildGuard::group_leader(
            Command::new("sh")
                .args(["-c", "sleep 60 & echo $!; wait"])
                .stdout(Stdio::piped())
                .process_group(0)
                .spawn()
                .unwrap(),
        );
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let (leader, helper) = (child.id(), line.trim().parse::<u32>().unwrap());
        assert!(!is_gone(helper), "the helper runs");
        // A failed assertion unwinds through the guard.
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _child = child;
            panic!("an assertion failed");
        }));
        assert!(failed.is_err());
        wait_until("the leader and its helper are gone", || {
            is_gone(leader) && is_gone(helper)
        });
    }
}
