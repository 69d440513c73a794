//! Adoption in a plan: `moved:` renames and imports of objects that already exist on the
//! server. Both are changes to the state, not to the server, so they are applied to a copy
//! of the state *before* the ordinary planner runs: the plan then shows, as ordinary changes,
//! only how the adopted objects differ from the manifest (a matching object is no change).
//! The plan carries the renames and the import records so that `apply` (and `apply FILE`)
//! records exactly what was reviewed.
//!
//! Pure like the planner: what the server holds comes in as [`ServerObject`]s, read by the
//! CLI; the records are built from those and the model alone.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::attributes::{desired_attributes, hash, sha256_hex};
use super::moved::rename_in_state;
use super::{Plan, PlanError, PlanOptions, planner};
use crate::address::{Address, Kind};
use crate::layout;
use crate::model::Model;
use crate::model::adopt::Lookup;
use crate::state::{ResourceState, ResourceStatus, State};

/// A rename the plan applies to the state (a `moved:` block whose old address is managed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub from: Address,
    pub to: Address,
}

/// An existing server object the plan records in the state, as read from the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Imported {
    pub address: Address,
    /// How it was found: `ID `…``, `name `…``, or `grant of `Group`` for a dashboard's share.
    pub found_by: String,
    /// The server's ID (tables, dashboards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// The inputs hash recorded: the manifest's when the object matches it.
    pub inputs_hash: String,
    /// The attributes recorded: the manifest's where the object matches it, the server's
    /// where it does not (so the difference plans as an ordinary change).
    pub attributes: BTreeMap<String, Value>,
}

/// One grant a dashboard has on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerGrant {
    pub group: String,
    pub access: String,
}

/// What the server holds for one import, as the CLI read it.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerObject {
    Table {
        id: String,
        /// The server's full name for it, and whether it is the manifest's name.
        name: String,
        name_matches: bool,
        columns: Vec<String>,
        rows: Option<u64>,
        /// Of the table's CSV as the public download serves it.
        sha256: String,
    },
    File {
        /// The path it was found at in the manifest's connector.
        path: String,
        sha256: String,
        size: u64,
    },
    Dashboard {
        id: String,
        name: String,
        name_matches: bool,
        /// The IDs of the entities the project holds.
        table_ids: Vec<String>,
        /// The first layout the project holds, as served.
        layout: Option<Value>,
        grants: Vec<ServerGrant>,
    },
}

/// An import read from the server: the address, how it was looked up, and what was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub address: Address,
    pub by: Lookup,
    pub object: ServerObject,
}

/// Plans `model` against `state` with the manifest's `moved:` blocks and the imports `found`
/// (read by the CLI for the `import:` blocks whose address the state lacks) applied first.
/// The plan's `state` reference is the given state's: `apply FILE` checks against it.
pub fn plan_adopting(
    model: &Model,
    state: &State,
    found: &[Found],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let mut effective = state.clone();
    let moved = moves(model, &mut effective)?;
    let imported = records(model, &effective, found);
    insert(&mut effective, &imported, state.serial + 1);
    let mut plan = planner::plan(model, &effective, options)?;
    plan.moved = moved;
    plan.imports = imported;
    Ok(plan)
}

/// The `moved:` blocks that apply to `state` (their old address is managed), applied to it.
/// A block whose new address is already managed instead is done (nothing to do); one whose
/// two addresses are both managed is a clash.
fn moves(model: &Model, state: &mut State) -> Result<Vec<Move>, PlanError> {
    let mut out = Vec::new();
    for moved in &model.adoption.moves {
        let has = |a: &Address| state.resources.contains_key(a);
        match (has(&moved.from), has(&moved.to)) {
            (true, true) => {
                return Err(PlanError::MovedTaken {
                    from: moved.from.clone(),
                    to: moved.to.clone(),
                });
            }
            (true, false) => {
                rename_in_state(state, &moved.from, &moved.to).map_err(|e| {
                    PlanError::MovedRefused {
                        from: moved.from.clone(),
                        to: moved.to.clone(),
                        reason: e.to_string(),
                    }
                })?;
                out.push(Move {
                    from: moved.from.clone(),
                    to: moved.to.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

impl Plan {
    /// A plan that only records `imports` (what `grokform import` saves through
    /// [`adopt_into`], like an `import:` block's apply).
    pub fn imports_only(imports: Vec<Imported>) -> Plan {
        Plan {
            format_version: super::FORMAT_VERSION,
            environment: None,
            server: String::new(),
            state: super::StateRef {
                lineage: String::new(),
                serial: 0,
            },
            inputs: BTreeMap::new(),
            targets: vec![],
            changes: vec![],
            warnings: vec![],
            moved: vec![],
            imports,
        }
    }
}

/// Records what `plan.moved` and `plan.imports` say in `state` (what `apply` does before the
/// plan's changes), as applied at the serial of the next save. Nothing changes when an error
/// is returned.
pub fn adopt_into(state: &mut State, plan: &Plan) -> Result<(), PlanError> {
    let serial = state.serial + 1;
    let mut next = state.clone();
    for moved in &plan.moved {
        if next.resources.contains_key(&moved.to) {
            return Err(PlanError::MovedTaken {
                from: moved.from.clone(),
                to: moved.to.clone(),
            });
        }
        rename_in_state(&mut next, &moved.from, &moved.to).map_err(|e| {
            PlanError::MovedRefused {
                from: moved.from.clone(),
                to: moved.to.clone(),
                reason: e.to_string(),
            }
        })?;
    }
    if let Some(taken) = plan
        .imports
        .iter()
        .find(|i| next.resources.contains_key(&i.address))
    {
        return Err(PlanError::ImportTaken {
            address: taken.address.clone(),
        });
    }
    insert(&mut next, &plan.imports, serial);
    *state = next;
    Ok(())
}

/// Inserts the import records not in `state` yet.
fn insert(state: &mut State, imported: &[Imported], serial: u64) {
    for record in imported {
        if state.resources.contains_key(&record.address) {
            continue;
        }
        state.resources.insert(
            record.address.clone(),
            ResourceState {
                kind: record.address.kind,
                remote_id: record.remote_id.clone(),
                inputs_hash: record.inputs_hash.clone(),
                attributes: record.attributes.clone(),
                applied_serial: serial,
                status: ResourceStatus::Applied,
            },
        );
    }
}

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
            inputs_hash: super::attributes::share_inputs_hash(key, group, &access),
            attributes,
        });
    }
    out
}
