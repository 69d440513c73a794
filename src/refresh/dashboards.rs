//! A dashboard read back through the internal project routes: gone, renamed, holding other
//! tables, its layout edited. The layout is compared by meaning (server-owned fields dropped),
//! never by bytes.

use serde_json::Value;

use super::{Found, attribute, layout, listed, recorded_id, refused, unverified};
use crate::address::Address;
use crate::client::{Capabilities, Capability, Client};
use crate::plan::{Drift, DriftKind, Observation};
use crate::state::ResourceState;

pub(super) async fn check(
    client: &Client,
    capabilities: &Capabilities,
    address: Address,
    recorded: &ResourceState,
) -> Found {
    let observation = observe(client, capabilities, recorded).await;
    Found::one(address, observation)
}

async fn observe(
    client: &Client,
    capabilities: &Capabilities,
    recorded: &ResourceState,
) -> Observation {
    if let Some(refusal) = refused(capabilities, Capability::ReadProjects) {
        return refusal;
    }
    let id = match recorded_id(recorded) {
        Ok(id) => id,
        Err(unknown) => return unknown,
    };
    let project = match client.project(id).await {
        Ok(Some(project)) => project,
        Ok(None) => {
            return Observation::Gone {
                drift: Drift::new(
                    DriftKind::DashboardDeleted,
                    format!("no dashboard at `/p/{id}` on the server"),
                ),
            };
        }
        Err(error) => return unverified(&error),
    };
    let mut drift = Vec::new();
    let name = attribute(recorded, "name").unwrap_or_default();
    if !project.is_named(name) {
        let seen = project
            .friendly_name
            .as_deref()
            .or(project.name.as_deref())
            .unwrap_or_default();
        drift.push(Drift::new(
            DriftKind::DashboardRenamed,
            format!("named `{seen}` on the server"),
        ));
    }

    let mut recorded_tables: Vec<&str> = recorded
        .attributes
        .get("table_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    recorded_tables.sort_unstable();
    recorded_tables.dedup();
    match client.project_relations(id).await {
        Ok(Some(relations)) => {
            let held = relations.entity_ids();
            if held
                .iter()
                .map(String::as_str)
                .ne(recorded_tables.iter().copied())
            {
                drift.push(Drift::new(
                    DriftKind::TablesChanged,
                    format!(
                        "holds {} on the server",
                        listed(held.iter().map(String::as_str))
                    ),
                ));
            }
        }
        // Deleted between the two reads: the next refresh says so.
        Ok(None) => {}
        Err(error) => return unverified(&error),
    }

    if capabilities.allows(Capability::ReadLayouts) {
        let expected = attribute(recorded, "layout_text");
        match client.layouts(id).await {
            Ok(layouts) => {
                let served = layouts.first().map(|l| &l.raw);
                if let Some(edit) = layout::compare(expected, served) {
                    drift.push(edit);
                }
            }
            Err(error) => return unverified(&error),
        }
    }

    if drift.is_empty() {
        Observation::InSync
    } else {
        Observation::Drifted { drift }
    }
}
