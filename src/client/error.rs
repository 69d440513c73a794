//! Everything that can go wrong talking to a Datagrok server, in variants a caller can act on,
//! and what each one says about whether the server carried the request out.

use std::fmt;
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
        /// `METHOD /route` (no host, no query, no key).
        request: String,
        /// A request that must not be repeated was answered with a 5xx: it may have been
        /// carried out.
        may_have_committed: bool,
    },

    /// 401 or 403.
    #[error("the API key was refused by `{url}` (HTTP {status} on `{request}`)")]
    #[diagnostic(
        code(grokform::client::unauthorized),
        help(
            "check `DATAGROK_API_KEY` (or the file given to `--api-key-file`) and that the key belongs to this server"
        )
    )]
    Unauthorized {
        url: String,
        status: u16,
        request: String,
    },

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
    #[error("`{request}` answered {}: {body_excerpt}", status_text(*status))]
    #[diagnostic(code(grokform::client::http))]
    Http {
        status: u16,
        body_excerpt: String,
        request: String,
        may_have_committed: bool,
    },

    /// No connection could be made: nothing was sent.
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
        /// Always false: kept so every failure can be asked the same question.
        may_have_committed: bool,
    },

    /// The connection broke after the request was sent, before a whole answer came back.
    #[error("`{request}`: the connection dropped after the request was sent")]
    #[diagnostic(code(grokform::client::dropped))]
    Dropped {
        request: String,
        #[source]
        source: reqwest::Error,
        may_have_committed: bool,
    },

    /// No complete answer within the deadline.
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

    /// An upload's source is no longer what the plan hashed: the upload was refused before
    /// sending, or cut short before its last bytes, so the server stored nothing.
    #[error(
        "`{}` changed since the plan hashed it ({mismatch}); it was not uploaded whole, so the server kept nothing",
        path.display()
    )]
    #[diagnostic(
        code(grokform::client::source_changed),
        help("nothing was recorded for it; run `grokform plan` again to review the new content")
    )]
    SourceChanged {
        path: PathBuf,
        mismatch: super::verified_body::Mismatch,
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

    /// A request grokform will not send as asked (a save without the id it updates).
    #[error("`{request}` cannot be sent: {reason}")]
    #[diagnostic(code(grokform::client::invalid))]
    Invalid { request: String, reason: String },

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

    /// A 2xx answer whose content is not what the route answers.
    #[error("`{request}` answered unexpected content: {detail}")]
    #[diagnostic(code(grokform::client::unexpected))]
    Unexpected {
        request: String,
        detail: String,
        may_have_committed: bool,
    },
}

/// What happened to a failed request, in the words a user needs to judge it: whether the
/// request left grokform, and what (if anything) came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused before sending (a bad name, an unreadable file, no key).
    NotSent,
    /// No connection could be made.
    NotConnected,
    /// The server answered with this status (2xx with an `ApiError`, or an error status).
    Answered { status: u16, api_error: bool },
    /// The server answered 2xx with something the route does not answer.
    AnsweredUnexpectedly { what: &'static str },
    /// The connection broke after the request was sent.
    Dropped,
    /// Nothing came back within the deadline.
    NoAnswer { after: Duration },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::NotSent => f.write_str("was not sent"),
            Outcome::NotConnected => f.write_str("could not connect to the server"),
            Outcome::Answered {
                status,
                api_error: true,
            } => write!(f, "answered {} with an ApiError", status_text(*status)),
            Outcome::Answered { status, .. } => write!(f, "answered {}", status_text(*status)),
            Outcome::AnsweredUnexpectedly { what } => write!(f, "answered {what}"),
            Outcome::Dropped => f.write_str("lost its connection after the request was sent"),
            Outcome::NoAnswer { after } => {
                write!(
                    f,
                    "got no answer within {}",
                    humantime::format_duration(*after)
                )
            }
        }
    }
}

impl ClientError {
    /// True when a request that must not be repeated (a dashboard create, a function call)
    /// may have been carried out although no success came back: it was sent and the answer
    /// was a 5xx that does not prove otherwise, a timeout or a dropped connection. The
    /// caller must find out what happened rather than send it again. A 429, a 503 with
    /// `Retry-After`, a 4xx and a connection that never opened are never ambiguous.
    pub fn is_ambiguous(&self) -> bool {
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
            | ClientError::Dropped {
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

    /// The same as [`ClientError::is_ambiguous`], under the name the applier first used.
    pub fn may_have_committed(&self) -> bool {
        self.is_ambiguous()
    }

    /// What happened, in a few words ("answered 502 Bad Gateway", "lost its connection after
    /// the request was sent", "got no answer within 1m"), to finish a sentence that names
    /// the request: "the create request {outcome}".
    pub fn outcome(&self) -> Outcome {
        match self {
            ClientError::Api { status, .. } => Outcome::Answered {
                status: *status,
                api_error: true,
            },
            ClientError::Unauthorized { status, .. } | ClientError::Http { status, .. } => {
                Outcome::Answered {
                    status: *status,
                    api_error: false,
                }
            }
            ClientError::NotDatagrok { .. } => Outcome::AnsweredUnexpectedly {
                what: "something that is not the Datagrok API",
            },
            ClientError::Unexpected { .. } => Outcome::AnsweredUnexpectedly {
                what: "content the route does not answer",
            },
            ClientError::Network { .. } => Outcome::NotConnected,
            ClientError::Dropped { .. } => Outcome::Dropped,
            ClientError::Timeout { after, .. } => Outcome::NoAnswer { after: *after },
            ClientError::Io { .. }
            | ClientError::SourceChanged { .. }
            | ClientError::BadName { .. }
            | ClientError::Invalid { .. }
            | ClientError::BadUrl { .. }
            | ClientError::NoApiKey
            | ClientError::BadApiKey { .. } => Outcome::NotSent,
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

/// `502 Bad Gateway`, or just the number for a status without a standard reason.
pub fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_name_what_happened() {
        let http = |status, may_have_committed| ClientError::Http {
            status,
            body_excerpt: "an HTML page".into(),
            request: "POST /public/v1/dashboards/D/t".into(),
            may_have_committed,
        };
        assert_eq!(
            http(502, true).outcome().to_string(),
            "answered 502 Bad Gateway"
        );
        assert!(http(502, true).is_ambiguous());
        assert_eq!(
            http(502, true).to_string(),
            "`POST /public/v1/dashboards/D/t` answered 502 Bad Gateway: an HTML page"
        );
        assert_eq!(http(599, false).outcome().to_string(), "answered HTTP 599");
        let timeout = ClientError::Timeout {
            request: "GET /projects/x".into(),
            after: Duration::from_secs(60),
            may_have_committed: false,
        };
        assert_eq!(timeout.outcome().to_string(), "got no answer within 1m");
        let api = ClientError::Api {
            status: 200,
            message: "nope".into(),
            error_code: None,
            request: "POST /x".into(),
            may_have_committed: false,
        };
        assert_eq!(
            api.outcome().to_string(),
            "answered 200 OK with an ApiError"
        );
        assert_eq!(ClientError::NoApiKey.outcome(), Outcome::NotSent);
        assert!(!ClientError::NoApiKey.is_ambiguous());
    }
}
