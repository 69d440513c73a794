//! The plan's renames (`moved:`) and imports (`import:`): recorded in the state by `apply`
//! before its changes, without a request to the server. Shown apart from the changes because
//! they change nothing on the server; how an imported object differs from the manifest is an
//! ordinary change below them.

use crate::plan::Plan;

/// One line per rename, then one per import, in plan order.
pub(super) fn lines(plan: &Plan) -> Vec<String> {
    let moved = plan
        .moved
        .iter()
        .map(|m| format!("`{}` has moved to `{}`", m.from, m.to));
    let imported = plan.imports.iter().map(|i| {
        let id = i
            .remote_id
            .as_deref()
            .map(|id| format!("ID `{id}`, "))
            .unwrap_or_default();
        format!(
            "`{}` will be imported ({id}found by {})",
            i.address, i.found_by
        )
    });
    moved.chain(imported).collect()
}

/// `Adopt: 2 to import, 1 moved (state only).`, or nothing.
pub(super) fn summary(plan: &Plan) -> Option<String> {
    plan.adopts().then(|| {
        format!(
            "Adopt: {} to import, {} moved (recorded in the state, no request to the server).",
            plan.imports.len(),
            plan.moved.len()
        )
    })
}
