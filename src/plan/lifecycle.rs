//! The manifest's `lifecycle:` opt-ins applied to a planned change: a share removed from the
//! manifest becomes a revoke instead of a forget, and an `Edit` → `View` change revokes the
//! `Edit` grant first, where the server allows revoking. Kept apart from `diff` and `removed`
//! (which plan what the public API can do) so the destructive choices sit in one place,
//! each with its fallback and the reason the plan gives for it.

use super::capabilities::PlanCapabilities;
use super::diff::string;
use super::{Action, Change};
use crate::address::Kind;
use crate::model::{Model, SharesMode};

/// Turns `change` into its destructive form where the manifest opts in and the server allows;
/// otherwise leaves it as planned and says, in its warnings, why nothing is removed.
pub(super) fn adjust(change: &mut Change, model: &Model, capabilities: &PlanCapabilities) {
    if change.address.kind != Kind::Share || model.lifecycle.shares != SharesMode::Authoritative {
        return;
    }
    match change.action {
        Action::Forget => revoke_removed(change, capabilities),
        Action::Update if access_goes_down(change) => revoke_before_grant(change, capabilities),
        _ => {}
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
