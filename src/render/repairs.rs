//! The drift a plan repairs, shown before its changes under "Changed outside grokform", the
//! ignored drift and the refresh's notes after it, and the closing sentence that says only
//! what was checked. Human and Markdown plans share these pieces.

use crate::address::Address;
use crate::plan::{Action, Change, Drift, DriftKind, Plan};

/// `-` for something gone, `+` for a grant added, `~` for something changed.
pub(super) fn sign(drift: &Drift) -> &'static str {
    match drift.kind {
        DriftKind::GrantAdded => "+",
        DriftKind::TableDeleted
        | DriftKind::FileDeleted
        | DriftKind::DashboardDeleted
        | DriftKind::GrantRemoved => "-",
        _ => "~",
    }
}

/// One address's drift that counts (not ignored), with what the plan does about it.
pub(super) struct Repair<'p> {
    pub(super) address: &'p Address,
    pub(super) drift: Vec<&'p Drift>,
    /// `will be updated in place`, or why it is left alone.
    pub(super) outcome: String,
}

/// The changes that carry drift that counts, in plan order.
pub(super) fn repairs(plan: &Plan) -> Vec<Repair<'_>> {
    plan.changes
        .iter()
        .filter_map(|change| {
            let drift: Vec<&Drift> = change.drift.iter().filter(|d| !d.ignored).collect();
            (!drift.is_empty()).then(|| Repair {
                address: &change.address,
                outcome: outcome(change, &drift),
                drift,
            })
        })
        .collect()
}

fn outcome(change: &Change, drift: &[&Drift]) -> String {
    if change.action != Action::NoOp {
        return change.action.verb().to_string();
    }
    if drift.iter().all(|d| d.kind == DriftKind::GrantAdded) {
        "left in place: grokform does not revoke grants it did not make".to_string()
    } else {
        "not repaired".to_string()
    }
}

/// Every ignored drift item with its address, in plan order.
pub(super) fn ignored(plan: &Plan) -> Vec<(&Address, &Drift)> {
    plan.changes
        .iter()
        .flat_map(|c| {
            c.drift
                .iter()
                .filter(|d| d.ignored)
                .map(move |d| (&c.address, d))
        })
        .collect()
}

/// The sentence a plan without changes ends with: the server is said to match only when a
/// refresh read and verified everything.
pub(super) fn no_changes(plan: &Plan) -> String {
    let Some(refresh) = &plan.refresh else {
        return "No changes. The manifest matches the state; the server was not read (--refresh=false)."
            .to_string();
    };
    let left = plan
        .changes
        .iter()
        .flat_map(|c| &c.drift)
        .filter(|d| !d.ignored)
        .count();
    let mut text = if refresh.unverified.is_empty() {
        "No changes. The server matches the manifest.".to_string()
    } else {
        let mut kinds: Vec<&str> = refresh
            .unverified
            .iter()
            .map(|a| match a.kind {
                crate::address::Kind::File => "files",
                crate::address::Kind::Table => "tables",
                crate::address::Kind::Dashboard => "dashboards",
                crate::address::Kind::Share => "shares",
                crate::address::Kind::Call => "calls",
            })
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        format!(
            "No changes to what the server let grokform verify; {} could not be verified (see the notes).",
            join(&kinds)
        )
    };
    if left > 0 {
        text.push_str(" Changes made outside grokform are left in place (see above).");
    }
    text
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(join(&["dashboards"]), "dashboards");
        assert_eq!(join(&["dashboards", "shares"]), "dashboards and shares");
        assert_eq!(join(&["a", "b", "c"]), "a, b and c");
    }
}
