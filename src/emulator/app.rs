//! The state every request handler shares: keys, directory, store, functions, faults and the
//! request log.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::directory::Directory;
use super::fault::FaultSet;
use super::functions::Functions;
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

/// Shared server state.
pub struct App {
    pub api_keys: Vec<String>,
    pub directory: Directory,
    pub store: Store,
    pub functions: Functions,
    pub faults: Mutex<FaultSet>,
    pub requests: Mutex<Vec<RequestRecord>>,
}

impl App {
    /// The fault rules, tolerant of a handler that panicked while holding them.
    pub fn faults(&self) -> MutexGuard<'_, FaultSet> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The request log.
    pub fn requests(&self) -> MutexGuard<'_, Vec<RequestRecord>> {
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
