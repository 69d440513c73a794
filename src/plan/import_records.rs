//! The records an import leaves in the state, built from what the server holds
//! ([`ServerObject`]) and the model alone: the manifest's values where the server agrees with
//! them, the server's where it does not, so that the planner shows the difference as an
//! ordinary change and a matching object as none. Shared by `import:` blocks and `grokform
//! import`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::attributes::{desired_attributes, hash, sha256_hex, share_inputs_hash};
use super::imports::{Found, Imported, ServerGrant, ServerObject};
use crate::address::{Address, Kind};
use crate::layout;
use crate::model::Model;
use crate::state::State;

/// The records of `found` whose address `state` lacks: tables and files first, so that a
/// dashboard imported with its tables is compared with their IDs. A dashboard brings a
/// record for each manifest share whose group already has a grant on it.
pub fn records(model: &Model, state: &State, found: &[Found]) -> Vec<Imported> {
    let mut out: Vec<Imported> = Vec::new();
    let mut ids: BTreeMap<Address, String> = state
        .resources
        .iter()
        .filter_map(|(a, r)| Some((a.clone(), r.remote_id.clone()?)))
        .collect();
    let (dashboards, others): (Vec<&Found>, Vec<&Found>) = found
        .iter()
        .filter(|f| !state.resources.contains_key(&f.address))
        .partition(|f| f.address.kind == Kind::Dashboard);
    for f in others.into_iter().chain(dashboards) {
        let id_of = |a: &Address| ids.get(a).cloned();
        let desired = desired_attributes(model, &f.address, &id_of);
        if desired.is_empty() {
            continue;
        }
        let found_by = f.by.to_string();
        match &f.object {
            ServerObject::Table {
                id,
                name,
                name_matches,
                columns,
                rows,
                sha256,
            } => {
                let mut attributes = desired;
                let name = if *name_matches {
                    attributes["name"].clone()
                } else {
                    json!(name)
                };
                attributes.insert("name".into(), name.clone());
                attributes.insert("sha256".into(), json!(sha256));
                if let Some(rows) = rows {
                    attributes.insert("rows".into(), json!(rows));
                }
                if !columns.is_empty() {
                    attributes.insert("columns".into(), json!(columns));
                }
                ids.insert(f.address.clone(), id.clone());
                out.push(Imported {
                    address: f.address.clone(),
                    found_by,
                    remote_id: Some(id.clone()),
                    inputs_hash: hash(&json!({"kind": "table", "name": name, "sha256": sha256})),
                    attributes,
                });
            }
            ServerObject::File { path, sha256, size } => {
                let mut attributes = desired;
                attributes.insert("path".into(), json!(path));
                attributes.insert("sha256".into(), json!(sha256));
                attributes.insert("size".into(), json!(size));
                let inputs = json!({
                    "kind": "file",
                    "connector": attributes["connector"],
                    "path": attributes["path"],
                    "sha256": sha256,
                });
                out.push(Imported {
                    address: f.address.clone(),
                    found_by,
                    remote_id: None,
                    inputs_hash: hash(&inputs),
                    attributes,
                });
            }
            ServerObject::Dashboard { id, grants, .. } => {
                let (attributes, inputs_hash) =
                    dashboard_record(model, &f.address, desired, &f.object);
                ids.insert(f.address.clone(), id.clone());
                out.push(Imported {
                    address: f.address.clone(),
                    found_by,
                    remote_id: Some(id.clone()),
                    inputs_hash,
                    attributes,
                });
                out.extend(share_records(model, &f.address, id, grants, state));
            }
        }
    }
    out
}

/// A dashboard's record: the manifest's attributes where the server agrees (name, the set of
/// tables, the layout by meaning), the server's where it does not.
fn dashboard_record(
    model: &Model,
    address: &Address,
    desired: BTreeMap<String, Value>,
    object: &ServerObject,
) -> (BTreeMap<String, Value>, String) {
    let ServerObject::Dashboard {
        name,
        name_matches,
        table_ids,
        layout,
        ..
    } = object
    else {
        unreachable!("called for dashboards only");
    };
    let dashboard = &model.dashboards[&address.key];
    let mut attributes = desired;
    if !name_matches {
        attributes.insert("name".into(), json!(name));
    }
    let sorted = |ids: &[String]| {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        ids
    };
    let wanted: Vec<String> = attributes["table_ids"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if sorted(&wanted) != sorted(table_ids) {
        attributes.insert("table_ids".into(), json!(table_ids));
    }
    let expected = attributes["layout_text"].as_str().map(str::to_string);
    let served = layout.as_ref().map(|l| served_text(l, expected.as_deref()));
    let layout_sha256 = match (&expected, &served) {
        (Some(e), Some(s)) if layout::same_meaning(e, s) => attributes["layout_sha256"].clone(),
        (None, None) => Value::Null,
        (_, served) => {
            attributes.insert("layout_text".into(), json!(served));
            let sha = served.as_ref().map(|s| sha256_hex(s.as_bytes()));
            attributes.insert("layout_sha256".into(), json!(sha));
            if served.is_none() {
                attributes.insert("layout".into(), Value::Null);
            }
            json!(sha)
        }
    };
    // The same inputs as `attributes::inputs_hash` covers, as recorded here: equal to the
    // manifest's exactly when the server agrees with it.
    let inputs_hash = hash(&json!({
        "kind": "dashboard",
        "name": attributes["name"],
        "tables": dashboard.tables,
        "layout": attributes["layout"],
        "layout_sha256": layout_sha256,
    }));
    (attributes, inputs_hash)
}

/// The served layout as grokform records layouts (normalised, compact), without what the
/// server adds on its own: the `updatedOn` stamp, and a `name` when the sent one had none.
fn served_text(served: &Value, expected: Option<&str>) -> String {
    let expected: Option<Value> = expected.and_then(|e| serde_json::from_str(e).ok());
    let mut served = served.clone();
    if let Value::Object(map) = &mut served {
        map.remove("updatedOn");
        for key in ["name", "friendlyName"] {
            if expected.as_ref().is_none_or(|e| e.get(key).is_none()) {
                map.remove(key);
            }
        }
    }
    layout::canonical_text(&served.to_string())
}

/// A record per manifest share of `dashboard` whose group has a grant on the server, with the
/// access the server gives (another access than the manifest's plans as an update).
fn share_records(
    model: &Model,
    dashboard: &Address,
    dashboard_id: &str,
    grants: &[ServerGrant],
    state: &State,
) -> Vec<Imported> {
    let mut out = Vec::new();
    for ((key, group), share) in &model.shares {
        if key != &dashboard.key {
            continue;
        }
        let address = Address::share(key, group);
        if state.resources.contains_key(&address) {
            continue;
        }
        let held: Vec<&ServerGrant> = grants
            .iter()
            .filter(|g| g.group.eq_ignore_ascii_case(group))
            .collect();
        let Some(grant) = held
            .iter()
            .find(|g| g.access.eq_ignore_ascii_case(share.access.as_str()))
            .or(held.first())
        else {
            continue;
        };
        let access = if grant.access.eq_ignore_ascii_case(share.access.as_str()) {
            share.access.as_str().to_string()
        } else {
            grant.access.clone()
        };
        let attributes: BTreeMap<String, Value> = [
            ("dashboard", json!(key)),
            ("dashboard_id", json!(dashboard_id)),
            ("group", json!(group)),
            ("access", json!(access)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        out.push(Imported {
            address,
            found_by: format!("grant of `{}`", grant.group),
            remote_id: None,
            inputs_hash: share_inputs_hash(key, group, &access),
            attributes,
        });
    }
    out
}
