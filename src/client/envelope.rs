//! Reading what came back: JSON or not, an HTML page where JSON belongs, an answer that means
//! "no such thing", and a failure that means "this route is refused here". The transport
//! decides success or failure; this module decides what a body or a failure *means*.

use bytes::Bytes;
use serde_json::Value;

use super::ClientError;
use super::error::status_text;
use super::request::Request;
use super::retry::Repeat;

/// A 2xx answer that passed the `ApiError` check.
pub(super) struct Answer {
    pub status: u16,
    pub body: Bytes,
    pub content_type: Option<String>,
}

impl Answer {
    /// No content, `null`, `[]` or `{}`: what the internal routes answer for an entity that
    /// does not exist (Datagrok's own CLI treats them all as "not there").
    pub fn is_nothing(&self) -> bool {
        if self.status == 204 {
            return true;
        }
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(64)]);
        let compact: String = text.split_whitespace().collect();
        self.body.len() <= 64 && matches!(compact.as_str(), "" | "null" | "[]" | "{}" | "\"\"")
    }

    /// The body as JSON; HTML or other text where JSON belongs means the URL does not lead
    /// to the API.
    pub fn json(&self, request: &Request<'_>, base: &str) -> Result<Value, ClientError> {
        serde_json::from_slice::<Value>(&self.body).map_err(|_| self.not_json(request, base))
    }

    /// An HTML page (by its type or its first bytes).
    pub fn is_html(&self) -> bool {
        looks_like_html(&self.body)
            || self
                .content_type
                .as_deref()
                .is_some_and(|c| c.contains("html"))
    }

    /// The error for an answer that is not what the API answers.
    pub fn not_json(&self, request: &Request<'_>, base: &str) -> ClientError {
        ClientError::NotDatagrok {
            url: base.to_string(),
            detail: format!(
                "`{}` answered {} instead of JSON",
                request.label(),
                if self.is_html() { HTML_EXCERPT } else { "text" }
            ),
        }
    }
}

/// What an HTML error page is shown as (its markup says nothing useful).
pub(super) const HTML_EXCERPT: &str = "an HTML page";

pub(super) fn looks_like_html(body: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_lowercase();
    let start = start.trim_start();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.contains("<body")
}

/// At most 200 characters of a body, whitespace collapsed; an HTML page is named as such.
pub(super) fn excerpt(body: &[u8]) -> String {
    if looks_like_html(body) {
        return HTML_EXCERPT.into();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "an empty answer".into();
    }
    format!("\"{}\"", clip(&collapsed, 200))
}

fn clip(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// A 2xx answer whose JSON is not what the route answers.
pub(super) fn unexpected(request: &Request<'_>, detail: &str, value: &Value) -> ClientError {
    ClientError::Unexpected {
        request: request.label(),
        detail: format!("{detail}: {}", clip(&value.to_string(), 200)),
        may_have_committed: request.repeat == Repeat::IfUnprocessed,
    }
}

/// On the public routes: the server says the thing does not exist (a 404 there means the
/// object, the route itself always exists), or an `ApiError` saying "not found".
pub(super) fn is_not_found(error: &ClientError) -> bool {
    matches!(error, ClientError::Http { status: 404, .. }) || is_api_not_found(error)
}

/// An `ApiError` that says the entity does not exist. On the internal routes this (or an
/// empty answer) is the only sign of a missing entity: a plain 404 there is an unknown
/// route, and any other `ApiError` is a refusal, never taken to mean "gone".
pub(super) fn is_api_not_found(error: &ClientError) -> bool {
    let ClientError::Api {
        status,
        message,
        error_code,
        ..
    } = error
    else {
        return false;
    };
    let message = message.to_lowercase();
    *status == 404
        || error_code
            .as_deref()
            .is_some_and(|c| c == "404" || c.eq_ignore_ascii_case("NotFound"))
        || ["not found", "does not exist", "doesn't exist", "no such"]
            .iter()
            .any(|phrase| message.contains(phrase))
}

/// Why a failure means "this server does not let grokform use the route" (401, 403, an
/// unknown route, HTML where JSON belongs, JSON of another shape, an `ApiError` that is not
/// a "not found"), or
/// `None` for a failure that says nothing about the route (overload, network, a missing
/// entity, a local problem).
pub fn route_refusal(error: &ClientError) -> Option<String> {
    let reason = match error {
        ClientError::Unauthorized { status, .. } => status_text(*status),
        ClientError::Http {
            status,
            body_excerpt,
            ..
        } if *status < 500 || *status == 501 => {
            if body_excerpt == HTML_EXCERPT {
                format!("{status} HTML page")
            } else {
                format!("{}: {body_excerpt}", status_text(*status))
            }
        }
        ClientError::NotDatagrok { .. } => "an HTML page instead of JSON".into(),
        // The route exists but does not speak the documented shape: as good as refused.
        ClientError::Unexpected { .. } => "an answer of another shape".into(),
        ClientError::Api { message, .. } if !is_api_not_found(error) => {
            format!("ApiError \"{}\"", clip(message, 120))
        }
        _ => return None,
    };
    Some(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: Bytes::from(body.to_string()),
            content_type: None,
        }
    }

    #[test]
    fn empty_answers_mean_nothing_is_there() {
        for body in ["", "null", " [ ] ", "{}", "\"\""] {
            assert!(answer(200, body).is_nothing(), "{body:?}");
        }
        assert!(answer(204, "x").is_nothing());
        for body in ["[1]", "{\"id\":\"x\"}", "0", "false"] {
            assert!(!answer(200, body).is_nothing(), "{body:?}");
        }
    }

    fn api(status: u16, message: &str, code: Option<&str>) -> ClientError {
        ClientError::Api {
            status,
            message: message.into(),
            error_code: code.map(str::to_string),
            request: "GET /projects/x".into(),
            may_have_committed: false,
        }
    }

    #[test]
    fn only_not_found_api_errors_mean_missing() {
        assert!(is_api_not_found(&api(200, "Project not found", None)));
        assert!(is_api_not_found(&api(200, "x", Some("NotFound"))));
        assert!(is_api_not_found(&api(404, "x", None)));
        assert!(!is_api_not_found(&api(200, "Access denied", None)));
        let html_404 = ClientError::Http {
            status: 404,
            body_excerpt: HTML_EXCERPT.into(),
            request: "GET /projects/x".into(),
            may_have_committed: false,
        };
        assert!(!is_api_not_found(&html_404));
        assert!(is_not_found(&html_404));
        assert_eq!(route_refusal(&html_404).as_deref(), Some("404 HTML page"));
        assert_eq!(
            route_refusal(&api(200, "Access denied", None)).as_deref(),
            Some("ApiError \"Access denied\"")
        );
        assert_eq!(route_refusal(&api(200, "Project not found", None)), None);
        let overloaded = ClientError::Http {
            status: 503,
            body_excerpt: "busy".into(),
            request: "GET /projects/x".into(),
            may_have_committed: false,
        };
        assert_eq!(route_refusal(&overloaded), None);
    }
}
