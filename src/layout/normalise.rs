//! [`normalise`]: a layout without what the server rewrites on every export.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

/// Numbers under these keys (and keys ending in `Width` / `Height`) are pixel sizes and
/// positions, which Datagrok exports with the full precision of a division
/// (`564.0423728813557`).
const SIZE_KEYS: [&str; 4] = ["width", "height", "left", "top"];

/// Decimal places kept of a fractional size: `564.0423728813557` and `564.04` are the same
/// width, `564` and `600` are not. Rounding to whole pixels would merge a hand-set `1.5`
/// line width with `2`; two places are far below what a screen shows.
const SIZE_DECIMALS: i32 = 2;

/// The layout as it means, so that two exports of the same dashboard are equal:
/// - dropped: the per-viewer `id` (an `element`'s, or any object with a `type` and a `look`),
///   `entityTags[].id`, `createdOn`, `author.id` (and an `author` left empty), the layout's
///   own top-level `id` (the server assigns one per save), and
///   `metaParams[".semantic-detection-duration"]` (how long detection took);
/// - fractional sizes (`width`, `height`, `left`, `top`, `…Width`, `…Height`) rounded to two
///   decimals, and every whole number written as an integer (`564.0` is `564`);
/// - object keys sorted, at every depth (arrays keep their order: it is viewer and column
///   order).
///
/// Idempotent: normalising a normalised layout changes nothing.
pub fn normalise(layout: &Value) -> Value {
    match layout {
        Value::Object(map) => object(map, None, true),
        other => value(other, None),
    }
}

/// `value`, found under `key` (an array's items are found under the array's key).
fn value(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => object(map, key, false),
        Value::Array(items) => Value::Array(items.iter().map(|v| self::value(v, key)).collect()),
        Value::Number(n) => number(n, key.is_some_and(is_size)),
        other => other.clone(),
    }
}

fn object(map: &Map<String, Value>, key: Option<&str>, top: bool) -> Value {
    let is_viewer = map.get("type").is_some_and(Value::is_string)
        && map.get("look").is_some_and(Value::is_object);
    let drop_id = top || is_viewer || matches!(key, Some("element" | "entityTags" | "author"));
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let volatile = k == "createdOn"
            || (k == "id" && drop_id)
            || (key == Some("metaParams") && k == ".semantic-detection-duration");
        if volatile {
            continue;
        }
        let v = value(v, Some(k));
        if k == "author" && v.as_object().is_some_and(Map::is_empty) {
            continue;
        }
        out.insert(k.clone(), v);
    }
    Value::Object(out.into_iter().collect())
}

fn is_size(key: &str) -> bool {
    SIZE_KEYS.contains(&key) || key.ends_with("Width") || key.ends_with("Height")
}

fn number(n: &Number, size: bool) -> Value {
    if n.is_i64() || n.is_u64() {
        return Value::Number(n.clone());
    }
    let Some(mut x) = n.as_f64() else {
        return Value::Number(n.clone());
    };
    if size {
        let scale = 10f64.powi(SIZE_DECIMALS);
        x = (x * scale).round() / scale;
    }
    // Within ±2^53 a whole f64 is an exact integer; JavaScript (Datagrok's client) does not
    // tell `564.0` from `564` either.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        return Value::from(x as i64);
    }
    Number::from_f64(x).map_or_else(|| Value::Number(n.clone()), Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn volatile_fields_are_dropped_where_they_are_volatile_only() {
        let layout = json!({
            "#type": "ViewLayout",
            "id": "layout-uuid",
            "createdOn": "2026-05-12T21:56:31.107Z",
            "author": {"id": "878c42b0-9a50-11e6-c537-6bf8e9ab02ee"},
            "viewStateMap": {"children": [{"state": {"element": {
                "id": "6f404f90-48b0-11f1-9b88-13980690b06d",
                "type": "Grid",
                "look": {"#type": "GridLook", "columns": [{"columnName": "id", "id": "kept"}]}
            }}}]},
            "columns": [{
                "name": "tm_c",
                "id": "column-id-kept",
                "entityTags": [{"tag": "format", "id": "6f40c4c0-48b0-11f1-aab3-9fb1b823a830"}],
                "metaParams": {"format": "0.0", ".semantic-detection-duration": "1", ".id": "column-id-kept"}
            }]
        });
        let normalised = normalise(&layout);
        assert_eq!(
            normalised,
            json!({
                "#type": "ViewLayout",
                "columns": [{
                    "entityTags": [{"tag": "format"}],
                    "id": "column-id-kept",
                    "metaParams": {".id": "column-id-kept", "format": "0.0"},
                    "name": "tm_c"
                }],
                "viewStateMap": {"children": [{"state": {"element": {
                    "look": {"#type": "GridLook", "columns": [{"columnName": "id", "id": "kept"}]},
                    "type": "Grid"
                }}}]}
            })
        );
    }

    #[test]
    fn an_author_with_more_than_an_id_is_kept() {
        let layout = json!({"author": {"id": "x", "login": "jdoe"}});
        assert_eq!(normalise(&layout), json!({"author": {"login": "jdoe"}}));
    }

    #[test]
    fn keys_are_sorted_at_every_depth_and_arrays_keep_their_order() {
        let layout: Value =
            serde_json::from_str(r#"{"b": {"z": 1, "a": [3, 1, 2]}, "a": [{"y": 1, "x": 2}]}"#)
                .unwrap();
        let text = serde_json::to_string(&normalise(&layout)).unwrap();
        assert_eq!(text, r#"{"a":[{"x":2,"y":1}],"b":{"a":[3,1,2],"z":1}}"#);
    }

    #[test]
    fn fractional_sizes_are_rounded_and_other_numbers_are_not() {
        let round = |key: &str, x: f64| normalise(&json!({ key: x }))[key].clone();
        assert_eq!(round("width", 564.0423728813557), json!(564.04));
        assert_eq!(round("width", 564.04), json!(564.04));
        assert_eq!(round("width", 564.001), json!(564));
        assert_ne!(round("width", 564.0), round("width", 600.0));
        assert_eq!(round("rowHeight", 112.99999), json!(113));
        assert_eq!(round("left", 10.126), json!(10.13));
        // not a size: kept to the last digit
        assert_eq!(round("cutoff", 0.005), json!(0.005));
        assert_eq!(round("gapExtend", 0.6), json!(0.6));
        // a whole float is the integer it equals
        assert_eq!(round("limit", 10.0), json!(10));
    }

    /// Any JSON, with the keys normalise looks at over-represented.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("id".to_string()),
            Just("width".to_string()),
            Just("rowHeight".to_string()),
            Just("author".to_string()),
            Just("createdOn".to_string()),
            Just("element".to_string()),
            Just("entityTags".to_string()),
            Just("metaParams".to_string()),
            Just(".semantic-detection-duration".to_string()),
            Just("type".to_string()),
            Just("look".to_string()),
            "[a-z]{1,3}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON numbers are finite", |x| x.is_finite())
                .prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((key.clone(), inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn normalising_any_json_is_idempotent(value in any_json()) {
            let once = normalise(&value);
            proptest::prop_assert_eq!(normalise(&once), once);
        }
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        let layout = json!({
            "createdOn": "x",
            "viewStateMap": {"state": {"width": 219.41747572815527, "height": 468.5}},
            "columns": [{"name": "a", "entityTags": [{"tag": "t", "id": "u"}]}]
        });
        let once = normalise(&layout);
        assert_eq!(normalise(&once), once);
    }
}
