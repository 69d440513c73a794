//! Everything that can go wrong talking to a Datagrok server, in variants a caller can act on.

use std::path::PathBuf;
use std::time::Duration;

/// A failed request. Messages never contain the API key: it is not in any URL, and text
/// that came back from the server is redacted before it lands here.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClientError {
    /// The server answered with Datagrok's `ApiError` (often on HTTP 200).
    #[error("the server refused `{request}`: \"{message}\"")]
    #[diagnostic(code(grokform::client::api))]
    Api {
        status: u16,
        message: String,
        error_code: Option<String>,
        /// `METHOD /public/v1/…` (no host, no key).
        request: String,
        /// A non-idempotent request answered with a 5xx: it may have been carried out.
        may_have_committed: bool,
    },

    /// 401 or 403.
    #[error("the API key was refused by `{url}` (HTTP {status})")]
    #[diagnostic(
        code(grokform::client::unauthorized),
        help(
            "check `DATAGROK_API_KEY` (or the file given to `--api-key-file`) and that the key belongs to this server"
        )
    )]
    Unauthorized { url: String, status: u16 },

    /// HTML or other non-JSON where the API answers JSON.
    #[error("`{url}` is not a Datagrok API URL; does it end in `/api`? ({detail})")]
    #[diagnostic(
        code(grokform::client::not_datagrok),
        help(
            "the API lives under the server's `/api` path, e.g. `https://datagrok.example.com/api`"
        )
    )]
    NotDatagrok { url: String, detail: String },

    /// Any other unsuccessful HTTP status.
    #[error("`{request}` failed with HTTP {status}: {body_excerpt}")]
    #[diagnostic(code(grokform::client::http))]
    Http {
        status: u16,
        body_excerpt: String,
        request: String,
        may_have_committed: bool,
    },

    /// The server could not be reached, or the connection broke.
    #[error("could not reach `{url}`")]
    #[diagnostic(
        code(grokform::client::network),
        help(
            "check the server URL (`--server`, `DATAGROK_URL` or `server:` in the manifest) and the network"
        )
    )]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
        may_have_committed: bool,
    },

    /// No complete answer within the timeout.
    #[error("`{request}` got no answer within {}", humantime::format_duration(*after))]
    #[diagnostic(code(grokform::client::timeout))]
    Timeout {
        request: String,
        after: Duration,
        may_have_committed: bool,
    },

    /// A local file could not be read.
    #[error("could not read `{}`", path.display())]
    #[diagnostic(code(grokform::client::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A Grok name (or a part of it) that cannot be put in a URL unambiguously.
    #[error("`{name}` cannot be sent to the server: {reason}")]
    #[diagnostic(
        code(grokform::client::bad_name),
        help(
            "Grok names separate parts with `:`, which become `.` in URLs, so a part cannot contain `.`"
        )
    )]
    BadName { name: String, reason: String },

    /// The server URL is not an `http(s)` URL.
    #[error("`{url}` is not a usable server URL: {reason}")]
    #[diagnostic(code(grokform::client::bad_url))]
    BadUrl { url: String, reason: String },

    /// No API key was given.
    #[error("no API key: set `DATAGROK_API_KEY` or pass `--api-key-file`")]
    #[diagnostic(
        code(grokform::client::no_api_key),
        help("the key is in your Datagrok profile under \"API Key\"")
    )]
    NoApiKey,

    /// The API key given cannot be used.
    #[error("the API key cannot be used: {reason}")]
    #[diagnostic(code(grokform::client::bad_api_key))]
    BadApiKey { reason: String },

    /// A 2xx answer whose JSON is not what the route answers.
    #[error("`{request}` answered unexpected JSON: {detail}")]
    #[diagnostic(code(grokform::client::unexpected))]
    Unexpected {
        request: String,
        detail: String,
        may_have_committed: bool,
    },
}

impl ClientError {
    /// True when a non-idempotent request (a dashboard create, a function call) may have been
    /// carried out by the server although it reported no success: it was sent and the answer
    /// was a 5xx, a timeout or a dropped connection. The caller must not blindly repeat it.
    pub fn may_have_committed(&self) -> bool {
        match self {
            ClientError::Api {
                may_have_committed, ..
            }
            | ClientError::Http {
                may_have_committed, ..
            }
            | ClientError::Network {
                may_have_committed, ..
            }
            | ClientError::Timeout {
                may_have_committed, ..
            }
            | ClientError::Unexpected {
                may_have_committed, ..
            } => *may_have_committed,
            _ => false,
        }
    }

    /// The HTTP status the server answered, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. }
            | ClientError::Unauthorized { status, .. }
            | ClientError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}
