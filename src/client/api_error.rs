//! Recognising Datagrok's `ApiError`, which the server often sends with HTTP 200: a 2xx is a
//! success only without an `api-error` header and with a body that is not an `ApiError`.

use serde_json::Value;

/// The parts of an `ApiError` a caller can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiErrorBody {
    pub message: String,
    pub error_code: Option<String>,
}

/// Bodies larger than this are not inspected for an `ApiError` (it is a small object; a large
/// body is a download).
pub const MAX_INSPECTED: usize = 256 * 1024;

/// The `ApiError` in a response, from its `api-error` header value and its body.
pub fn detect(header: Option<&str>, body: &[u8]) -> Option<ApiErrorBody> {
    let from_body = parse_body(body);
    match (header, from_body) {
        (_, Some(found)) => Some(found),
        (Some(header), None) => Some(ApiErrorBody {
            message: if header.trim().is_empty() || header.trim() == "true" {
                let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
                if text.trim().is_empty() {
                    "the server reported an error without a message".into()
                } else {
                    text.trim().to_string()
                }
            } else {
                header.trim().to_string()
            },
            error_code: None,
        }),
        (None, None) => None,
    }
}

/// An `ApiError` object in `body`, directly or serialised as a JSON string.
pub fn parse_body(body: &[u8]) -> Option<ApiErrorBody> {
    if body.len() > MAX_INSPECTED {
        return None;
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'"' {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    from_value(&value)
}

fn from_value(value: &Value) -> Option<ApiErrorBody> {
    match value {
        Value::String(text) if text.trim_start().starts_with('{') => {
            from_value(&serde_json::from_str::<Value>(text).ok()?)
        }
        Value::Object(map) if map.get("#type").and_then(Value::as_str) == Some("ApiError") => {
            let message = map
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.trim().is_empty())
                .unwrap_or("the server reported an error without a message")
                .to_string();
            let error_code = match map.get("errorCode") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            };
            Some(ApiErrorBody {
                message,
                error_code,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_api_error_object() {
        let body = br##"{"#type":"ApiError","message":"Table not found","errorCode":404,"stackTrace":"..."}"##;
        assert_eq!(
            detect(None, body),
            Some(ApiErrorBody {
                message: "Table not found".into(),
                error_code: Some("404".into())
            })
        );
    }

    #[test]
    fn finds_an_api_error_serialised_as_a_string() {
        let body = br##""{\"#type\":\"ApiError\",\"message\":\"Function not found\",\"errorCode\":\"NotFound\"}""##;
        let found = detect(None, body).unwrap();
        assert_eq!(found.message, "Function not found");
        assert_eq!(found.error_code.as_deref(), Some("NotFound"));
    }

    #[test]
    fn the_header_alone_is_an_error() {
        let found = detect(Some("Access denied"), b"{}").unwrap();
        assert_eq!(found.message, "Access denied");
        let found = detect(Some(""), b"boom").unwrap();
        assert_eq!(found.message, "boom");
    }

    #[test]
    fn ordinary_answers_are_not_errors() {
        for body in [
            &br##"{"ID":"1","#type":"TableInfo"}"##[..],
            b"0",
            b"\"hello\"",
            b"\"{not json\"",
            b"a,b\n1,2\n",
            b"",
            b"<html></html>",
        ] {
            assert_eq!(
                detect(None, body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
