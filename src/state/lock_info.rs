//! Who holds a state lock, recorded in the lock so that a blocked run can say whom it waits for.

use serde::{Deserialize, Serialize};

/// The holder of a lock: written into the lock file (or remote lock object) on acquire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockInfo {
    /// A random nonce telling two holders apart (the remote lock checks it is still ours).
    pub id: String,
    /// `$USER`, or `unknown`.
    pub who: String,
    pub pid: u32,
    pub host: String,
    /// The command holding it (`apply`, `plan`).
    pub operation: String,
    /// RFC 3339, UTC, seconds.
    pub started: String,
}

impl Default for LockInfo {
    fn default() -> Self {
        LockInfo {
            id: String::new(),
            who: "unknown".into(),
            pid: 0,
            host: "unknown".into(),
            operation: "unknown".into(),
            started: "an unknown time".into(),
        }
    }
}

impl LockInfo {
    /// This process, now, running `operation`.
    pub fn current(operation: &str) -> Self {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            who: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| "unknown".into()),
            pid: std::process::id(),
            host: hostname(),
            operation: operation.to_string(),
            started: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }

    /// Reads a lock's content; an empty or unreadable one is an unknown holder (it may be
    /// between taking the lock and writing its name).
    pub fn parse(bytes: &[u8]) -> LockInfo {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    /// The lock's content.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("lock info serialises");
        text.push('\n');
        text
    }

    /// `jane (pid 4242 on ci-runner-7) running `apply` since 2026-01-01T10:00:00Z`; for a
    /// holder that wrote no details (not grokform), what the OS told: `pid 4242 on ci-runner-7
    /// (it wrote no details into the lock)`.
    pub fn describe(&self) -> String {
        match (self.id.is_empty(), self.pid) {
            (false, _) => format!(
                "{} (pid {} on {}) running `{}` since {}",
                self.who, self.pid, self.host, self.operation, self.started
            ),
            (true, 0) => "a process that wrote no details into the lock (not grokform?)".into(),
            (true, pid) => format!(
                "pid {pid} on {} (it wrote no details into the lock: not grokform?)",
                self.host
            ),
        }
    }

    /// This machine's name, as holders record it.
    pub(crate) fn this_host() -> String {
        hostname()
    }
}

/// The machine's name, without a crate: `/etc/hostname`, the kernel's, `$HOSTNAME`.
fn hostname() -> String {
    ["/etc/hostname", "/proc/sys/kernel/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_garbage() {
        let info = LockInfo::current("apply");
        assert_eq!(info.pid, std::process::id());
        assert_eq!(LockInfo::parse(info.to_json().as_bytes()), info);
        assert_eq!(LockInfo::parse(b""), LockInfo::default());
        assert_eq!(LockInfo::parse(b"{not json").who, "unknown");
        assert!(info.describe().contains("running `apply` since"));
    }

    #[test]
    fn a_holder_without_details_is_named_by_what_the_os_told() {
        let holder = LockInfo {
            pid: 77,
            host: "ci-7".into(),
            ..LockInfo::default()
        };
        assert_eq!(
            holder.describe(),
            "pid 77 on ci-7 (it wrote no details into the lock: not grokform?)"
        );
        assert!(LockInfo::default().describe().contains("wrote no details"));
    }
}
