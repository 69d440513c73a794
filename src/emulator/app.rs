//! The state every request handler shares: keys, directory, store, functions, faults,
//! refusals and the request log.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::directory::Directory;
use super::fault::FaultSet;
use super::functions::Functions;
use super::refusal::Refusals;
use super::store::Store;

/// One request as the emulator saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: String,
    /// The path after `/api`, as sent (still percent-encoded), without the query.
    pub path: String,
    /// The query string, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The status answered; 0 while in flight or when the connection was dropped.
    pub status: u16,
}

impl RequestRecord {
    /// Whether the request only reads: a GET or HEAD, or the files' sync route, a POST that
    /// answers ETags and contents and changes nothing (refreshes use it).
    pub fn is_read(&self) -> bool {
        self.method == "GET"
            || self.method == "HEAD"
            || (self.method == "POST" && self.path.starts_with("/public/v1/files/sync/"))
    }
}

/// The request log: the most recent requests in arrival order, bounded so a long-running
/// emulator does not grow without end.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: VecDeque<RequestRecord>,
    /// Sequence number of the first entry kept.
    first: u64,
}

impl RequestLog {
    /// How many requests are kept; older ones are forgotten.
    pub const LIMIT: usize = 100_000;

    /// Appends a request; returns its sequence number for [`RequestLog::set_status`].
    pub fn push(&mut self, record: RequestRecord) -> u64 {
        if self.entries.len() == Self::LIMIT {
            self.entries.pop_front();
            self.first += 1;
        }
        self.entries.push_back(record);
        self.first + self.entries.len() as u64 - 1
    }

    /// Records the answer's status of request `sequence` (if it is still kept).
    pub fn set_status(&mut self, sequence: u64, status: u16) {
        let Some(index) = sequence.checked_sub(self.first) else {
            return;
        };
        if let Some(record) = usize::try_from(index)
            .ok()
            .and_then(|i| self.entries.get_mut(i))
        {
            record.status = status;
        }
    }

    /// The kept requests, oldest first.
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.entries.iter().cloned().collect()
    }

    /// Forgets every request.
    pub fn clear(&mut self) {
        self.first += self.entries.len() as u64;
        self.entries.clear();
    }
}

/// Shared server state.
pub struct App {
    pub api_keys: Vec<String>,
    pub directory: Directory,
    pub store: Store,
    pub functions: Functions,
    pub faults: Mutex<FaultSet>,
    pub refusals: Mutex<Refusals>,
    pub requests: Mutex<RequestLog>,
}

impl App {
    /// The fault rules, tolerant of a handler that panicked while holding them.
    pub fn faults(&self) -> MutexGuard<'_, FaultSet> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The refused internal routes.
    pub fn refusals(&self) -> MutexGuard<'_, Refusals> {
        self.refusals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The request log.
    pub fn requests(&self) -> MutexGuard<'_, RequestLog> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an `Authorization` header value carries an accepted key (`Bearer <key>`, or the
    /// bare key as Datagrok's Python client documents it may be sent).
    pub fn authorized(&self, header: Option<&str>) -> bool {
        let Some(value) = header else { return false };
        let value = value.trim();
        let key = match value.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => key.trim(),
            _ => value,
        };
        !key.is_empty() && self.api_keys.iter().any(|k| k == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str) -> RequestRecord {
        RequestRecord {
            method: "GET".into(),
            path: path.into(),
            query: None,
            status: 0,
        }
    }

    #[test]
    fn the_log_is_bounded_and_statuses_find_their_request() {
        let mut log = RequestLog::default();
        let first = log.push(record("/0"));
        for i in 1..=RequestLog::LIMIT {
            log.push(record(&format!("/{i}")));
        }
        log.set_status(first, 500); // already forgotten: no effect, no panic
        let last = log.push(record("/last"));
        log.set_status(last, 201);
        let kept = log.snapshot();
        assert_eq!(kept.len(), RequestLog::LIMIT);
        assert_eq!(kept[0].path, "/2");
        assert_eq!(kept.last().unwrap().status, 201);
        log.clear();
        log.set_status(last, 202);
        assert!(log.snapshot().is_empty());
        assert_eq!(log.push(record("/after")), last + 1);
    }
}
