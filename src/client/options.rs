//! How long to wait and how often to try again: the knobs of the transport, kept apart from it
//! so callers can build them without seeing how requests are sent.

use std::time::Duration;

/// Timeouts and the retry policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Whole-request limit for JSON writes (Datagrok's own CLI uses 60 s).
    pub timeout_json: Duration,
    /// Whole-request limit for reads of JSON (the healthcheck and the internal routes). Some
    /// reads hang on a busy server (a huge project), so they get their own, shorter deadline,
    /// and a read that hit it is not tried again: it would most likely hang again.
    pub timeout_read: Duration,
    /// Whole-request limit for byte transfers: uploads and downloads (600 s). Uploads get one
    /// more second per MiB of the file on top.
    pub timeout_transfer: Duration,
    /// Limit for establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for requests that may be retried.
    pub retries: u32,
    /// First backoff ceiling; it doubles per retry.
    pub backoff_base: Duration,
    /// Largest backoff ceiling.
    pub backoff_max: Duration,
    /// Largest `Retry-After` honoured; longer ones are cut to this.
    pub retry_after_max: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout_json: Duration::from_secs(60),
            timeout_read: Duration::from_secs(30),
            timeout_transfer: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(10),
            retries: 4,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            retry_after_max: Duration::from_secs(60),
        }
    }
}
