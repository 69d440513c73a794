//! One address's entry in a plan.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Action, Drift};
use crate::address::Address;
use crate::layout::ViewerChange;

/// What apply will do to one address, why, and the diff that shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// Why: which input changed (`data changed`, `name changed: \`a\` → \`b\``…).
    pub reasons: Vec<String>,
    /// The addresses this one depends on in the model (sorted); apply runs them first.
    pub depends_on: Vec<Address>,
    /// The remote ID recorded in the state before this change (tables, dashboards).
    #[serde(default)]
    pub remote_id: Option<String>,
    /// The attributes recorded in the state; `None` when the state has none.
    pub before: Option<BTreeMap<String, Value>>,
    /// The attributes apply will record; IDs not yet assigned are the string
    /// `(known after apply)`. `None` for deletes and forgets.
    pub after: Option<BTreeMap<String, Value>>,
    /// Unified diff of the normalised, pretty-printed layout JSON: keys sorted, server-owned
    /// fields (viewer IDs, `createdOn`…) left out (dashboards whose layout changed in meaning).
    #[serde(default)]
    pub layout_diff: Option<String>,
    /// What happened to the layout's viewers, shown above `layout_diff`; left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layout_summary: Vec<ViewerChange>,
    /// Row and column summary of a table's CSV.
    #[serde(default)]
    pub csv: Option<CsvChange>,
    /// Warnings about this change alone, each starting with the address.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// A previous apply sent this create and never got its answer: the server may already
    /// hold the object. Apply refuses such a plan until the user resolves it.
    #[serde(default)]
    pub uncertain: bool,
    /// What a refresh saw changed outside grokform on this address: the drift this change
    /// repairs, and drift it leaves alone (ignored, or a grant added by hand); empty without a
    /// refresh.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
    /// A share whose access goes down (`Edit` → `View`) under `lifecycle.shares:
    /// authoritative`: apply revokes the recorded grant (and reads the grants back) before
    /// granting the new access.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoke_first: bool,
    /// Old dashboards (`/p/<id>`) apply deletes under `lifecycle.on_replace: delete`: the one
    /// this replacement supersedes, once it and its shares succeeded, and any left `orphaned`
    /// by an earlier failed delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete_replaced: Vec<String>,
    /// A dashboard `~ update` whose new layout is saved in place (the layout entity with its
    /// existing id, as `grok s push` does), keeping its ID and URL; apply reads it back and
    /// replaces the dashboard instead when the server refuses or the read-back contradicts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub save_in_place: bool,
    /// The hash apply records in the state for this address (empty for deletes and forgets).
    pub inputs_hash: String,
}

impl Change {
    /// The text of attribute `key` as the state recorded it (`before`); empty when there is
    /// no such text.
    pub fn recorded(&self, key: &str) -> String {
        self.before
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// The sign shown before the address; an uncertain create gets `?` of its own.
    pub fn sign(&self) -> &'static str {
        if self.uncertain {
            "?"
        } else {
            self.action.sign()
        }
    }
}

/// What a table's CSV looks like before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvChange {
    /// Data rows recorded in the state; `None` for a new table.
    pub rows_before: Option<u64>,
    pub rows_after: u64,
    /// Number of columns recorded in the state; `None` for a new table.
    pub columns_before: Option<u64>,
    pub columns_after: u64,
    /// Columns in the new header and not in the old one, in header order.
    pub added_columns: Vec<String>,
    /// Columns in the old header and not in the new one, in old header order.
    pub removed_columns: Vec<String>,
    /// The same columns in a different order.
    #[serde(default)]
    pub reordered: bool,
}

impl CsvChange {
    /// Compares an old header and row count (if any) with the new ones.
    pub fn new(before: Option<(&[String], u64)>, after: (&[String], u64)) -> Self {
        let (new_columns, rows_after) = after;
        let old_columns = before.map(|(c, _)| c).unwrap_or(&[]);
        let added: Vec<String> = new_columns
            .iter()
            .filter(|c| !old_columns.contains(c))
            .cloned()
            .collect();
        let removed: Vec<String> = old_columns
            .iter()
            .filter(|c| !new_columns.contains(c))
            .cloned()
            .collect();
        let kept_old: Vec<&String> = old_columns
            .iter()
            .filter(|c| new_columns.contains(c))
            .collect();
        let kept_new: Vec<&String> = new_columns
            .iter()
            .filter(|c| old_columns.contains(c))
            .collect();
        CsvChange {
            rows_before: before.map(|(_, r)| r),
            rows_after,
            columns_before: before.map(|(c, _)| c.len() as u64),
            columns_after: new_columns.len() as u64,
            added_columns: if before.is_some() { added } else { vec![] },
            removed_columns: removed,
            reordered: before.is_some() && kept_old != kept_new,
        }
    }

    /// Whether the header changed at all.
    pub fn header_changed(&self) -> bool {
        !self.added_columns.is_empty() || !self.removed_columns.is_empty() || self.reordered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn summarises_header_changes() {
        let old = cols(&["id", "amount", "legacy"]);
        let new = cols(&["amount", "id", "discount"]);
        let csv = CsvChange::new(Some((&old, 100)), (&new, 104));
        assert_eq!(csv.added_columns, ["discount"]);
        assert_eq!(csv.removed_columns, ["legacy"]);
        assert!(csv.reordered);
        assert_eq!((csv.rows_before, csv.rows_after), (Some(100), 104));
        assert_eq!((csv.columns_before, csv.columns_after), (Some(3), 3));
    }

    #[test]
    fn a_new_table_has_no_header_change() {
        let new = cols(&["id"]);
        let csv = CsvChange::new(None, (&new, 1));
        assert!(!csv.header_changed());
        assert_eq!(csv.rows_before, None);
    }
}
