//! Drift turned into ordinary changes. A refresh's [`Observed`] says what was changed outside
//! grokform; here each item that no `ignore_changes` rule covers becomes the change that puts
//! the manifest back, with the public API's real semantics: a table or file is uploaded again
//! (a table re-uploaded under its name keeps its ID, but a deleted one comes back with a new
//! ID, so what holds its ID follows), a grant is given again, and a dashboard (no public
//! update) is replaced, or created anew when it was deleted. Grants added by hand are reported
//! on their dashboard and left in place: revoking them is the lifecycle's decision, not drift
//! repair's.

use super::{Action, Change, Drift, DriftKind, Observation, Observed};
use crate::address::{Address, Kind};

/// Every drift item a refresh saw on `address`: its observation's, then (for a dashboard) the
/// grants on it that no share records, sorted.
pub(super) fn drift_of(observed: &Observed, address: &Address) -> Vec<Drift> {
    let mut drift: Vec<Drift> = observed
        .get(address)
        .map(|o| o.drift().to_vec())
        .unwrap_or_default();
    drift.extend(
        observed
            .unmanaged_grants
            .iter()
            .filter(|g| &g.dashboard == address)
            .map(|g| g.as_drift()),
    );
    drift.sort();
    drift
}

/// The items a repair acts on: not ignored, not a grant added by hand (left in place).
fn repaired(drift: &[Drift]) -> impl Iterator<Item = &Drift> {
    drift
        .iter()
        .filter(|d| !d.ignored && d.kind != DriftKind::GrantAdded)
}

/// `table deleted, data changed`: the kinds a repair answers, for its reason.
fn kinds(items: &[&Drift]) -> String {
    let mut kinds: Vec<&str> = items.iter().map(|d| d.kind.phrase()).collect();
    kinds.dedup();
    kinds.join(", ")
}

/// The dashboard's deletion outside grokform, when the refresh saw it gone.
pub(super) fn dashboard_deleted(drift: &[Drift]) -> Option<&Drift> {
    repaired(drift).find(|d| d.kind == DriftKind::DashboardDeleted)
}

/// The reasons a dashboard edited outside grokform (renamed, other tables, layout edited) is
/// replaced: there is no public update, so the manifest's dashboard is created again.
pub(super) fn dashboard_reasons(drift: &[Drift]) -> Vec<String> {
    let items: Vec<&Drift> = repaired(drift)
        .filter(|d| {
            matches!(
                d.kind,
                DriftKind::DashboardRenamed | DriftKind::TablesChanged | DriftKind::LayoutEdited
            )
        })
        .collect();
    if items.is_empty() {
        return vec![];
    }
    vec![format!("changed outside grokform ({})", kinds(&items))]
}

/// Whether the repaired drift of a dashboard (if any) is only its layout edited outside
/// grokform: the drift an in-place layout save repairs (`in_place`).
pub(super) fn only_layout_edited(drift: &[Drift]) -> bool {
    repaired(drift).all(|d| d.kind == DriftKind::LayoutEdited)
}

/// Repairs the drift of a table, file or share planned as `change` (dashboards are repaired
/// by the planner's dashboard rule, which owns their replacement). A change that already does
/// more (a replace, a create) repairs the drift by itself and only gains the reason.
pub(super) fn repair(change: &mut Change) {
    let items: Vec<&Drift> = repaired(&change.drift).collect();
    if items.is_empty() || change.address.kind == Kind::Dashboard {
        return;
    }
    let what = kinds(&items);
    let (action, how) = match change.address.kind {
        Kind::Table if items.iter().any(|d| d.kind == DriftKind::TableDeleted) => (
            Action::Create,
            "its CSV is uploaded again; the server gives it a new ID, so what shows it follows",
        ),
        Kind::Table => (
            Action::Update,
            "its CSV is uploaded again under the same name, which keeps the table's ID",
        ),
        Kind::File => (Action::Update, "uploaded again to the same path"),
        Kind::Share => (Action::Update, "granted again"),
        Kind::Dashboard | Kind::Call => return,
    };
    let reason = format!("changed outside grokform ({what}): {how}");
    match change.action {
        Action::NoOp => change.action = action,
        // A re-upload of a deleted table is a create whatever else changed in the manifest.
        Action::Update if action == Action::Create => change.action = action,
        _ => {}
    }
    change.reasons.insert(0, reason);
    if change.address.kind == Kind::Share {
        downgrade_warning(change);
    }
}

/// A file removed from the manifest that someone already deleted on the server: nothing is
/// left to delete, so it is only forgotten (a delete of a missing file would fail).
pub(super) fn already_deleted(change: &mut Change) {
    if change.action == Action::Delete
        && repaired(&change.drift).any(|d| d.kind == DriftKind::FileDeleted)
    {
        change.action = Action::Forget;
        change
            .reasons
            .push("already deleted outside grokform: only forgotten".into());
    }
}

/// Re-sharing cannot take access away: a grant raised to Edit outside grokform stays Edit
/// when the manifest says View (revoking is the lifecycle's work).
fn downgrade_warning(change: &mut Change) {
    let raised = change
        .drift
        .iter()
        .any(|d| !d.ignored && d.kind == DriftKind::AccessChanged && d.seen.contains("Edit"));
    let wants_view = change
        .after
        .as_ref()
        .and_then(|a| a.get("access"))
        .and_then(|a| a.as_str())
        == Some("View");
    if raised && wants_view {
        change.warnings.push(format!(
            "{}: Edit access was given outside grokform; granting View again does not take it away (the public API cannot revoke or downgrade a grant)",
            change.address
        ));
    }
}

/// The plan's notes: the refresh's capability notes, then the planned addresses it could not
/// verify grouped by why (a reason that is a capability note already is not said twice),
/// sorted.
pub(super) fn notes(observed: &Observed, planned: &[Change]) -> Vec<String> {
    let mut notes = observed.notes.clone();
    let mut by_reason: std::collections::BTreeMap<&str, Vec<&Address>> = Default::default();
    for (address, reason) in observed.unverified() {
        if planned.iter().any(|c| &c.address == address)
            && !observed.notes.iter().any(|n| n == reason)
        {
            by_reason.entry(reason).or_default().push(address);
        }
    }
    for (reason, addresses) in by_reason {
        let mut listed: Vec<String> = addresses.iter().take(5).map(|a| format!("`{a}`")).collect();
        if addresses.len() > 5 {
            listed.push(format!("and {} more", addresses.len() - 5));
        }
        notes.push(format!(
            "not verified on the server ({reason}): {}",
            listed.join(", ")
        ));
    }
    notes.sort();
    notes.dedup();
    notes
}

/// The addresses of the plan the refresh could not verify, sorted.
pub(super) fn unverified(observed: &Observed, planned: &[Change]) -> Vec<Address> {
    planned
        .iter()
        .filter(|c| {
            matches!(
                observed.get(&c.address),
                Some(Observation::Unverified { .. })
            )
        })
        .map(|c| c.address.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}
