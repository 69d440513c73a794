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
use serde_json::Value;

use super::import_records::records;
use super::moved::rename_in_state;
use super::{Observed, Plan, PlanError, PlanOptions, planner};
use crate::address::Address;
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
    observed: &Observed,
    found: &[Found],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    // Most plans have no `moved:` block and nothing to import: they plan the state itself,
    // not a copy (cloning a 10,000-table state was ~5 % of a no-op plan).
    let mut effective = std::borrow::Cow::Borrowed(state);
    let mut renamed = Vec::new();
    let moved = if model.adoption.moves.is_empty() {
        Vec::new()
    } else {
        moves(model, effective.to_mut(), &mut renamed)?
    };
    let imported = records(model, &effective, found);
    if !imported.is_empty() {
        insert(effective.to_mut(), &imported, state.serial + 1);
    }
    // The refresh read the state as it was: what it saw follows the renames.
    let observed = observed.renamed(&renamed);
    let mut plan = planner::plan(model, &effective, &observed, options)?;
    plan.moved = moved;
    plan.imports = imported;
    Ok(plan)
}

/// The `moved:` blocks that apply to `state` (their old address is managed), applied to it.
/// A block whose new address is already managed instead is done (nothing to do); one whose
/// two addresses are both managed is a clash.
fn moves(
    model: &Model,
    state: &mut State,
    renamed: &mut Vec<(Address, Address)>,
) -> Result<Vec<Move>, PlanError> {
    let mut out = Vec::new();
    for moved in &model.adoption.moves {
        let has = |a: &Address| state.resources.contains_key(a);
        match (has(&moved.from), has(&moved.to)) {
            (true, true) => {
                return Err(PlanError::MovedTaken {
                    from: moved.from.clone(),
                    to: moved.to.clone(),
                    span: moved.at.as_ref().map(|w| w.span),
                    at: moved.at.clone(),
                });
            }
            (true, false) => {
                let renames = rename_in_state(state, &moved.from, &moved.to).map_err(|e| {
                    PlanError::MovedRefused {
                        from: moved.from.clone(),
                        to: moved.to.clone(),
                        reason: e.to_string(),
                    }
                })?;
                renamed.extend(renames.into_iter().map(|r| (r.from, r.to)));
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
            notes: vec![],
            refresh: None,
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
                at: None,
                span: None,
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
                observed: None,
            },
        );
    }
}
