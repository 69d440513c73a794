//! The change for an address the state holds and the manifest no longer does: a file is
//! deleted (the only kind with a public delete), anything else is forgotten and left on the
//! server, with a warning saying what stays there.

use super::diff::string;
use super::{Action, Change};
use crate::address::{Address, Kind};
use crate::state::ResourceState;

/// The change for an address in the state and no longer in the manifest.
pub(super) fn removed(address: &Address, recorded: &ResourceState) -> Change {
    let attrs = &recorded.attributes;
    let (action, warning) = match address.kind {
        Kind::File => (Action::Delete, None),
        Kind::Table => (
            Action::Forget,
            Some(format!(
                "{address}: removed from the manifest; the table `{}` stays on the server (the public API cannot delete tables) and grokform stops managing it",
                string(attrs, "name")
            )),
        ),
        Kind::Dashboard => (
            Action::Forget,
            Some(format!(
                "{address}: removed from the manifest; the dashboard `{}`{} stays on the server (the public API cannot delete dashboards) and grokform stops managing it",
                string(attrs, "name"),
                recorded
                    .remote_id
                    .as_ref()
                    .map(|id| format!(" at `/p/{id}`"))
                    .unwrap_or_default()
            )),
        ),
        Kind::Share => (
            Action::Forget,
            Some(format!(
                "{address}: removed from the manifest; `{}` keeps its {} access to dashboard `{}` (the public API cannot revoke shares); remove it in Datagrok",
                string(attrs, "group"),
                string(attrs, "access"),
                string(attrs, "dashboard")
            )),
        ),
        Kind::Call => (Action::Forget, None),
    };
    Change {
        address: address.clone(),
        action,
        reasons: vec![match address.kind {
            Kind::Call => "removed from the manifest; nothing on the server to remove".into(),
            _ => "removed from the manifest".into(),
        }],
        depends_on: vec![],
        remote_id: recorded.remote_id.clone(),
        before: Some(attrs.clone()),
        after: None,
        layout_diff: None,
        layout_summary: vec![],
        csv: None,
        warnings: warning.into_iter().collect(),
        uncertain: false,
        drift: vec![],
        revoke_first: false,
        delete_replaced: vec![],
        save_in_place: false,
        inputs_hash: String::new(),
    }
}
