//! `plan()`: the whole manifest and state planned address by address in dependency order,
//! then narrowed to `--target` and stamped with what the saved plan must remember.

use std::collections::{BTreeMap, BTreeSet};

use super::attributes::{desired_attributes, inputs};
use super::column_safety;
use super::diff::Planner;
use super::lifecycle;
use super::removed::removed;
use super::repair;
use super::targeting::targeted;
use super::{
    Action, Change, FORMAT_VERSION, Observed, Plan, PlanError, PlanOptions, RefreshOutcome,
    StateRef,
};
use crate::address::{Address, Kind};
use crate::graph;
use crate::manifest::problem::did_you_mean;
use crate::model::Model;
use crate::server_url::ServerUrl;
use crate::state::State;

/// Plans `model` against `state` for `options.server`. Pure: no clock, env, fs or network.
/// Refuses (rather than plan around) a `--replace` of an address the manifest lacks, and an
/// upload that drops a column a dashboard's layout uses (`column_safety`).
pub fn plan(
    model: &Model,
    state: &State,
    observed: &Observed,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    check_replace(model, state, &options.replace)?;
    let mut deps = model.dependencies();
    for address in state.resources.keys() {
        deps.entry(address.clone()).or_default();
    }
    // `Model::resolve` refuses cycles, so this only falls back (to address order) for models
    // built by hand; the applier then reports the stuck nodes as skipped.
    let order = graph::order(&deps).unwrap_or_else(|_| deps.keys().cloned().collect());

    let mut planned: BTreeMap<Address, Change> = BTreeMap::new();
    for address in &order {
        let change = if model_has(model, address) {
            let ids = |a: &Address| known_id(a, state, &planned);
            let after = desired_attributes(model, address, &ids);
            Planner {
                model,
                planned: &planned,
                address,
                depends_on: &deps[address],
                recorded: state.resources.get(address),
                after,
                replace: options.replace.contains(address),
                drift: repair::drift_of(observed, address),
                save_in_place: &options.capabilities.save_in_place,
            }
            .plan()
        } else {
            // Leaving it alone repairs nothing; what the refresh saw is still shown.
            let mut change = removed(address, &state.resources[address]);
            change.drift = repair::drift_of(observed, address);
            repair::already_deleted(&mut change);
            change
        };
        let mut change = change;
        lifecycle::adjust(&mut change, model, &options.capabilities);
        planned.insert(address.clone(), change);
    }
    lifecycle::order_deletions(&mut planned)?;

    let mut warnings = BTreeSet::new();
    let keep = targeted(&options.targets, &options.replace, &deps, &mut warnings);
    let mut changes = Vec::with_capacity(order.len());
    let mut left_out = 0;
    for address in &order {
        let change = planned.remove(address).expect("every address is planned");
        match &keep {
            Some(keep) if !keep.contains(address) => {
                if change.action != Action::NoOp {
                    left_out += 1;
                }
            }
            _ => changes.push(change),
        }
    }
    if keep.is_some() {
        warnings.insert(format!(
            "this plan is partial: only the `--target`{} addresses and what they depend on are planned; {left_out} pending change{} outside them {} not included",
            if options.replace.is_empty() { "" } else { " and `--replace`" },
            plural(left_out),
            if left_out == 1 { "is" } else { "are" }
        ));
    }
    column_safety::check(model, &changes, &mut warnings)?;
    for change in &changes {
        warnings.extend(change.warnings.iter().cloned());
    }
    warnings.extend(lifecycle::untried_notes(&changes, &options.capabilities));

    Ok(Plan {
        format_version: FORMAT_VERSION,
        environment: options.environment.clone(),
        server: ServerUrl::canonical(&options.server),
        state: StateRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        },
        inputs: inputs(model),
        targets: options.targets.clone(),
        notes: repair::notes(observed, &changes),
        refresh: observed.refreshed.then(|| RefreshOutcome {
            unverified: repair::unverified(observed, &changes),
        }),
        changes,
        warnings: warnings.into_iter().collect(),
        moved: vec![],
        imports: vec![],
    })
}

/// `Err` for the first `--replace` address that is not a resource of the manifest.
fn check_replace(model: &Model, state: &State, replace: &[Address]) -> Result<(), PlanError> {
    for address in replace {
        if model_has(model, address) {
            continue;
        }
        if state.resources.contains_key(address) {
            return Err(PlanError::ReplaceRemoved {
                address: address.clone(),
            });
        }
        let known: Vec<String> = model
            .dependencies()
            .keys()
            .map(Address::to_string)
            .collect();
        let hint = did_you_mean(&address.to_string(), known.iter().map(String::as_str));
        return Err(PlanError::ReplaceUnknown {
            address: address.clone(),
            hint,
        });
    }
    Ok(())
}

/// The remote ID `address` will have when what depends on it is applied: the state's, unless
/// this plan creates or replaces it.
fn known_id(
    address: &Address,
    state: &State,
    planned: &BTreeMap<Address, Change>,
) -> Option<String> {
    if planned.get(address).is_some_and(|c| c.action.changes_id()) {
        return None;
    }
    state
        .resources
        .get(address)
        .filter(|r| r.status.is_applied())
        .and_then(|r| r.remote_id.clone())
}

fn model_has(model: &Model, address: &Address) -> bool {
    match address.kind {
        Kind::File => model.files.contains_key(&address.key),
        Kind::Table => model.tables.contains_key(&address.key),
        Kind::Dashboard => model.dashboards.contains_key(&address.key),
        Kind::Share => address
            .key
            .split_once('.')
            .is_some_and(|(d, g)| model.shares.contains_key(&(d.to_string(), g.to_string()))),
        Kind::Call => model.calls.contains_key(&address.key),
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
