//! `tableName` follows `tableId`: a Datagrok layout names its table by both (`viewStateMap`
//! holds `tableId` and `tableName`), and a layout exported from one server carries that
//! server's table name. When grokform fills the ID from `${table.KEY.id}`, it fills the name
//! from the same table, so the two never disagree.

use std::borrow::Cow;

use serde_json::Value;

use crate::address::Kind;
use crate::model::template;

/// `text` with every `tableName` set to the table's name where the same JSON object has
/// `"tableId": "${table.KEY.id}"` (exactly that template) and a `tableName` key. `grok_name`
/// gives a table key's Grok name (`Admin:Sales:Orders`); the table's name is its last part
/// (`Orders`). Returns `text` untouched when nothing changes or it is not JSON; otherwise the
/// JSON re-written, pretty when `text` spans several lines, in the same key order.
pub fn fill_table_names(text: &str, grok_name: impl Fn(&str) -> Option<String>) -> Cow<'_, str> {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else {
        return Cow::Borrowed(text);
    };
    if !fill(&mut value, &grok_name) {
        return Cow::Borrowed(text);
    }
    let written = if text.trim().contains('\n') {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    };
    let mut written = written.expect("json values serialise");
    if text.ends_with('\n') {
        written.push('\n');
    }
    Cow::Owned(written)
}

/// Sets the names in place; whether any changed.
fn fill(value: &mut Value, grok_name: &dyn Fn(&str) -> Option<String>) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            let table = map
                .get("tableId")
                .and_then(Value::as_str)
                .and_then(table_key);
            if let Some(key) = table
                && let Some(name) = grok_name(&key)
                && let Some(slot) = map.get_mut("tableName")
            {
                let name = Value::String(table_name(&name).to_string());
                if *slot != name {
                    *slot = name;
                    changed = true;
                }
            }
            for v in map.values_mut() {
                changed |= fill(v, grok_name);
            }
            changed
        }
        Value::Array(items) => {
            // every item, not only up to the first that changed
            let mut changed = false;
            for v in items {
                changed |= fill(v, grok_name);
            }
            changed
        }
        _ => false,
    }
}

/// `KEY` when `text` is exactly `${table.KEY.id}`.
fn table_key(text: &str) -> Option<String> {
    match template::references(text).as_slice() {
        [only] if only.start == 0 && only.end == text.len() && only.address.kind == Kind::Table => {
            Some(only.address.key.clone())
        }
        _ => None,
    }
}

/// A table's own name: the last part of its Grok name (`Admin:Sales:Orders` → `Orders`; a
/// bare `Cars` is `Admin:Cars:Cars` on the server, still `Cars`).
fn table_name(grok_name: &str) -> &str {
    grok_name.rsplit(':').next().unwrap_or(grok_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(key: &str) -> Option<String> {
        (key == "orders").then(|| "Admin:Sales:Orders".to_string())
    }

    #[test]
    fn the_name_follows_a_templated_id() {
        let text = r#"{"viewStateMap":{"tableId":"${table.orders.id}","tableName":"SIRNA (2)"},"name":"x"}"#;
        assert_eq!(
            fill_table_names(text, names),
            r#"{"viewStateMap":{"tableId":"${table.orders.id}","tableName":"Orders"},"name":"x"}"#
        );
    }

    #[test]
    fn a_pretty_layout_stays_pretty() {
        let text = "{\n  \"tableId\": \"${table.orders.id}\",\n  \"tableName\": \"old\"\n}\n";
        assert_eq!(
            fill_table_names(text, names),
            "{\n  \"tableId\": \"${table.orders.id}\",\n  \"tableName\": \"Orders\"\n}\n"
        );
    }

    #[test]
    fn nothing_changes_without_a_templated_id_or_a_name_key() {
        for text in [
            r#"{"tableId":"${table.orders.id}"}"#,
            r#"{"tableId":"b7d87a00-48b0-11f1-c52b-fbb2814510c2","tableName":"SIRNA"}"#,
            r#"{"tableId":"x-${table.orders.id}","tableName":"SIRNA"}"#,
            r#"{"tableId":"${table.unknown.id}","tableName":"SIRNA"}"#,
            r#"{"tableId":"${dashboard.orders.id}","tableName":"SIRNA"}"#,
            r#"{"tableId":"${table.orders.id}","tableName":"Orders"}"#,
            "not json ${table.orders.id}",
        ] {
            assert!(
                matches!(fill_table_names(text, names), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn names_are_the_last_part_of_the_grok_name() {
        assert_eq!(table_name("Admin:Sales:Orders"), "Orders");
        assert_eq!(table_name("Cars"), "Cars");
    }
}
