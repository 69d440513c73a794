//! The viewer-level summary shown above a layout's JSON diff: which viewers were added,
//! removed or changed, and how, in one line each.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::viewer::Viewer;

/// Property changes shown per viewer before "…and N more".
const SHOWN_PROPERTIES: usize = 3;

/// Columns shown in a viewer's name before "…".
const SHOWN_COLUMNS: usize = 3;

/// A value longer than this (in characters, as JSON) is cut with "…".
const SHOWN_VALUE: usize = 40;

/// What happened to a viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ViewerChangeKind {
    Added,
    Removed,
    Changed,
}

/// One viewer added to, removed from or changed in a layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewerChange {
    pub change: ViewerChangeKind,
    /// The viewer's type: `Bar chart`, `Histogram`, `Grid`…
    pub viewer: String,
    /// The columns its look names by role (x, y, z, split, category, value, color, size, then
    /// others); after the change for a changed viewer.
    pub columns: Vec<String>,
    /// For a changed viewer, every look (or viewer) property that differs, sorted by name; a
    /// nested difference is named by its path (`columns[1].width`).
    #[serde(default)]
    pub properties: Vec<PropertyChange>,
}

/// One property of a changed viewer; an absent side means unset (absent or null).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyChange {
    /// The property's name (`title`), or the path to a nested one (`columns[1].width`).
    pub property: String,
    /// Its value before; absent when it was unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Its value after; absent when it is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

impl ViewerChange {
    /// `+`, `-` or `~`.
    pub fn sign(&self) -> &'static str {
        match self.change {
            ViewerChangeKind::Added => "+",
            ViewerChangeKind::Removed => "-",
            ViewerChangeKind::Changed => "~",
        }
    }

    /// `Bar chart (region, revenue)`, or the bare type when its look names no column.
    pub fn name(&self) -> String {
        if self.columns.is_empty() {
            return self.viewer.clone();
        }
        let mut columns = self
            .columns
            .iter()
            .take(SHOWN_COLUMNS)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.columns.len() > SHOWN_COLUMNS {
            columns.push_str(", …");
        }
        format!("{} ({columns})", self.viewer)
    }
}

/// `~ Bar chart (region, revenue): title "Revenue by region" → "Revenue per region"`.
impl fmt::Display for ViewerChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.sign(), self.name())?;
        if self.properties.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = self
            .properties
            .iter()
            .take(SHOWN_PROPERTIES)
            .map(|p| {
                format!(
                    "{} {} → {}",
                    p.property,
                    show(p.before.as_ref()),
                    show(p.after.as_ref())
                )
            })
            .collect();
        write!(f, ": {}", shown.join(", "))?;
        let more = self.properties.len().saturating_sub(SHOWN_PROPERTIES);
        if more > 0 {
            write!(f, ", …and {more} more")?;
        }
        Ok(())
    }
}

/// A property value as JSON, cut to [`SHOWN_VALUE`] characters; `unset` when absent.
fn show(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "unset".to_string();
    };
    let text = value.to_string();
    if text.chars().count() <= SHOWN_VALUE {
        return text;
    }
    text.chars().take(SHOWN_VALUE).collect::<String>() + "…"
}

