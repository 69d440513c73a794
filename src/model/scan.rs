//! Scanning strings and JSON for what resolve checks: `${var.X}` expansion, malformed
//! `${…}` references, and the column names a Datagrok layout mentions. Pure functions, kept
//! apart from the resolver so they are tested on their own.

use std::collections::{BTreeMap, BTreeSet};

use super::template;

/// `${var.NAME}` replaced from `vars`; returns the text and the unknown names with their byte
/// range in `text`.
pub fn expand_vars(
    text: &str,
    vars: &BTreeMap<String, String>,
) -> (String, Vec<(String, usize, usize)>) {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(open) = text[from..].find("${var.") {
        let start = from + open;
        let Some(close) = text[start..].find('}') else {
            break;
        };
        let end = start + close + 1;
        let name = &text[start + 6..end - 1];
        out.push_str(&text[last..start]);
        match vars.get(name) {
            Some(value) => out.push_str(value),
            None => {
                unknown.push((name.to_string(), start, end));
                out.push_str(&text[start..end]);
            }
        }
        last = end;
        from = end;
    }
    out.push_str(&text[last..]);
    (out, unknown)
}

/// `${…}` occurrences that look like references (`table.`, `dashboard.`, `file.`, `call.`,
/// `share.`, `var.`) but are not a `${table.KEY.id}` / `${dashboard.KEY.id}` template: they
/// would reach the server verbatim. Returns (start, end, inner text).
pub fn malformed_templates(text: &str) -> Vec<(usize, usize, String)> {
    template::placeholders(text)
        .filter(|(start, end, inner)| {
            let looks_like_reference = ["table.", "dashboard.", "file.", "call.", "share.", "var."]
                .iter()
                .any(|prefix| inner.starts_with(prefix));
            looks_like_reference && template::references(&text[*start..*end]).is_empty()
        })
        .map(|(start, end, inner)| (start, end, inner.to_string()))
        .collect()
}

/// Expands `${var.X}` in every string of a JSON value; unknown names go to `unknown`.
pub fn expand_json(
    value: &mut serde_json::Value,
    vars: &BTreeMap<String, String>,
    unknown: &mut Vec<String>,
) {
    match value {
        serde_json::Value::String(s) => {
            let (expanded, missing) = expand_vars(s, vars);
            *s = expanded;
            unknown.extend(missing.into_iter().map(|(n, _, _)| n));
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| expand_json(v, vars, unknown))
        }
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(|v| expand_json(v, vars, unknown))
        }
        _ => {}
    }
}

pub fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// How a layout property names columns, by its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKey {
    /// `…ColumnName` (`xColumnName`, `columnName`): one column name.
    One,
    /// `…ColumnNames` (`yColumnNames`, `sortByColumnNames`): a list of column names.
    Many,
}

/// Whether a layout property with this key names columns (case-insensitively, as Datagrok
/// spells them `xColumnName`, `columnNames`…). Shared by the column check in resolve and the
/// viewer summary in `layout`, so both agree on what a column reference is.
pub fn column_key(key: &str) -> Option<ColumnKey> {
    let key = key.to_lowercase();
    if key.ends_with("columnname") {
        Some(ColumnKey::One)
    } else if key.ends_with("columnnames") {
        Some(ColumnKey::Many)
    } else {
        None
    }
}

/// Column names a Datagrok layout refers to: the top-level `columns[].name` and any
/// `…ColumnName` / `…ColumnNames` property of its viewers' looks.
pub fn layout_columns(value: &serde_json::Value, key: Option<&str>, out: &mut BTreeSet<String>) {
    let mut uses = BTreeSet::new();
    column_uses(value, key, None, &mut uses);
    out.extend(uses.into_iter().map(|u| u.column));
}

/// One column a layout uses, and the viewer that uses it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnUse {
    pub column: String,
    /// The viewer: its type, and its title when its look has one (`Bar chart "Revenue"`);
    /// `None` for a name outside any viewer (the layout's own `columns[]` list).
    pub viewer: Option<String>,
}

