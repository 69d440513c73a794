//! Turning Grok names and file paths into URL path segments: every `:` becomes `.` and each
//! segment is percent-encoded, so user text (spaces, unicode, `#`, `?`) can never change the
//! route it is sent to. What a valid name or path is belongs to `GrokName` and `RemotePath`
//! (the same rules `validate` applies); this file only encodes.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::ClientError;
use crate::grok_name::GrokName;
use crate::remote_path::RemotePath;

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

/// A Grok name (`JohnDoe:Sales:Q1`) in URL form (`JohnDoe.Sales.Q1`), percent-encoded; a text
/// that is not a `GrokName` is refused with the reason.
pub fn grok_name_segment(name: &str) -> Result<String, ClientError> {
    let name = GrokName::parse(name).map_err(|error| ClientError::BadName {
        reason: format!("it {}", error.problem),
        name: error.name,
    })?;
    Ok(grok_name_url(&name))
}

/// A valid Grok name in URL form.
pub fn grok_name_url(name: &GrokName) -> String {
    name.parts()
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join(".")
}

/// A path inside a connector (`Sales/raw/q1.csv`), each segment percent-encoded and `/` kept
/// between them; a text that is not a `RemotePath` is refused with the reason.
pub fn file_path_segments(path: &str) -> Result<String, ClientError> {
    let path = RemotePath::parse(path).map_err(|error| ClientError::BadName {
        reason: format!("the file path {}", error.problem),
        name: error.path,
    })?;
    Ok(path
        .segments()
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/"))
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

    /// The client refuses exactly what `GrokName` refuses, so `validate` and `apply` agree.
    #[test]
    fn grok_names_the_model_refuses_are_refused_with_the_same_reason() {
        for bad in [
            "JohnDoe:Sales.v2",
            "a::b",
            ":a",
            "",
            " ",
            "a:\u{1}",
            "a: :b",
        ] {
            let err = grok_name_segment(bad).unwrap_err();
            let model = GrokName::parse(bad).unwrap_err();
            assert!(
                matches!(&err, ClientError::BadName { reason, .. } if *reason == format!("it {}", model.problem)),
                "{bad:?}: {err}"
            );
        }
        let err = grok_name_segment("JohnDoe:Sales.v2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`JohnDoe:Sales.v2` cannot be sent to the server: it has a part `Sales.v2` containing `.`, which is ambiguous once `:` becomes `.` in URLs"
        );
    }

    #[test]
    fn file_paths_keep_slashes_and_encode_segments() {
        assert_eq!(
            file_path_segments("Sales/raw data/q1:v2.csv").unwrap(),
            "Sales/raw%20data/q1%3Av2.csv"
        );
        for bad in ["", "a//b", "a/../b", "./a", "a/", "/a/b", "a/\u{7}"] {
            let err = file_path_segments(bad).unwrap_err();
            assert!(matches!(err, ClientError::BadName { .. }), "{bad:?}");
        }
    }
}