/// Pairs the viewers of two layouts and says what changed. Viewers carry no stable identity
/// (their IDs are rewritten on every export), so a viewer is matched first with one of the
/// same type and columns, then with one of the same type (its columns changed), each in
/// document order; what is left was removed or added. Changed and added viewers come in the
/// new layout's order, then the removed ones in the old layout's.
pub(crate) fn summarise(before: &[Viewer], after: &[Viewer]) -> Vec<ViewerChange> {
    let mut partner: Vec<Option<usize>> = vec![None; after.len()];
    let mut taken = vec![false; before.len()];
    let passes: [fn(&Viewer, &Viewer) -> bool; 2] = [
        |a, b| a.kind == b.kind && a.columns == b.columns,
        |a, b| a.kind == b.kind,
    ];
    for same in passes {
        for (j, new) in after.iter().enumerate() {
            if partner[j].is_some() {
                continue;
            }
            if let Some(i) = (0..before.len()).find(|&i| !taken[i] && same(&before[i], new)) {
                taken[i] = true;
                partner[j] = Some(i);
            }
        }
    }
    let mut out = Vec::new();
    for (j, new) in after.iter().enumerate() {
        match partner[j] {
            None => out.push(change(ViewerChangeKind::Added, new, vec![])),
            Some(i) => {
                let properties = property_changes(&before[i], new);
                if !properties.is_empty() {
                    out.push(change(ViewerChangeKind::Changed, new, properties));
                }
            }
        }
    }
    for (i, old) in before.iter().enumerate() {
        if !taken[i] {
            out.push(change(ViewerChangeKind::Removed, old, vec![]));
        }
    }
    out
}

fn change(
    kind: ViewerChangeKind,
    viewer: &Viewer,
    properties: Vec<PropertyChange>,
) -> ViewerChange {
    ViewerChange {
        change: kind,
        viewer: viewer.kind.clone(),
        columns: viewer.columns.clone(),
        properties,
    }
}

/// The properties that differ, as paths to the innermost difference in nested structures
/// (`columns[1].width`), so that one width in a grid's column list shows as that width, not
/// as the whole list.
fn property_changes(old: &Viewer, new: &Viewer) -> Vec<PropertyChange> {
    let mut out = Vec::new();
    for name in keys(old.properties.keys(), new.properties.keys()) {
        differences(
            name.clone(),
            old.properties.get(name),
            new.properties.get(name),
            &mut out,
        );
    }
    out
}

fn keys<'a, I: IntoIterator<Item = &'a String>>(a: I, b: I) -> Vec<&'a String> {
    let mut names: Vec<&String> = a.into_iter().chain(b).collect();
    names.sort();
    names.dedup();
    names
}

/// Whether two lists hold structures (a grid's `columns`), whose items are compared one by
/// one; a list of names or numbers (`columnNames`) is shown whole, as one property.
fn nested(a: &[Value], b: &[Value]) -> bool {
    a.iter().chain(b).all(|v| v.is_object() || v.is_array())
}

