//! The state's file format: pretty JSON with sorted keys and a trailing newline (so it diffs
//! well in git), and reading it back with errors that point at the broken spot.

use std::collections::BTreeMap;

use miette::{NamedSource, SourceSpan};
use serde_json::Value;

use super::{FORMAT_VERSION, ResourceState, State, StateError};
use crate::address::Address;

/// The state as written to disk or to the server.
pub fn encode(state: &State) -> String {
    let value = sort_keys(serde_json::to_value(state).expect("the state serialises"));
    let mut text = serde_json::to_string_pretty(&value).expect("JSON serialises");
    text.push('\n');
    text
}

/// Encoded resources kept between snapshots. Building, sorting and printing a JSON tree of
/// the whole state for every snapshot made a long apply quadratic in JSON work; with the cache
/// a snapshot re-encodes only the resources that changed and copies the others' text.
///
/// An entry is recognised by the SHA-256 of the resource's compact serialisation, not by a
/// copy of it: a copy of every resource doubled the state's memory during apply. Equal
/// digests mean equal serialisations, hence equal resources and the same text; a resource
/// equal to the cached one but serialised in another key order is merely encoded again.
#[derive(Debug, Default)]
pub struct EncodeCache {
    resources: BTreeMap<Address, ([u8; 32], String)>,
}

/// The SHA-256 of `resource`'s compact JSON, streamed into the hasher (no text is built).
fn digest(resource: &ResourceState) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    serde_json::to_writer(&mut hasher, resource).expect("the state serialises");
    hasher.finalize().into()
}

/// `encode(state)`, byte for byte, reusing the text of resources unchanged since the last
/// call with the same cache.
#[cfg(test)]
pub fn encode_cached(state: &State, cache: &mut EncodeCache) -> String {
    let mut out = Vec::new();
    encode_cached_to(state, cache, &mut out).expect("a Vec takes every write");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Writes `encode(state)`, byte for byte, to `out`, reusing the text of resources unchanged
/// since the last call with the same cache. Written piece by piece: the whole text of a large
/// state is never held in memory, beside the cache that already holds most of it.
pub fn encode_cached_to(
    state: &State,
    cache: &mut EncodeCache,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    const EMPTY: &str = "\n  \"resources\": {}";
    let head = encode(&State {
        format_version: state.format_version,
        lineage: state.lineage.clone(),
        serial: state.serial,
        tool_version: state.tool_version.clone(),
        server: state.server.clone(),
        resources: Default::default(),
    });
    // Strings are escaped, so this exact line can only be the (empty) resources member.
    let Some(at) = head.find(EMPTY).filter(|_| !state.resources.is_empty()) else {
        return out.write_all(encode(state).as_bytes());
    };
    cache
        .resources
        .retain(|address, _| state.resources.contains_key(address));
    out.write_all(&head.as_bytes()[..at])?;
    out.write_all(b"\n  \"resources\": {")?;
    // `encode` sorts members by their JSON key, which is not the order of `Address`.
    let mut members: Vec<(String, &Address, &ResourceState)> = state
        .resources
        .iter()
        .map(|(address, resource)| (address_key(address), address, resource))
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (key, address, resource)) in members.into_iter().enumerate() {
        let digest = digest(resource);
        let entry = cache
            .resources
            .entry(address.clone())
            .or_insert_with(|| (digest, String::new()));
        if entry.1.is_empty() || entry.0 != digest {
            *entry = (digest, encode_resource(&key, resource));
        }
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(entry.1.as_bytes())?;
    }
    out.write_all(b"\n  }")?;
    out.write_all(&head.as_bytes()[at + EMPTY.len()..])
}

/// An address as the key `encode` writes for it.
fn address_key(address: &Address) -> String {
    match serde_json::to_value(address).expect("addresses serialise") {
        Value::String(key) => key,
        other => other.to_string(),
    }
}

/// One member of `resources` as `encode` prints it: indented two levels.
fn encode_resource(key: &str, resource: &ResourceState) -> String {
    let key = serde_json::to_string(key).expect("JSON serialises");
    let value = sort_keys(serde_json::to_value(resource).expect("the state serialises"));
    let text = serde_json::to_string_pretty(&value).expect("JSON serialises");
    // JSON strings escape their newlines: every newline here is the printer's own.
    format!("    {key}: {}", text.replace('\n', "\n    "))
}

/// Reads a state; `location` names it in errors.
pub fn decode(bytes: &[u8], location: &str) -> Result<State, StateError> {
    // A sound state is parsed once, straight into `State` (a 10,000-table state is 5 MB;
    // the generic `Value` and the text copy below were most of a no-op plan's decoding).
    // Only a state that fails pays for them, to tell a newer format from a corrupt one and
    // to point at the error.
    match serde_json::from_slice::<State>(bytes) {
        Ok(state) if state.format_version <= FORMAT_VERSION => return Ok(state),
        Ok(state) => {
            return Err(StateError::NewerFormat {
                location: location.to_string(),
                found: u64::from(state.format_version),
                supported: FORMAT_VERSION,
            });
        }
        Err(_) => {}
    }
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
                observed: None,
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
    fn the_cached_encoding_is_byte_for_byte_the_plain_one() {
        let mut cache = EncodeCache::default();
        let mut state = sample();
        state.server = None;
        assert_eq!(encode_cached(&state, &mut cache), encode(&state));
        let mut empty = state.clone();
        empty.resources.clear();
        assert_eq!(encode_cached(&empty, &mut cache), encode(&empty));
        for i in 0..5 {
            let mut resource = state.resources[&Address::table("sales")].clone();
            resource.remote_id = (i % 2 == 0).then(|| format!("id \"{i}\"\nline"));
            resource.status = if i == 3 {
                crate::state::ResourceStatus::Uncertain
            } else {
                Default::default()
            };
            resource.attributes.insert(
                "layout".into(),
                serde_json::json!({"y": [i, {"b": i, "a": "x"}]}),
            );
            state
                .resources
                .insert(Address::dashboard(&format!("d{i}")), resource);
            state.serial += 1;
            state.server = Some(format!("https://x/api/\"resources\": {{}}{i}"));
            assert_eq!(
                encode_cached(&state, &mut cache),
                encode(&state),
                "step {i}"
            );
        }
        // a changed and a removed resource are re-encoded, not served from the cache
        state.resources.remove(&Address::dashboard("d1"));
        state
            .resources
            .get_mut(&Address::dashboard("d2"))
            .unwrap()
            .applied_serial = 42;
        assert_eq!(encode_cached(&state, &mut cache), encode(&state));
        assert_eq!(cache.resources.len(), state.resources.len());
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
