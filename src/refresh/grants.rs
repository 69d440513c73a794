//! Grants read back, one permissions read per managed dashboard: a recorded share whose grant
//! is gone was removed outside grokform; a grant with other access had its access changed;
//! a grant no share records was added outside grokform.

use std::collections::BTreeMap;

use super::{Found, attribute, refused, unverified};
use crate::address::{Address, Kind};
use crate::client::{Capabilities, Capability, Client, Permission};
use crate::plan::{Drift, DriftKind, Observation, UnmanagedGrant};
use crate::state::ResourceState;

/// A managed dashboard and the shares the state records on it.
pub(super) struct Grants<'s> {
    dashboard: Address,
    dashboard_id: Option<String>,
    pub(super) shares: Vec<(Address, &'s ResourceState)>,
}

/// The recorded dashboards (and the dashboards recorded shares name), with their shares.
pub(super) fn groups<'s>(
    resources: impl Iterator<Item = (&'s Address, &'s ResourceState)>,
) -> Vec<Grants<'s>> {
    let mut groups: BTreeMap<String, Grants<'s>> = BTreeMap::new();
    fn entry<'g, 's>(
        groups: &'g mut BTreeMap<String, Grants<'s>>,
        key: &str,
    ) -> &'g mut Grants<'s> {
        groups.entry(key.to_string()).or_insert_with(|| Grants {
            dashboard: Address::dashboard(key),
            dashboard_id: None,
            shares: vec![],
        })
    }
    for (address, recorded) in resources {
        match address.kind {
            Kind::Dashboard => {
                entry(&mut groups, &address.key).dashboard_id = recorded.remote_id.clone()
            }
            Kind::Share => {
                let dashboard = attribute(recorded, "dashboard").unwrap_or_default();
                let group = entry(&mut groups, dashboard);
                if group.dashboard_id.is_none() {
                    group.dashboard_id = attribute(recorded, "dashboard_id").map(str::to_string);
                }
                group.shares.push((address.clone(), recorded));
            }
            _ => {}
        }
    }
    groups.into_values().collect()
}

pub(super) async fn check(
    client: &Client,
    capabilities: &Capabilities,
    grants: Grants<'_>,
) -> Found {
    let every = |observation: Observation| Found {
        resources: grants
            .shares
            .iter()
            .map(|(a, _)| (a.clone(), observation.clone()))
            .collect(),
        unmanaged: vec![],
    };
    if let Some(refusal) = refused(capabilities, Capability::ReadPermissions) {
        return every(refusal);
    }
    let Some(id) = grants.dashboard_id.as_deref() else {
        return every(Observation::Unverified {
            reason: "the state records no ID for its dashboard".into(),
        });
    };
    let rows = match client.permissions(id).await {
        Ok(rows) => rows,
        Err(error) => return every(unverified(&error)),
    };
    let is_group = |row: &Permission, group: &str| {
        row.user_group.as_ref().is_some_and(|g| {
            [&g.name, &g.friendly_name]
                .into_iter()
                .flatten()
                .any(|n| n.eq_ignore_ascii_case(group))
        })
    };
    let mut found = Found::default();
    for (address, recorded) in &grants.shares {
        let group = attribute(recorded, "group").unwrap_or_default();
        let access = attribute(recorded, "access").unwrap_or_default();
        let held: Vec<&str> = rows
            .iter()
            .filter(|r| is_group(r, group))
            .filter_map(Permission::permission_name)
            .collect();
        let observation = if held.iter().any(|p| p.eq_ignore_ascii_case(access)) {
            Observation::InSync
        } else if held.is_empty() {
            Observation::Gone {
                drift: Drift::new(
                    DriftKind::GrantRemoved,
                    format!("`{group}` has no {access} grant on the server"),
                ),
            }
        } else {
            Observation::Drifted {
                drift: vec![Drift::new(
                    DriftKind::AccessChanged,
                    format!("`{group}` has {} access on the server", held.join(", ")),
                )],
            }
        };
        found.resources.push((address.clone(), observation));
    }
    for row in &rows {
        let recorded = grants
            .shares
            .iter()
            .any(|(_, r)| is_group(row, attribute(r, "group").unwrap_or_default()));
        if recorded {
            continue;
        }
        let group = row.group_name().unwrap_or("(unnamed group)");
        found.unmanaged.push(UnmanagedGrant {
            dashboard: grants.dashboard.clone(),
            group: group.to_string(),
            access: row.permission_name().unwrap_or("unknown").to_string(),
            ignored: false,
        });
    }
    found
}