/// Pushes the differences between two values at `path`; a null is unset, as an absent key.
fn differences(
    path: String,
    old: Option<&Value>,
    new: Option<&Value>,
    out: &mut Vec<PropertyChange>,
) {
    let (old, new) = (old.filter(|v| !v.is_null()), new.filter(|v| !v.is_null()));
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            for key in keys(a.keys(), b.keys()) {
                differences(format!("{path}.{key}"), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() && nested(a, b) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(format!("{path}[{i}]"), Some(x), Some(y), out);
            }
        }
        (old, new) if old != new => out.push(PropertyChange {
            property: path,
            before: old.cloned(),
            after: new.cloned(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::layout::viewer::viewers;

    fn lines(before: Value, after: Value) -> Vec<String> {
        summarise(&viewers(&before), &viewers(&after))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn layout(viewers: Value) -> Value {
        json!({"viewStateMap": {"viewers": viewers}})
    }

    #[test]
    fn added_removed_and_changed_viewers_get_one_line_each() {
        let before = layout(json!([
            {"type": "Bar chart", "look": {"splitColumnName": "region", "valueColumnName": "revenue", "title": "Revenue by region"}},
            {"type": "Pie chart", "look": {"categoryColumnName": "status"}},
            {"type": "Grid", "look": {"columnNames": ["a"]}}
        ]));
        let after = layout(json!([
            {"type": "Grid", "look": {"columnNames": ["a"]}},
            {"type": "Bar chart", "look": {"splitColumnName": "region", "valueColumnName": "revenue", "title": "Revenue per region"}},
            {"type": "Histogram", "look": {"valueColumnName": "age"}}
        ]));
        assert_eq!(
            lines(before, after),
            [
                "~ Bar chart (region, revenue): title \"Revenue by region\" → \"Revenue per region\"",
                "+ Histogram (age)",
                "- Pie chart (status)",
            ]
        );
    }

    #[test]
    fn a_viewer_whose_column_changed_is_changed_not_replaced() {
        let before = layout(json!([{"type": "Histogram", "look": {"valueColumnName": "age"}}]));
        let after = layout(json!([{"type": "Histogram", "look": {"valueColumnName": "income"}}]));
        assert_eq!(
            lines(before, after),
            ["~ Histogram (income): valueColumnName \"age\" → \"income\""]
        );
    }

    #[test]
    fn two_viewers_of_a_type_are_told_apart_by_their_columns() {
        let before = layout(json!([
            {"type": "Histogram", "look": {"valueColumnName": "age"}},
            {"type": "Histogram", "look": {"valueColumnName": "income", "bins": 10}}
        ]));
        let after = layout(json!([
            {"type": "Histogram", "look": {"valueColumnName": "income", "bins": 20}},
            {"type": "Histogram", "look": {"valueColumnName": "age"}}
        ]));
        assert_eq!(lines(before, after), ["~ Histogram (income): bins 10 → 20"]);
    }

    #[test]
    fn property_changes_are_bounded_and_values_cut() {
        let long = "x".repeat(100);
        let before = layout(json!([{"type": "Scatter plot", "look": {
            "xColumnName": "a", "yColumnName": "b", "a1": 1, "a2": 1, "a3": 1, "a4": 1, "a5": 1
        }}]));
        let after = layout(json!([{"type": "Scatter plot", "look": {
            "xColumnName": "a", "yColumnName": "b", "a1": long, "a2": 2, "a3": null, "a4": 2, "a5": 2, "a6": true
        }}]));
        let summary = summarise(&viewers(&before), &viewers(&after));
        assert_eq!(
            summary[0].properties.len(),
            6,
            "the plan keeps every change"
        );
        assert_eq!(
            summary[0].to_string(),
            format!(
                "~ Scatter plot (a, b): a1 1 → \"{}…, a2 1 → 2, a3 1 → unset, …and 3 more",
                "x".repeat(39)
            )
        );
    }

    #[test]
    fn nested_differences_are_named_by_their_path() {
        let grid = |widths: &[u32], sort: &[&str]| {
            let columns: Vec<Value> = widths
                .iter()
                .enumerate()
                .map(|(i, w)| json!({"columnName": format!("c{i}"), "width": w}))
                .collect();
            layout(
                json!([{"type": "Grid", "look": {"columns": columns, "sortByColumnNames": sort, "style": {"a": null}}}]),
            )
        };
        assert_eq!(
            lines(grid(&[10, 20], &["c0"]), grid(&[10, 25], &["c1"])),
            ["~ Grid: columns[1].width 20 → 25, sortByColumnNames [\"c0\"] → [\"c1\"]"]
        );
        assert_eq!(
            lines(grid(&[10], &[]), grid(&[10, 20], &[])),
            [
                "~ Grid: columns [{\"columnName\":\"c0\",\"width\":10}] → [{\"columnName\":\"c0\",\"width\":10},{\"column…"
            ]
        );
    }

    #[test]
    fn many_columns_are_cut_in_the_name() {
        let after =
            layout(json!([{"type": "Line chart", "look": {"yColumnNames": ["a", "b", "c", "d"]}}]));
        assert_eq!(
            lines(layout(json!([])), after),
            ["+ Line chart (a, b, c, …)"]
        );
    }

    #[test]
    fn unchanged_viewers_are_not_listed() {
        let same = layout(json!([{"type": "Grid", "look": {"columnNames": ["a"]}}]));
        assert!(lines(same.clone(), same).is_empty());
    }
}
