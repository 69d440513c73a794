//! The state's file format: pretty JSON with sorted keys and a trailing newline (so it diffs
//! well in git), and reading it back with errors that point at the broken spot.

use miette::{NamedSource, SourceSpan};
use serde_json::Value;

use super::{FORMAT_VERSION, State, StateError};

/// The state as written to disk or to the server.
pub fn encode(state: &State) -> String {
    let value = sort_keys(serde_json::to_value(state).expect("the state serialises"));
    let mut text = serde_json::to_string_pretty(&value).expect("JSON serialises");
    text.push('\n');
    text
}

/// Reads a state; `location` names it in errors.
pub fn decode(bytes: &[u8], location: &str) -> Result<State, StateError> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let corrupt = |reason: String, line: usize, column: usize| StateError::Corrupt {
        location: location.to_string(),
        reason,
        span: (line > 0).then(|| SourceSpan::from((offset(&text, line, column), 1))),
        source_code: std::sync::Arc::new(NamedSource::new(location, text.clone())),
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("{e}"), e.line(), e.column()))?;
    match value.get("format_version").and_then(Value::as_u64) {
        Some(found) if found > u64::from(FORMAT_VERSION) => {
            return Err(StateError::NewerFormat {
                location: location.to_string(),
                found,
                supported: FORMAT_VERSION,
            });
        }
        _ => {}
    }
    // Parsed again from the text (not from `value`) so that errors keep their position.
    serde_json::from_slice::<State>(bytes)
        .map_err(|e| corrupt(format!("{e}"), e.line(), e.column()))
}

/// The byte offset of a 1-based line and column, clamped to the text.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len().saturating_sub(1))
}

/// Sorts every object's keys (serde_json keeps insertion order in this crate).
fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Address, Kind};
    use crate::state::ResourceState;

    fn sample() -> State {
        let mut state = State::new();
        state.server = Some("https://x/api".into());
        let mut attributes = std::collections::BTreeMap::new();
        attributes.insert(
            "z".into(),
            serde_json::json!({"b": 1, "a": [ {"d": 1, "c": 2} ]}),
        );
        state.resources.insert(
            Address::table("sales"),
            ResourceState {
                kind: Kind::Table,
                remote_id: Some("u1".into()),
                inputs_hash: "h".into(),
                attributes,
                applied_serial: 1,
                status: Default::default(),
            },
        );
        state
    }

    #[test]
    fn encodes_sorted_pretty_with_a_newline_and_round_trips() {
        let state = sample();
        let text = encode(&state);
        assert!(text.ends_with("}\n"));
        let format = text.find("\"format_version\"").unwrap();
        let lineage = text.find("\"lineage\"").unwrap();
        let tool = text.find("\"tool_version\"").unwrap();
        assert!(format < lineage && lineage < tool, "{text}");
        assert!(text.find("\"c\"").unwrap() < text.find("\"d\"").unwrap());
        assert_eq!(decode(text.as_bytes(), "s").unwrap(), state);
    }

    #[test]
    fn corrupt_text_points_at_the_spot() {
        let err = decode(
            b"{\n  \"format_version\": 1,\n  oops\n}",
            ".grokform/state.json",
        )
        .unwrap_err();
        match &err {
            StateError::Corrupt {
                span: Some(span),
                reason,
                ..
            } => {
                assert_eq!(span.offset(), 27, "{reason}"); // the `o` of `oops`
                assert!(reason.contains("line 3"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let err = decode(br#"{"format_version": 1}"#, "s").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn a_newer_format_is_refused() {
        let err = decode(br#"{"format_version": 99, "whatever": true}"#, "s").unwrap_err();
        assert!(
            matches!(err, StateError::NewerFormat { found: 99, .. }),
            "{err:?}"
        );
    }
}
