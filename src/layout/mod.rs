//! Layout semantics: what a Datagrok layout *means*, as opposed to its bytes.
//!
//! Datagrok rewrites server-owned fields (viewer UUIDs, tag IDs, `createdOn`, the author, pixel
//! widths to fifteen digits…) on every export, so two exports of an unchanged dashboard differ
//! byte for byte. Everything that compares layouts (the plan's hash and diff, the state's
//! record, later the drift check) goes through this module so they agree on one meaning: the
//! [`normalise`]d JSON. It also knows what a layout holds (viewers, its table's name) for the
//! viewer summary and for filling `tableName`. Pure functions, no I/O.

mod normalise;
mod summary;
mod table_name;
mod viewer;

use std::borrow::Cow;

use serde_json::Value;
use similar::TextDiff;

use crate::model::Model;

pub use normalise::normalise;
pub use summary::{PropertyChange, ViewerChange, ViewerChangeKind};
pub use table_name::fill_table_names;

/// The normalised JSON of `text`, `None` when it is not JSON.
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text)
        .ok()
        .map(|v| normalise(&v))
}

/// `text` normalised and written compactly (keys sorted): the form grokform hashes and
/// records. A text that is not JSON (resolve refuses those) is returned as it is.
pub fn canonical_text(text: &str) -> String {
    match parse(text) {
        Some(value) => serde_json::to_string(&value).expect("json values serialise"),
        None => text.to_string(),
    }
}

/// `text` normalised and pretty-printed with a trailing newline, so that a one-line export
/// diffs line by line; a text that is not JSON is returned as it is.
pub fn pretty(text: &str) -> String {
    let mut out = match parse(text) {
        Some(value) => serde_json::to_string_pretty(&value).expect("json values serialise"),
        None => text.to_string(),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Whether two layouts mean the same. A `tableName` beside a `tableId` is left out: it follows
/// the ID (grokform fills it from the table's name), and layouts recorded before it did so
/// hold the exported name; the table itself is named by the ID either way.
pub fn same_meaning(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => without_derived_names(a) == without_derived_names(b),
        _ => a == b,
    }
}

/// `text` with `tableName` filled from the model's tables (see [`fill_table_names`]).
pub fn with_table_names<'t>(text: &'t str, model: &Model) -> Cow<'t, str> {
    fill_table_names(text, |key| {
        model.tables.get(key).map(|t| t.name.to_string())
    })
}

/// How a layout changed: the unified diff of the normalised pretty JSON and, above it, what
/// happened to its viewers.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub diff: String,
    pub viewers: Vec<ViewerChange>,
}

/// Compares two layout texts (`None`: no layout); `None` when their normalised forms are equal.
pub fn compare(before: Option<&str>, after: Option<&str>) -> Option<Comparison> {
    let text = |t: Option<&str>| t.map(pretty).unwrap_or_default();
    let (old, new) = (text(before), text(after));
    if old == new {
        return None;
    }
    let diff = TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .to_string();
    let viewers_of = |t: Option<&str>| {
        t.and_then(parse)
            .map(|v| viewer::viewers(&v))
            .unwrap_or_default()
    };
    Some(Comparison {
        diff,
        viewers: summary::summarise(&viewers_of(before), &viewers_of(after)),
    })
}

fn without_derived_names(value: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            if map.contains_key("tableId") {
                map.shift_remove("tableName");
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, without_derived_names(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_derived_names).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests;
