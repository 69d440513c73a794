//! The unified diff of a layout's JSON that a replaced dashboard's change shows.

use serde_json::Value;
use similar::TextDiff;

use super::diff::Attributes;

/// Unified diff of the pretty-printed layout JSON, `None` when it did not change.
pub(super) fn layout_diff(before: Option<&Attributes>, after: &Attributes) -> Option<String> {
    let text = |attrs: Option<&Attributes>| {
        attrs
            .and_then(|a| a.get("layout_text"))
            .and_then(Value::as_str)
            .map(pretty_json)
            .unwrap_or_default()
    };
    let (old, new) = (text(before), text(Some(after)));
    if old == new {
        return None;
    }
    let diff = TextDiff::from_lines(&old, &new);
    let mut unified = diff.unified_diff();
    Some(unified.context_radius(3).to_string())
}

/// Pretty-printed JSON with a trailing newline (the text itself if it is not JSON), so that
/// a one-line export from Datagrok diffs line by line.
fn pretty_json(text: &str) -> String {
    let mut out = match serde_json::from_str::<Value>(text) {
        Ok(value) => serde_json::to_string_pretty(&value).expect("json values serialise"),
        Err(_) => text.to_string(),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
