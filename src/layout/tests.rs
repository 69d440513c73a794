//! The layout module on a realistic export: the shape of Datagrok's own `.layout` files
//! (docked viewers with `element.id`, tag IDs, `createdOn`, fractional widths).

use serde_json::{Map, Value, json};

use super::*;

const EXPORTED: &str = include_str!("fixtures/sales-overview.layout");

/// The same dashboard exported again from the UI: every viewer and tag gets a new UUID, the
/// export a new date and author record, widths come out with different float noise,
/// detection took another time, and the file is written on one line in another key order.
fn exported_again() -> String {
    let mut layout: Value = serde_json::from_str(EXPORTED).unwrap();
    let mut n = 0;
    reexport(&mut layout, None, &mut n);
    layout["createdOn"] = json!("2026-06-01T08:00:00.000Z");
    layout["author"] = json!({"id": "00000000-0000-4000-8000-00000000beef"});
    serde_json::to_string(&reversed(&layout)).unwrap()
}

fn reexport(value: &mut Value, key: Option<&str>, n: &mut u32) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match (k.as_str(), &v) {
                    ("id", Value::String(_)) if matches!(key, Some("element" | "entityTags")) => {
                        *n += 1;
                        *v = json!(format!("00000000-0000-4000-8000-{n:012}"));
                    }
                    ("width", Value::Number(w)) if w.as_f64().unwrap().fract() != 0.0 => {
                        *v = json!((w.as_f64().unwrap() * 100.0).round() / 100.0);
                    }
                    (".semantic-detection-duration", _) => *v = json!("17"),
                    _ => reexport(v, Some(k), n),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| reexport(v, key, n)),
        _ => {}
    }
}

fn reversed(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map.iter().rev() {
                out.insert(k.clone(), reversed(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

#[test]
fn a_layout_exported_twice_means_the_same() {
    let again = exported_again();
    assert_ne!(EXPORTED, again, "the bytes differ");
    assert!(
        again.contains("00000000-0000-4000-8000-000000000001"),
        "ids were rewritten"
    );
    assert!(
        again.contains("564.04") && !again.contains("564.0423"),
        "{again}"
    );
    assert_eq!(parse(EXPORTED), parse(&again));
    assert_eq!(canonical_text(EXPORTED), canonical_text(&again));
    assert!(same_meaning(EXPORTED, &again));
    assert_eq!(compare(Some(EXPORTED), Some(&again)), None);
}

#[test]
fn the_canonical_text_holds_no_volatile_field() {
    let text = canonical_text(EXPORTED);
    for volatile in [
        "createdOn",
        "4a541150-48b0-11f1-921a-4b0415f08584",
        "6f40c4c0-48b0-11f1-aab3-9fb1b823a830",
        "878c42b0-9a50-11e6-c537-6bf8e9ab02ee",
        "564.0423728813557",
        "\".semantic-detection-duration\":\"1\"",
    ] {
        assert!(!text.contains(volatile), "{volatile} in {text}");
    }
    // what the layout says stays: its table template, columns, the table's column IDs
    for kept in [
        "${table.orders.id}",
        "\"width\":564.04",
        "Revenue by region",
        "32dba5e0-48b0-11f1-9269-39c85af11b9d",
    ] {
        assert!(text.contains(kept), "{kept} missing from {text}");
    }
}

#[test]
fn a_real_change_is_a_change_with_a_summary_above_the_diff() {
    let edited = EXPORTED
        .replace("\"Revenue by region\"", "\"Revenue per region\"")
        .replace("\"width\": 110,", "\"width\": 600,");
    assert!(!same_meaning(EXPORTED, &edited));
    let comparison = compare(Some(EXPORTED), Some(&edited)).unwrap();
    let lines: Vec<String> = comparison.viewers.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "~ Grid: columns[1].width 110 → 600",
            "~ Bar chart (region, revenue): title \"Revenue by region\" → \"Revenue per region\"",
        ]
    );
    let changed: Vec<String> = comparison
        .diff
        .lines()
        .filter(|l| l.starts_with(['+', '-']))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        changed,
        [
            "- \"width\": 110",
            "+ \"width\": 600",
            "- \"title\": \"Revenue by region\",",
            "+ \"title\": \"Revenue per region\",",
        ],
        "only what changed, nothing volatile: {}",
        comparison.diff
    );
    assert!(
        !comparison.diff.contains("createdOn"),
        "the diff is of normalised JSON"
    );
}

#[test]
fn a_removed_and_an_added_viewer() {
    let mut layout: Value = serde_json::from_str(EXPORTED).unwrap();
    let element = &mut layout["viewStateMap"]["children"][1]["children"][1]["state"]["element"];
    *element = json!({"id": "new", "type": "Histogram", "look": {"valueColumnName": "revenue"}});
    let edited = serde_json::to_string(&layout).unwrap();
    let comparison = compare(Some(EXPORTED), Some(&edited)).unwrap();
    let lines: Vec<String> = comparison.viewers.iter().map(ToString::to_string).collect();
    assert_eq!(lines, ["+ Histogram (revenue)", "- Pie chart (status)"]);
}

#[test]
fn a_layout_added_to_a_dashboard_lists_every_viewer_as_added() {
    let comparison = compare(None, Some(EXPORTED)).unwrap();
    let lines: Vec<String> = comparison.viewers.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "+ Grid",
            "+ Bar chart (region, revenue)",
            "+ Pie chart (status)"
        ]
    );
    assert_eq!(compare(None, None), None);
}

#[test]
fn the_table_name_beside_an_id_follows_the_id() {
    let renamed = EXPORTED.replace("\"orders (2)\"", "\"Orders\"");
    assert!(
        same_meaning(EXPORTED, &renamed),
        "the name is derived from the ID"
    );
    let comparison = compare(Some(EXPORTED), Some(&renamed)).unwrap();
    assert!(
        comparison.diff.contains("+    \"tableName\": \"Orders\""),
        "{}",
        comparison.diff
    );
    assert!(comparison.viewers.is_empty());
    let other_table = EXPORTED.replace("${table.orders.id}", "${table.customers.id}");
    assert!(!same_meaning(EXPORTED, &other_table));
}

#[test]
fn text_that_is_not_json_is_compared_as_text() {
    assert_eq!(canonical_text("not json"), "not json");
    assert!(same_meaning("not json", "not json"));
    assert!(!same_meaning("not json", "{}"));
    assert_eq!(
        pretty("{\"b\":1,\"a\":2}"),
        "{\n  \"a\": 2,\n  \"b\": 1\n}\n"
    );
}