/// The walk behind [`layout_columns`], keeping the viewer each name is found in. A viewer is
/// an object with a string `type` and an object `look` (`{"type": "Bar chart", "look": {…}}`),
/// as Datagrok exports them.
pub fn column_uses(
    value: &serde_json::Value,
    key: Option<&str>,
    viewer: Option<&str>,
    out: &mut BTreeSet<ColumnUse>,
) {
    let found = |column: &str| ColumnUse {
        column: column.to_string(),
        viewer: viewer.map(str::to_string),
    };
    match value {
        serde_json::Value::String(s) if key.and_then(column_key) == Some(ColumnKey::One) => {
            out.insert(found(s));
        }
        serde_json::Value::Array(items) => {
            for item in items {
                if key.and_then(column_key) == Some(ColumnKey::Many)
                    && let Some(s) = item.as_str()
                {
                    out.insert(found(s));
                }
                column_uses(item, None, viewer, out);
            }
        }
        serde_json::Value::Object(map) => {
            let named = viewer_name(map);
            let viewer = named.as_deref().or(viewer);
            for (k, v) in map {
                if k == "columns"
                    && let Some(items) = v.as_array()
                {
                    for item in items {
                        if let Some(name) = item.get("name").and_then(|n| n.as_str()) {
                            out.insert(ColumnUse {
                                column: name.to_string(),
                                viewer: viewer.map(str::to_string),
                            });
                        }
                    }
                }
                column_uses(v, Some(k), viewer, out);
            }
        }
        _ => {}
    }
}

/// `Bar chart "Revenue by region"` for a viewer object, `None` for any other object.
fn viewer_name(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    let kind = map.get("type")?.as_str()?;
    let look = map.get("look")?.as_object()?;
    Some(match look.get("title").and_then(|t| t.as_str()) {
        Some(title) if !title.trim().is_empty() => format!("{kind} \"{title}\""),
        _ => kind.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_and_unknown_ones_are_reported_with_their_range() {
        let vars = BTreeMap::from([("p".to_string(), "Sales".to_string())]);
        let (out, unknown) = expand_vars("A:${var.p}:${var.q}", &vars);
        assert_eq!(out, "A:Sales:${var.q}");
        assert_eq!(unknown, [("q".to_string(), 11, 19)]);
    }

    #[test]
    fn malformed_templates_are_found() {
        let found: Vec<String> =
            malformed_templates("${table.a.id} ${table.a} ${var.x} ${other} ${file.f.id}")
                .into_iter()
                .map(|(_, _, inner)| inner)
                .collect();
        assert_eq!(found, ["table.a", "var.x", "file.f.id"]);
    }

    #[test]
    fn layout_columns_are_found_in_columns_and_looks() {
        let json: serde_json::Value = serde_json::from_str(
            r#"{"columns":[{"name":"a"}],"viewStateMap":{"v":{"look":{"xColumnName":"b","columnNames":["c"]}}}}"#,
        )
        .unwrap();
        let mut out = BTreeSet::new();
        layout_columns(&json, None, &mut out);
        assert_eq!(out.into_iter().collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn column_uses_name_the_viewer_they_are_in() {
        let json: serde_json::Value = serde_json::from_str(
            r#"{"columns":[{"name":"a"}],"viewStateMap":{"viewers":[
                {"type":"Grid","look":{"columnNames":["a","b"]}},
                {"type":"Bar chart","look":{"splitColumnName":"c","title":"By c"}}]}}"#,
        )
        .unwrap();
        let mut out = BTreeSet::new();
        column_uses(&json, None, None, &mut out);
        let shown: Vec<(String, Option<String>)> =
            out.into_iter().map(|u| (u.column, u.viewer)).collect();
        let viewer = |v: &str| Some(v.to_string());
        assert_eq!(
            shown,
            [
                ("a".into(), None),
                ("a".into(), viewer("Grid")),
                ("b".into(), viewer("Grid")),
                ("c".into(), viewer("Bar chart \"By c\"")),
            ]
        );
    }
}
