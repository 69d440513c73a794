//! Layouts compared by meaning: the layout the server serves against the one grokform sent.
//! The server adds fields it owns (the layout's `id`, `createdOn`, `author.id`, an `id` per
//! viewer element and tag, a `name` when there was none) and rewrites sizes with fifteen
//! digits; none of that is an edit. What differs after normalisation is named by JSON
//! pointer, so `ignore_changes` can cover parts of a layout.
//!
//! The normalisation is the planner's (`crate::layout::normalise`): a layout that plans no
//! change is never drift, and the other way round.

use serde_json::{Map, Value};

use crate::plan::{Drift, DriftKind};

/// Pointers listed in a drift item before "and N more".
const SHOWN: usize = 5;

/// The drift of a served layout from the `expected` text (the filled layout applied), `None`
/// when they mean the same.
pub(crate) fn compare(expected: Option<&str>, served: Option<&Value>) -> Option<Drift> {
    let expected = expected.and_then(|t| serde_json::from_str::<Value>(t).ok());
    let (expected, served) = match (expected, served) {
        (None, None) => return None,
        (Some(_), None) => {
            return Some(edited("no layout on the server".into(), vec!["".into()]));
        }
        (None, Some(_)) => {
            return Some(edited("a layout on the server".into(), vec!["".into()]));
        }
        (Some(e), Some(s)) => (e, s.clone()),
    };
    let served = without_added_names(served, &expected);
    let pointers = changed_pointers(&normalise(&expected), &normalise(&served));
    if pointers.is_empty() {
        return None;
    }
    let mut seen = format!(
        "changed at {}",
        pointers
            .iter()
            .take(SHOWN)
            .map(|p| format!("`{}`", if p.is_empty() { "/" } else { p }))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if pointers.len() > SHOWN {
        seen.push_str(&format!(" and {} more", pointers.len() - SHOWN));
    }
    Some(edited(seen, pointers))
}

fn edited(seen: String, pointers: Vec<String>) -> Drift {
    Drift {
        pointers,
        ..Drift::new(DriftKind::LayoutEdited, seen)
    }
}

/// The server names a layout that has no `name` after its dashboard: not an edit.
fn without_added_names(mut served: Value, expected: &Value) -> Value {
    if let Value::Object(map) = &mut served {
        for key in ["name", "friendlyName"] {
            if expected.get(key).is_none() {
                map.remove(key);
            }
        }
    }
    served
}

/// The layout as `crate::layout::normalise` compares it (server-owned fields dropped, sizes
/// rounded, keys sorted), without the `updatedOn` stamp the server may add too.
pub(super) fn normalise(layout: &Value) -> Value {
    let mut value = crate::layout::normalise(layout);
    if let Value::Object(map) = &mut value {
        map.remove("updatedOn");
    }
    value
}

/// The JSON pointers (RFC 6901) at which `a` and `b` differ, sorted: the deepest place where
/// objects gain, lose or change a key, or where arrays change length.
fn changed_pointers(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(a, b, &mut String::new(), &mut out);
    out.sort();
    out
}

fn diff(a: &Value, b: &Value, at: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                descend(x, y, key, at, out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                diff(p, q, at, out);
                at.truncate(len);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if a == b => {}
        _ => out.push(at.clone()),
    }
}

fn descend(
    x: &Map<String, Value>,
    y: &Map<String, Value>,
    key: &str,
    at: &mut String,
    out: &mut Vec<String>,
) {
    let len = at.len();
    at.push('/');
    at.push_str(&key.replace('~', "~0").replace('/', "~1"));
    match (x.get(key), y.get(key)) {
        (Some(p), Some(q)) => diff(p, q, at, out),
        _ => out.push(at.clone()),
    }
    at.truncate(len);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn server_owned_fields_are_not_an_edit() {
        let sent = json!({"#type": "ViewLayout", "viewStateMap": {"viewers": [
            {"type": "Grid", "look": {"width": 564.0423728813557}}]},
            "columns": [{"name": "a", "entityTags": [{"tag": "u"}]}]});
        let served = json!({"#type": "ViewLayout", "id": "L", "name": "D", "friendlyName": "D",
            "createdOn": "2026", "author": {"id": "A"},
            "viewStateMap": {"viewers": [
                {"type": "Grid", "id": "E", "look": {"width": 564.0423728813}}]},
            "columns": [{"name": "a", "entityTags": [{"tag": "u", "id": "T"}]}]});
        assert_eq!(compare(Some(&sent.to_string()), Some(&served)), None);
    }

    #[test]
    fn edits_are_named_by_pointer() {
        let sent = json!({"viewStateMap": {"viewers": [{"type": "Grid", "look": {"title": "A"}}]}});
        let served =
            json!({"viewStateMap": {"viewers": [{"type": "Grid", "look": {"title": "B"}}]}});
        let drift = compare(Some(&sent.to_string()), Some(&served)).unwrap();
        assert_eq!(drift.kind, DriftKind::LayoutEdited);
        assert_eq!(
            drift.seen,
            "changed at `/viewStateMap/viewers/0/look/title`"
        );
        assert_eq!(
            changed_pointers(
                &json!({"a/b": [1, 2], "c": 1}),
                &json!({"a/b": [1], "d": 1})
            ),
            ["/a~1b", "/c", "/d"]
        );
        assert!(compare(None, None).is_none());
        assert!(compare(Some("{}"), None).is_some());
    }
}
