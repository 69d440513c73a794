//! Renames of addresses in the state (`state mv`, and `moved:` blocks) with what the planner
//! needs to see them as no change: a share that follows its dashboard records the new
//! dashboard key and the inputs hash it would have had, had it been applied under that name.
//! It lives with the planner because the hash is the planner's.

use crate::address::Kind;
use crate::state::State;
use crate::state::edit::{self, EditError, Renamed};

use super::attributes::share_inputs_hash;

/// Renames `from` to `to` in `state` (see `edit::rename`) and re-points the shares that
/// followed a dashboard at its new key. Nothing changes when an error is returned.
pub fn rename_in_state(
    state: &mut State,
    from: &crate::address::Address,
    to: &crate::address::Address,
) -> Result<Vec<Renamed>, EditError> {
    let renames = edit::rename(state, from, to)?;
    for rename in &renames {
        let Some(dashboard) = &rename.follows else {
            continue;
        };
        debug_assert_eq!(dashboard.kind, Kind::Dashboard);
        let Some(resource) = state.resources.get_mut(&rename.to) else {
            continue;
        };
        let new_dashboard = &to.key;
        resource
            .attributes
            .insert("dashboard".into(), new_dashboard.as_str().into());
        let text = |key: &str| {
            resource
                .attributes
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // A share recorded without its group or access keeps its hash: the plan then shows
        // an update rather than silently claiming it is unchanged.
        if let (Some(group), Some(access)) = (text("group"), text("access")) {
            resource.inputs_hash = share_inputs_hash(new_dashboard, &group, &access);
        }
    }
    Ok(renames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::state::{ResourceState, ResourceStatus};

    #[test]
    fn a_followed_share_gets_the_hash_of_its_new_dashboard() {
        let mut state = State::new();
        let share = |dashboard: &str| ResourceState {
            kind: Kind::Share,
            remote_id: None,
            inputs_hash: share_inputs_hash(dashboard, "Analysts", "View"),
            attributes: [
                ("dashboard".to_string(), dashboard.into()),
                ("group".to_string(), "Analysts".into()),
                ("access".to_string(), "View".into()),
            ]
            .into_iter()
            .collect(),
            applied_serial: 1,
            status: ResourceStatus::Applied,
            observed: None,
        };
        let mut dashboard = share("x");
        dashboard.kind = Kind::Dashboard;
        state.resources.insert(Address::dashboard("old"), dashboard);
        state
            .resources
            .insert(Address::share("old", "Analysts"), share("old"));
        rename_in_state(
            &mut state,
            &Address::dashboard("old"),
            &Address::dashboard("new"),
        )
        .unwrap();
        assert_eq!(
            state.resources[&Address::share("new", "Analysts")],
            share("new")
        );
    }
}
