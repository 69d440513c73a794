//! What a change shows, independent of how: attribute old → new pairs, the CSV summary, the
//! layout's viewer summary and its diff. The human and Markdown renderers lay out the same lines their own way.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::address::Kind;
use crate::plan::{Action, Change, UNKNOWN};

/// One line of a change's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// An attribute: added (`before` is `None`), removed (`after` is `None`) or changed.
    Attr {
        key: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// A CSV header change or another remark, shown as is.
    Note { key: String, text: String },
    /// One viewer of the layout summary (`~ Bar chart (region, revenue): title "a" → "b"`).
    Viewer(String),
    /// One line of the unified layout diff (with its `+`, `-`, ` ` or `@@` prefix).
    Diff(String),
}

/// Attributes shown by the CSV summary or the layout diff instead of as values.
fn hidden(change: &Change, key: &str) -> bool {
    key == "layout_text" || (change.csv.is_some() && (key == "rows" || key == "columns"))
}

/// The body of `change`, in display order.
pub(crate) fn body(change: &Change) -> Vec<Line> {
    let mut lines = Vec::new();
    let empty = BTreeMap::new();
    let before = change.before.as_ref().unwrap_or(&empty);
    let after = change.after.as_ref().unwrap_or(&empty);
    match change.action {
        Action::NoOp => {}
        Action::Delete | Action::Forget => {
            for (key, value) in before.iter().filter(|(k, _)| !hidden(change, k)) {
                if key == "columns" {
                    continue;
                }
                lines.push(Line::Attr {
                    key: key.clone(),
                    before: Some(show(key, value)),
                    after: None,
                });
            }
        }
        Action::Create | Action::Update | Action::Replace | Action::Run => {
            let fresh = change.action == Action::Create || change.before.is_none();
            for (key, value) in after.iter().filter(|(k, _)| !hidden(change, k)) {
                let old = if fresh { None } else { before.get(key) };
                if !fresh && old == Some(value) {
                    // a call shows what it will be called with even when nothing changed
                    if change.action == Action::Run {
                        lines.push(Line::Note {
                            key: key.clone(),
                            text: show(key, value),
                        });
                    }
                    continue;
                }
                lines.push(Line::Attr {
                    key: key.clone(),
                    before: old.map(|v| show(key, v)),
                    after: Some(show(key, value)),
                });
            }
        }
    }
    if let Some(csv) = &change.csv
        && change.action != Action::NoOp
    {
        let count = |n: Option<u64>| n.map(|n| n.to_string());
        let rows = (count(csv.rows_before), Some(csv.rows_after.to_string()));
        let columns = (
            count(csv.columns_before),
            Some(csv.columns_after.to_string()),
        );
        for (key, (old, new)) in [("rows", rows), ("columns", columns)] {
            if old.is_some() && old == new {
                lines.push(Line::Note {
                    key: key.into(),
                    text: new.unwrap_or_default(),
                });
            } else {
                lines.push(Line::Attr {
                    key: key.into(),
                    before: old,
                    after: new,
                });
            }
        }
        if csv.header_changed() {
            let mut parts: Vec<String> =
                csv.added_columns.iter().map(|c| format!("+ {c}")).collect();
            parts.extend(csv.removed_columns.iter().map(|c| format!("- {c}")));
            if csv.reordered {
                parts.push("columns reordered".into());
            }
            lines.push(Line::Note {
                key: "header".into(),
                text: parts.join(", "),
            });
        } else if csv.rows_before.is_none()
            && let Some(Value::Array(columns)) = after.get("columns")
        {
            lines.push(Line::Note {
                key: "header".into(),
                text: header_list(columns),
            });
        }
    }
    if !change.layout_summary.is_empty() {
        lines.push(Line::Note {
            key: "viewers".into(),
            text: String::new(),
        });
        lines.extend(
            change
                .layout_summary
                .iter()
                .map(|v| Line::Viewer(v.to_string())),
        );
    }
    if let Some(diff) = &change.layout_diff {
        lines.push(Line::Note {
            key: "layout".into(),
            text: String::new(),
        });
        lines.extend(diff.lines().map(|l| Line::Diff(l.to_string())));
    }
    lines
}

/// Up to ten column names, then how many more.
fn header_list(columns: &[Value]) -> String {
    let names: Vec<&str> = columns.iter().filter_map(Value::as_str).collect();
    let mut text = names
        .iter()
        .take(10)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        text.push_str(&format!(", … {} more", names.len() - 10));
    }
    text
}

/// A value as shown to people: JSON, with hashes shortened and unknown IDs bare.
pub(crate) fn show(key: &str, value: &Value) -> String {
    match value {
        Value::String(s) if s == UNKNOWN => UNKNOWN.to_string(),
        Value::String(s) if key.ends_with("sha256") && s.len() > 12 => format!("\"{}…\"", &s[..12]),
        other => other
            .to_string()
            .replace(&format!("\"{UNKNOWN}\""), UNKNOWN),
    }
}

/// The line above a change: `table.orders will be updated in place (data changed)`.
pub(crate) fn headline(change: &Change) -> String {
    let address = &change.address;
    if change.uncertain {
        return match address.kind {
            Kind::Call => format!(
                "{address} may already have run (an earlier apply got no clear answer); it runs again only if idempotent or confirmed"
            ),
            _ => format!(
                "{address} will be looked up on the server first: an earlier apply may already have created it"
            ),
        };
    }
    let plain_create = change.action == Action::Create && change.reasons == ["new"];
    let reasons = if plain_create || change.reasons.is_empty() {
        String::new()
    } else {
        format!(" ({})", change.reasons.join("; "))
    };
    let url = match (change.action, address.kind) {
        (Action::Replace, Kind::Dashboard) => "; its URL will change",
        // a file is forgotten only when it is already gone from the server
        (Action::Forget, Kind::Call | Kind::File) => "",
        // a forget without a warning left nothing behind (a share of a deleted dashboard)
        (Action::Forget, _) if change.warnings.is_empty() => "",
        (Action::Forget, _) => "; it stays on the server",
        _ => "",
    };
    let verb = match (change.action, address.kind) {
        (Action::Delete, Kind::Share) => "will be revoked",
        (action, _) => action.verb(),
    };
    format!("{address} {verb}{reasons}{url}")
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first line of every view: what the plan targets.
pub(crate) fn target(server: &str, environment: Option<&str>) -> String {
    match environment {
        Some(env) => format!("{server} (environment: {env})"),
        None => server.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_counts_and_values() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(
            show("sha256", &Value::from("0123456789abcdef")),
            "\"0123456789ab…\""
        );
        assert_eq!(
            show("table_ids", &serde_json::json!(["a", UNKNOWN])),
            "[\"a\",(known after apply)]"
        );
    }
}
