//! One logical request, described before it is sent: route, query, body, whether it may be
//! repeated and which deadline applies. Endpoints build these with a few chained calls
//! instead of spelling out every field, so the choices that matter (repeat, deadline) stand
//! out where they differ from a route's kind.

use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use super::file_stream;
use super::names::encode_segment;
use super::retry::Repeat;
use super::verified_body::{self, Expected, Verdict};
use super::{ClientError, Progress};

/// What a request carries.
pub(super) enum Payload<'a> {
    Empty,
    Json(Vec<u8>),
    /// Streamed from disk; the file is reopened for each attempt. With `expected`, the bytes
    /// are checked against it as they stream (see `verified_body`).
    File {
        path: &'a Path,
        content_type: &'static str,
        progress: &'a Progress,
        expected: Option<&'a Expected>,
    },
}

/// Which limit bounds a request (see `ClientOptions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Deadline {
    /// A JSON write: `timeout_json`.
    Write,
    /// A JSON read: `timeout_read`; not retried after it expired.
    Read,
    /// A byte transfer: `timeout_transfer`.
    Transfer,
}

/// A request to send, possibly several times.
pub(super) struct Request<'a> {
    pub method: Method,
    /// The path after the base URL, encoded, starting with `/`.
    pub route: String,
    /// `key=value` pairs, values encoded, without the `?`.
    pub query: Vec<String>,
    pub payload: Payload<'a>,
    pub repeat: Repeat,
    pub deadline: Deadline,
}

impl<'a> Request<'a> {
    fn new(method: Method, route: String, repeat: Repeat, deadline: Deadline) -> Self {
        Request {
            method,
            route,
            query: Vec::new(),
            payload: Payload::Empty,
            repeat,
            deadline,
        }
    }

    /// A read: safe to repeat, under the read deadline.
    pub fn get(route: impl Into<String>) -> Self {
        Self::new(Method::GET, route.into(), Repeat::Always, Deadline::Read)
    }

    /// A write: repeated only when the server proved it did nothing, unless marked
    /// [`Request::idempotent`].
    pub fn post(route: impl Into<String>) -> Self {
        Self::new(
            Method::POST,
            route.into(),
            Repeat::IfUnprocessed,
            Deadline::Write,
        )
    }

    /// A delete: like a write, repeated only when the server proved it did nothing, so
    /// that nothing destructive is sent twice on a guess.
    pub fn delete(route: impl Into<String>) -> Self {
        Self::new(
            Method::DELETE,
            route.into(),
            Repeat::IfUnprocessed,
            Deadline::Write,
        )
    }

    /// Doing it twice has the same effect as once: retried after any transient failure.
    pub fn idempotent(mut self) -> Self {
        self.repeat = Repeat::Always;
        self
    }

    /// A byte transfer (the long deadline applies).
    pub fn transfer(mut self) -> Self {
        self.deadline = Deadline::Transfer;
        self
    }

    /// Adds `key=value`, the value percent-encoded.
    pub fn query(self, key: &str, value: &str) -> Self {
        let encoded = encode_segment(value);
        self.query_encoded(key, &encoded)
    }

    /// Adds `key=value` with a value the caller already encoded (a list joined by `,`).
    pub fn query_encoded(mut self, key: &str, encoded: &str) -> Self {
        self.query.push(format!("{key}={encoded}"));
        self
    }

    /// A JSON body, already serialised.
    pub fn json_bytes(mut self, bytes: Vec<u8>) -> Self {
        self.payload = Payload::Json(bytes);
        self
    }

    /// A JSON body.
    pub fn json(self, value: &Value) -> Self {
        self.json_bytes(value.to_string().into_bytes())
    }

    /// A body streamed from `path`.
    pub fn file(
        mut self,
        path: &'a Path,
        content_type: &'static str,
        progress: &'a Progress,
    ) -> Self {
        self.payload = Payload::File {
            path,
            content_type,
            progress,
            expected: None,
        };
        self
    }

    /// Checks a file body against the size and hash the plan recorded (see `verified_body`).
    pub fn expecting(mut self, digest: Option<&'a Expected>) -> Self {
        if let Payload::File { expected, .. } = &mut self.payload {
            *expected = digest;
        }
        self
    }

    /// `METHOD /route`, as errors name the request (no host, no query: a query can hold
    /// user text that says nothing about what failed).
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.route)
    }

    /// The full URL under `base`.
    pub fn url(&self, base: &str) -> String {
        if self.query.is_empty() {
            format!("{base}{}", self.route)
        } else {
            format!("{base}{}?{}", self.route, self.query.join("&"))
        }
    }

    /// The same request on another route (an older documented form of it).
    pub fn on_route(&self, method: Method, route: String) -> Self {
        Request {
            method,
            route,
            query: self.query.clone(),
            payload: match &self.payload {
                Payload::Empty => Payload::Empty,
                Payload::Json(bytes) => Payload::Json(bytes.clone()),
                Payload::File {
                    path,
                    content_type,
                    progress,
                    expected,
                } => Payload::File {
                    path,
                    content_type,
                    progress,
                    expected: *expected,
                },
            },
            repeat: self.repeat,
            deadline: self.deadline,
        }
    }
}

/// A body that streams `path` from disk (see `file_stream`), reporting progress, and its
/// length. With `expected`, a source whose size differs is refused before anything is sent,
/// and the body is verified as it streams: the verdict says why it was cut short.
// Streams the upload body from a source the resolver already checked and hashed; moving the
// open into `model::source` would tie the client to the model.
#[allow(clippy::disallowed_methods)]
pub(super) async fn file_body(
    path: &Path,
    progress: Progress,
    expected: Option<&Expected>,
) -> Result<(reqwest::Body, u64, Verdict), ClientError> {
    let io = |source| ClientError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(io)?;
    let len = file.metadata().await.map_err(io)?.len();
    if let Some(expected) = expected {
        verified_body::check_size(expected, len)
            .map_err(|mismatch| verified_body::changed(path, mismatch))?;
    }
    let verdict = Verdict::default();
    let file = file.into_std().await;
    let stream = file_stream::stream(file, expected.cloned(), progress, verdict.clone());
    Ok((reqwest::Body::wrap_stream(stream), len, verdict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_urls_with_encoded_queries() {
        let request = Request::get("/projects")
            .query("text", "Sales Overview & co")
            .query("page", "1");
        assert_eq!(
            request.url("http://h/api"),
            "http://h/api/projects?text=Sales%20Overview%20%26%20co&page=1"
        );
        assert_eq!(request.label(), "GET /projects");
        assert_eq!(request.repeat, Repeat::Always);
        assert_eq!(request.deadline, Deadline::Read);
        let write = Request::post("/x");
        assert_eq!(write.repeat, Repeat::IfUnprocessed);
        assert_eq!(write.url("b"), "b/x");
        assert_eq!(write.idempotent().repeat, Repeat::Always);
        assert_eq!(Request::delete("/y").repeat, Repeat::IfUnprocessed);
    }
}
