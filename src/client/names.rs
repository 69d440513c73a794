//! Turning Grok names and file paths into URL path segments: every `:` becomes `.` and each
//! segment is percent-encoded, so user text (spaces, unicode, `#`, `?`) can never change the
//! route it is sent to.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::ClientError;

/// Everything but RFC 3986 unreserved characters is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A Grok name (`JohnDoe:Sales:Q1`) in URL form (`JohnDoe.Sales.Q1`), percent-encoded.
/// A part that contains `.` would be split differently by the server, and an empty part is
/// never meant, so both are rejected.
pub fn grok_name_segment(name: &str) -> Result<String, ClientError> {
    if name.trim().is_empty() {
        return Err(ClientError::BadName {
            name: name.to_string(),
            reason: "the name is empty".into(),
        });
    }
    let mut parts = Vec::new();
    for part in name.split(':') {
        if part.is_empty() {
            return Err(ClientError::BadName {
                name: name.to_string(),
                reason: "it has an empty part".into(),
            });
        }
        if part.contains('.') {
            return Err(ClientError::BadName {
                name: name.to_string(),
                reason: format!("its part `{part}` contains `.`"),
            });
        }
        if part.chars().any(char::is_control) {
            return Err(ClientError::BadName {
                name: name.to_string(),
                reason: "it contains control characters".into(),
            });
        }
        parts.push(encode_segment(part));
    }
    Ok(parts.join("."))
}

/// A path inside a connector (`Sales/raw/q1.csv`), each segment percent-encoded and `/` kept
/// between them. Empty, `.` and `..` segments are rejected: the server would normalise them
/// into a different file than the one named.
pub fn file_path_segments(path: &str) -> Result<String, ClientError> {
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err(ClientError::BadName {
            name: path.to_string(),
            reason: "the file path is empty".into(),
        });
    }
    let mut out = Vec::new();
    for segment in trimmed.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(ClientError::BadName {
                name: path.to_string(),
                reason: "file paths cannot contain empty, `.` or `..` segments".into(),
            });
        }
        out.push(encode_segment(segment));
    }
    Ok(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grok_names_use_periods_and_encode_parts() {
        assert_eq!(
            grok_name_segment("JohnDoe:Sales:Q1").unwrap(),
            "JohnDoe.Sales.Q1"
        );
        assert_eq!(
            grok_name_segment("System:AppData").unwrap(),
            "System.AppData"
        );
        assert_eq!(grok_name_segment("Cars").unwrap(), "Cars");
        assert_eq!(
            grok_name_segment("Jane:Sales Overview").unwrap(),
            "Jane.Sales%20Overview"
        );
        assert_eq!(
            grok_name_segment("Zoë:a/b?c#d").unwrap(),
            "Zo%C3%AB.a%2Fb%3Fc%23d"
        );
    }

    #[test]
    fn grok_names_with_periods_or_empty_parts_are_rejected() {
        for bad in ["JohnDoe:Sales.v2", "a::b", ":a", "", " ", "a:\u{1}"] {
            let err = grok_name_segment(bad).unwrap_err();
            assert!(matches!(err, ClientError::BadName { .. }), "{bad:?}");
        }
        let err = grok_name_segment("JohnDoe:Sales.v2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`JohnDoe:Sales.v2` cannot be sent to the server: its part `Sales.v2` contains `.`"
        );
    }

    #[test]
    fn file_paths_keep_slashes_and_encode_segments() {
        assert_eq!(
            file_path_segments("Sales/raw data/q1:v2.csv").unwrap(),
            "Sales/raw%20data/q1%3Av2.csv"
        );
        assert_eq!(file_path_segments("/a/b").unwrap(), "a/b");
        for bad in ["", "a//b", "a/../b", "./a", "a/"] {
            assert!(file_path_segments(bad).is_err(), "{bad:?}");
        }
    }
}
