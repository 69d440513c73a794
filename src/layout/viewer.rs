//! The viewers of a layout: each object with a `type` and a `look` (Datagrok's docked
//! `state.element`, a `floating` entry, or an item of a hand-written `viewers` list), with the
//! columns it is about and its look properties.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::scan::{ColumnKey, column_key};

/// Column roles in the order a reader names a chart by them: `Scatter plot (x, y)`,
/// `Bar chart (split, value)`. Other roles follow in key order.
const ROLES: [&str; 8] = ["x", "y", "z", "split", "category", "value", "color", "size"];

/// Roles that do not say what a viewer shows: sorting, and a grid's plain list of columns.
const NOT_MAIN: [&str; 2] = ["sortby", ""];

/// One viewer of a layout.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Viewer {
    /// `Bar chart`, `Histogram`, `Grid`…
    pub kind: String,
    /// The columns its look names by role (x, y, split, category, value…), in role order.
    pub columns: Vec<String>,
    /// Its look properties and the viewer's own (`title`), nulls left out (a null look
    /// property is the default, as is an absent one). A viewer-level key that the look also
    /// has is named `viewer.KEY`.
    pub properties: BTreeMap<String, Value>,
}

/// Every viewer of a (normalised) layout, in document order.
pub(crate) fn viewers(layout: &Value) -> Vec<Viewer> {
    let mut out = Vec::new();
    collect(layout, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<Viewer>) {
    match value {
        Value::Object(map) => match viewer(map) {
            Some(viewer) => out.push(viewer),
            None => map.values().for_each(|v| collect(v, out)),
        },
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn viewer(map: &Map<String, Value>) -> Option<Viewer> {
    let kind = map.get("type")?.as_str()?;
    let look = map.get("look")?.as_object()?;
    let mut properties: BTreeMap<String, Value> = look
        .iter()
        .filter(|(k, v)| *k != "#type" && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in map {
        if matches!(k.as_str(), "id" | "type" | "look") || v.is_null() {
            continue;
        }
        let name = if properties.contains_key(k) {
            format!("viewer.{k}")
        } else {
            k.clone()
        };
        properties.insert(name, v.clone());
    }
    Some(Viewer {
        kind: kind.to_string(),
        columns: main_columns(look),
        properties,
    })
}

/// The columns a look names by role, in [`ROLES`] order, each once.
fn main_columns(look: &Map<String, Value>) -> Vec<String> {
    let mut named: Vec<(usize, &str, usize, &str)> = Vec::new();
    for (key, value) in look {
        let (role, names): (String, Vec<&str>) = match (column_key(key), value) {
            (Some(ColumnKey::One), Value::String(name)) => {
                (role(key, "ColumnName"), vec![name.as_str()])
            }
            (Some(ColumnKey::Many), Value::Array(items)) => (
                role(key, "ColumnNames"),
                items.iter().filter_map(Value::as_str).collect(),
            ),
            _ => continue,
        };
        if NOT_MAIN.contains(&role.as_str()) {
            continue;
        }
        let rank = ROLES.iter().position(|r| *r == role).unwrap_or(ROLES.len());
        for (i, name) in names.into_iter().enumerate() {
            if !name.is_empty() {
                named.push((rank, key, i, name));
            }
        }
    }
    named.sort();
    let mut columns: Vec<String> = Vec::new();
    for (_, _, _, name) in named {
        if !columns.iter().any(|c| c == name) {
            columns.push(name.to_string());
        }
    }
    columns
}

/// `splitColumnName` → `split`, `yColumnNames` → `y` (case-insensitively, as [`column_key`]).
fn role(key: &str, suffix: &str) -> String {
    key.get(..key.len().saturating_sub(suffix.len()))
        .unwrap_or_default()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn viewers_are_found_docked_floating_and_listed() {
        let layout = json!({
            "viewStateMap": {
                "children": [{"state": {"element": {"type": "Grid", "look": {"columnNames": ["a", "b"]}, "title": "orders"}}}],
                "floating": [{"type": "Histogram", "look": {"valueColumnName": "age", "bins": 20}}],
                "viewers": [{"type": "Pie chart", "look": {"categoryColumnName": "status", "title": null}}]
            }
        });
        let found = viewers(&layout);
        let kinds: Vec<&str> = found.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(kinds, ["Grid", "Histogram", "Pie chart"]);
        assert_eq!(
            found[0].columns,
            Vec::<String>::new(),
            "a grid's list is not its subject"
        );
        assert_eq!(found[0].properties["title"], json!("orders"));
        assert_eq!(found[1].columns, ["age"]);
        assert_eq!(found[1].properties["bins"], json!(20));
        assert!(
            !found[2].properties.contains_key("title"),
            "nulls are defaults"
        );
    }

    #[test]
    fn main_columns_follow_role_order() {
        let look = json!({
            "valueColumnName": "revenue",
            "splitColumnName": "region",
            "sortByColumnNames": ["revenue"],
            "colorColumnName": "",
            "yColumnNames": ["revenue", "cost"],
            "xColumnName": "order_date",
            "labelColumnName": "product"
        });
        let columns = main_columns(look.as_object().unwrap());
        assert_eq!(
            columns,
            ["order_date", "revenue", "cost", "region", "product"]
        );
    }

    #[test]
    fn a_viewer_key_the_look_also_has_is_prefixed() {
        let layout = json!({"type": "Bar chart", "look": {"title": "a"}, "title": "b"});
        let found = viewers(&layout);
        assert_eq!(found[0].properties["title"], json!("a"));
        assert_eq!(found[0].properties["viewer.title"], json!("b"));
    }
}
