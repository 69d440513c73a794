//! The manifest's `lifecycle:` opt-ins applied to a planned change: a share removed from the
//! manifest becomes a revoke instead of a forget, and an `Edit` → `View` change revokes the
//! `Edit` grant first, where the server allows revoking. Kept apart from `diff` and `removed`
//! (which plan what the public API can do) so the destructive choices sit in one place,
//! each with its fallback and the reason the plan gives for it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::capabilities::{Permit, PlanCapabilities};
use super::diff::string;
use super::{Action, Change, PlanError};
use crate::address::{Address, Kind};
use crate::model::{Deletion, Model, OnReplace, SharesMode};

/// Turns `change` into its destructive form where the manifest opts in and the server allows;
/// otherwise leaves it as planned and says, in its warnings, why nothing is removed.
pub(super) fn adjust(change: &mut Change, model: &Model, capabilities: &PlanCapabilities) {
    if change.action == Action::Forget && model.lifecycle.deletion == Deletion::Allowed {
        match change.address.kind {
            Kind::Dashboard => delete_removed(change, &capabilities.delete_project, "dashboard"),
            Kind::Table => delete_removed(change, &capabilities.delete_table, "table"),
            _ => {}
        }
    }
    if change.address.kind == Kind::Dashboard
        && change.action != Action::Forget
        && change.action != Action::Delete
        && on_replace(model, &change.address.key) == OnReplace::Delete
    {
        let protected = model
            .dashboards
            .get(&change.address.key)
            .is_some_and(|d| d.prevent_destroy);
        let refused = Permit::Refused {
            reason: format!("{} has `prevent_destroy: true`", change.address),
        };
        replaced(
            change,
            if protected {
                &refused
            } else {
                &capabilities.delete_project
            },
        );
    }
    if change.address.kind != Kind::Share || model.lifecycle.shares != SharesMode::Authoritative {
        return;
    }
    match change.action {
        Action::Forget => revoke_removed(change, capabilities),
        Action::Update if access_goes_down(change) => revoke_before_grant(change, capabilities),
        _ => {}
    }
}

/// A table or dashboard removed from the manifest: deleted, or forgotten with the reason
/// deleting cannot.
fn delete_removed(change: &mut Change, permit: &Permit, what: &str) {
    match permit.refusal() {
        None => {
            let name = change
                .before
                .as_ref()
                .map(|b| string(b, "name"))
                .unwrap_or_default();
            let at = match (&change.remote_id, change.address.kind) {
                (Some(id), Kind::Dashboard) => format!(" at `/p/{id}`"),
                (Some(id), _) => format!(" (`{id}`)"),
                (None, _) => String::new(),
            };
            change.action = Action::Delete;
            change.reasons = vec![
                "removed from the manifest".into(),
                format!(
                    "`lifecycle.deletion: allowed`: the {what} `{name}`{at} is deleted for every user, then read back"
                ),
            ];
            change.warnings.clear();
        }
        Some(reason) => {
            for warning in &mut change.warnings {
                warning.push_str(&format!(
                    "; `lifecycle.deletion: allowed` cannot delete it here: {reason}"
                ));
            }
        }
    }
}

/// The dashboard's own `on_replace`, else the manifest's.
fn on_replace(model: &Model, key: &str) -> OnReplace {
    model
        .dashboards
        .get(key)
        .and_then(|d| d.on_replace)
        .unwrap_or(model.lifecycle.on_replace)
}

/// The attribute of a dashboard's state entry listing old dashboards whose delete failed.
pub(crate) const ORPHANED: &str = "orphaned";

/// `lifecycle.on_replace: delete`: the dashboard a replacement supersedes, and any an earlier
/// delete left `orphaned`, are deleted by apply once the dashboard and its shares succeeded;
/// where the server refuses, they stay and the warning says why.
fn replaced(change: &mut Change, permit: &Permit) {
    let orphans: Vec<String> = change
        .before
        .as_ref()
        .and_then(|b| b.get(ORPHANED))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut ids = vec![];
    if change.action == Action::Replace
        && let Some(old) = &change.remote_id
    {
        ids.push(old.clone());
    }
    ids.extend(orphans.iter().cloned());
    if ids.is_empty() {
        return;
    }
    let shown = |ids: &[String]| {
        ids.iter()
            .map(|id| format!("`/p/{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match permit.refusal() {
        None => {
            change.delete_replaced = ids;
            for warning in &mut change.warnings {
                *warning = warning.replace(
                    " stays on the server (the public API cannot delete dashboards)",
                    " is deleted once the new one and its shares are in place (`lifecycle.on_replace: delete`)",
                );
            }
            if !orphans.is_empty() {
                change.reasons.push(format!(
                    "{} left by an earlier replacement (its delete failed) {} deleted once this dashboard and its shares are in place",
                    shown(&orphans),
                    if orphans.len() == 1 { "is" } else { "are" }
                ));
                if change.action == Action::NoOp {
                    change.action = Action::Update;
                }
            }
        }
        Some(reason) => {
            for warning in &mut change.warnings {
                warning.push_str(&format!(
                    "; `lifecycle.on_replace: delete` cannot delete it here: {reason}"
                ));
            }
            if !orphans.is_empty() {
                change.warnings.push(format!(
                    "{}: {} left by an earlier replacement stay on the server; `lifecycle.on_replace: delete` cannot delete them here: {reason}",
                    change.address,
                    shown(&orphans)
                ));
            }
        }
    }
}

/// One plan warning per internal write route the plan uses that the server has not been
/// asked to take yet in this run: the probe cannot try a write, so the plan says plainly
/// that it is the first attempt and what happens if the server refuses it.
pub(super) fn untried_notes(changes: &[Change], capabilities: &PlanCapabilities) -> Vec<String> {
    let uses = |kind: Kind| {
        changes.iter().any(|c| {
            c.address.kind == kind
                && (c.action == Action::Delete
                    || (kind == Kind::Share && c.revoke_first)
                    || !c.delete_replaced.is_empty())
        })
    };
    let untried = |permit: &Permit| matches!(permit, Permit::Allowed { tried: false });
    let mut notes = vec![];
    for (kind, permit, what, kept) in [
        (
            Kind::Share,
            &capabilities.revoke,
            "revoke grants",
            "the share",
        ),
        (
            Kind::Dashboard,
            &capabilities.delete_project,
            "delete dashboards",
            "the dashboard",
        ),
        (
            Kind::Table,
            &capabilities.delete_table,
            "delete tables",
            "the table",
        ),
    ] {
        if uses(kind) && untried(permit) {
            notes.push(format!(
                "this server has not yet been asked to {what} in this run: apply sends each request once and reads the result back; if the server refuses, {kept} stays in the state and apply fails"
            ));
        }
    }
    if untried(&capabilities.save_in_place) && changes.iter().any(|c| c.save_in_place) {
        notes.push(
            "this server has not yet been asked to save a dashboard's layout in place in this run: apply saves it once and reads it back; if the server refuses or the read-back differs, the dashboard is replaced instead (new URL, shares applied again)".into(),
        );
    }
    notes
}

/// Orders the deletes of one plan and refuses the unsafe ones: a dashboard is deleted after
/// the revokes of its grants, a table after the dashboards deleted with it, and a table that
/// a dashboard still shows after this plan is not deleted at all. A share forgotten with its
/// deleted dashboard goes with it (no grant stays behind).
pub(super) fn order_deletions(planned: &mut BTreeMap<Address, Change>) -> Result<(), PlanError> {
    fn deleted(planned: &BTreeMap<Address, Change>, kind: Kind) -> Vec<Address> {
        planned
            .values()
            .filter(|c| c.address.kind == kind && c.action == Action::Delete)
            .map(|c| c.address.clone())
            .collect()
    }
    let dashboards = deleted(planned, Kind::Dashboard);
    let mut revokes: BTreeMap<Address, Vec<Address>> = BTreeMap::new();
    for change in planned.values_mut() {
        if change.address.kind != Kind::Share {
            continue;
        }
        let Some(before) = &change.before else {
            continue;
        };
        let dashboard = Address::dashboard(&string(before, "dashboard"));
        if !dashboards.contains(&dashboard) {
            continue;
        }
        match change.action {
            Action::Delete => revokes
                .entry(dashboard)
                .or_default()
                .push(change.address.clone()),
            Action::Forget => {
                change.warnings.clear();
                change
                    .reasons
                    .push(format!("{dashboard} is deleted, and its grants with it"));
            }
            _ => {}
        }
    }
    for (dashboard, shares) in revokes {
        if let Some(change) = planned.get_mut(&dashboard) {
            change.depends_on.extend(shares);
            change.depends_on.sort();
        }
    }
    for table in deleted(planned, Kind::Table) {
        let id = planned[&table].remote_id.clone().unwrap_or_default();
        let mut first = vec![];
        for change in planned.values() {
            if change.address.kind != Kind::Dashboard || !shows(change, &table, &id) {
                continue;
            }
            if change.action != Action::Delete {
                return Err(PlanError::TableInUse {
                    table: table.clone(),
                    dashboard: change.address.clone(),
                    dashboard_name: change
                        .after
                        .as_ref()
                        .or(change.before.as_ref())
                        .map(|a| string(a, "name"))
                        .unwrap_or_default(),
                });
            }
            first.push(change.address.clone());
        }
        let change = planned.get_mut(&table).expect("listed above");
        change.depends_on.extend(first);
        change.depends_on.sort();
    }
    Ok(())
}

/// Whether the dashboard `change` leaves on the server shows `table` (by key or by ID).
fn shows(change: &Change, table: &Address, id: &str) -> bool {
    let listed = |attrs: &BTreeMap<String, Value>, key: &str, wanted: &str| {
        attrs
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|items| items.iter().any(|v| v.as_str() == Some(wanted)))
    };
    match (&change.after, &change.before) {
        (Some(after), _) => listed(after, "tables", &table.key),
        (None, Some(before)) => {
            listed(before, "tables", &table.key)
                || (!id.is_empty() && listed(before, "table_ids", id))
        }
        (None, None) => false,
    }
}

/// A share removed from the manifest: revoked, or forgotten with the reason revoking cannot.
fn revoke_removed(change: &mut Change, capabilities: &PlanCapabilities) {
    match capabilities.revoke.refusal() {
        None => {
            change.action = Action::Delete;
            change.reasons = vec![
                "removed from the manifest".into(),
                "`lifecycle.shares: authoritative`: the grant is revoked, then the grants are read back".into(),
            ];
            change.warnings.clear();
        }
        Some(reason) => {
            for warning in &mut change.warnings {
                warning.push_str(&format!(
                    "; `lifecycle.shares: authoritative` cannot revoke it here: {reason}"
                ));
            }
        }
    }
}

/// `Edit` → `View`: the `Edit` grant revoked before `View` is granted, or today's warning
/// with the reason revoking cannot.
fn revoke_before_grant(change: &mut Change, capabilities: &PlanCapabilities) {
    match capabilities.revoke.refusal() {
        None => {
            change.revoke_first = true;
            change
                .reasons
                .push("the Edit grant is revoked, then View is granted".into());
            change.warnings.clear();
        }
        Some(reason) => {
            for warning in &mut change.warnings {
                warning.push_str(&format!(
                    "; `lifecycle.shares: authoritative` cannot revoke it here: {reason}"
                ));
            }
        }
    }
}

fn access_goes_down(change: &Change) -> bool {
    let access = |attrs: Option<&super::diff::Attributes>| attrs.map(|a| string(a, "access"));
    access(change.before.as_ref()).as_deref() == Some("Edit")
        && access(change.after.as_ref()).as_deref() == Some("View")
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
