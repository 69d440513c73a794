//! `plan_adopting` from plain values: the sales model applied once gives what a server holds;
//! forgetting the state and importing those objects back must plan no change, and each kind
//! of difference must plan as the ordinary change it is.

use serde_json::Value;

use super::imports::{Found, ServerGrant, ServerObject, adopt_into, plan_adopting};
use super::testing::{actions, baseline, change, options};
use super::{Action, Observed, PlanError};
use crate::address::Address;
use crate::model::adopt::{Lookup, Moved};
use crate::state::State;

fn text<'a>(state: &'a State, address: &str, key: &str) -> &'a str {
    state.resources[&address.parse::<Address>().unwrap()].attributes[key]
        .as_str()
        .unwrap()
}

/// What the server holds for the sales tables and dashboard, as `state` recorded it.
fn server_objects(state: &State) -> Vec<Found> {
    let table = |key: &str| {
        let address = Address::table(key);
        let recorded = &state.resources[&address];
        Found {
            address,
            by: Lookup::Name(text(state, &format!("table.{key}"), "name").into()),
            object: ServerObject::Table {
                id: recorded.remote_id.clone().unwrap(),
                name: text(state, &format!("table.{key}"), "name").into(),
                name_matches: true,
                columns: vec![],
                rows: recorded.attributes["rows"].as_u64(),
                sha256: text(state, &format!("table.{key}"), "sha256").into(),
            },
        }
    };
    let dashboard = &state.resources[&Address::dashboard("overview")];
    let served: Value =
        serde_json::from_str(text(state, "dashboard.overview", "layout_text")).unwrap();
    let mut served = served;
    served["id"] = "server-layout-id".into();
    served["updatedOn"] = "2026-01-01".into();
    vec![
        table("orders"),
        table("customers"),
        Found {
            address: Address::dashboard("overview"),
            by: Lookup::Name("Sales Overview".into()),
            object: ServerObject::Dashboard {
                id: dashboard.remote_id.clone().unwrap(),
                name: "Sales Overview".into(),
                name_matches: true,
                table_ids: dashboard.attributes["table_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .rev()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
                layout: Some(served),
                grants: vec![ServerGrant {
                    group: "analysts".into(),
                    access: "View".into(),
                }],
            },
        },
    ]
}

/// The applied state with the tables, the dashboard and its shares forgotten.
fn forgotten(state: &State) -> State {
    let mut state = state.clone();
    for address in [
        "table.orders",
        "table.customers",
        "dashboard.overview",
        "share.overview.Analysts",
        "share.overview.Managers",
    ] {
        state.resources.remove(&address.parse().unwrap());
    }
    state
}

#[test]
fn objects_that_match_the_manifest_import_as_no_change() {
    let (fixture, applied) = baseline();
    let model = fixture.model();
    let state = forgotten(&applied);
    let plan = plan_adopting(
        &model,
        &state,
        &Observed::default(),
        &server_objects(&applied),
        &options(),
    )
    .unwrap();
    let imported: Vec<String> = plan.imports.iter().map(|i| i.address.to_string()).collect();
    assert_eq!(
        imported,
        [
            "table.orders",
            "table.customers",
            "dashboard.overview",
            "share.overview.Analysts"
        ]
    );
    for address in [
        "table.orders",
        "table.customers",
        "dashboard.overview",
        "share.overview.Analysts",
    ] {
        assert_eq!(
            change(&plan, address).action,
            Action::NoOp,
            "{address}: {:?}",
            change(&plan, address).reasons
        );
    }
    // Managers has no grant on the server: granted as new
    assert_eq!(
        change(&plan, "share.overview.Managers").action,
        Action::Create
    );
    assert!(plan.has_changes());

    // apply records exactly the reviewed records, at the next serial; the plan is then clean
    let mut after = state.clone();
    adopt_into(&mut after, &plan).unwrap();
    assert_eq!(
        after.resources[&Address::dashboard("overview")].remote_id,
        applied.resources[&Address::dashboard("overview")].remote_id
    );
    assert_eq!(
        after.resources[&Address::table("orders")].applied_serial,
        state.serial + 1
    );
    let again = plan_adopting(&model, &after, &Observed::default(), &[], &options()).unwrap();
    assert!(
        again.imports.is_empty(),
        "an import already in the state is a no-op"
    );
    assert_eq!(
        actions(&again)
            .iter()
            .filter(|a| !a.starts_with("no-op"))
            .collect::<Vec<_>>(),
        ["create share.overview.Managers"]
    );
    // adopting twice is refused rather than overwriting
    assert_eq!(
        adopt_into(&mut after, &plan),
        Err(PlanError::ImportTaken {
            address: Address::table("orders")
        })
    );
}

#[test]
fn differences_plan_as_ordinary_changes() {
    let (fixture, applied) = baseline();
    let model = fixture.model();
    let state = forgotten(&applied);
    let mut found = server_objects(&applied);
    if let ServerObject::Table { sha256, .. } = &mut found[0].object {
        *sha256 = "0".repeat(64);
    }
    if let ServerObject::Dashboard { layout, grants, .. } = &mut found[2].object {
        layout.as_mut().unwrap()["viewStateMap"]["chart"]["type"] = "line".into();
        grants[0].access = "Edit".into();
    }
    let plan = plan_adopting(&model, &state, &Observed::default(), &found, &options()).unwrap();
    let orders = change(&plan, "table.orders");
    assert_eq!(orders.action, Action::Update);
    assert_eq!(orders.reasons, ["data changed"]);
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert!(
        dashboard.reasons.contains(&"layout changed".to_string()),
        "{:?}",
        dashboard.reasons
    );
    assert_ne!(
        change(&plan, "share.overview.Analysts").action,
        Action::NoOp
    );
}

#[test]
fn moved_renames_in_the_state_and_plans_no_change() {
    let (mut fixture, applied) = baseline();
    let model = fixture.model_mut();
    let dashboard = model.dashboards.remove("overview").unwrap();
    model.dashboards.insert(
        "sales".into(),
        crate::model::Dashboard {
            key: "sales".into(),
            ..dashboard
        },
    );
    let shares: Vec<_> = model.shares.keys().cloned().collect();
    for key in shares {
        let mut share = model.shares.remove(&key).unwrap();
        share.dashboard = "sales".into();
        model.shares.insert(("sales".into(), key.1), share);
    }
    model.adoption.moves.push(Moved {
        from: Address::dashboard("overview"),
        to: Address::dashboard("sales"),
        at: None,
    });
    let model = fixture.model();
    let plan = plan_adopting(&model, &applied, &Observed::default(), &[], &options()).unwrap();
    assert_eq!(plan.moved.len(), 1);
    assert!(
        plan.changes.iter().all(|c| c.action == Action::NoOp),
        "{:?}",
        actions(&plan)
    );

    // once recorded the block is done; both addresses in the state is a clash
    let mut after = applied.clone();
    adopt_into(&mut after, &plan).unwrap();
    assert!(
        after
            .resources
            .contains_key(&Address::share("sales", "Analysts"))
    );
    assert!(
        plan_adopting(&model, &after, &Observed::default(), &[], &options())
            .unwrap()
            .moved
            .is_empty()
    );
    let mut both = after.clone();
    both.resources.insert(
        Address::dashboard("overview"),
        after.resources[&Address::dashboard("sales")].clone(),
    );
    assert!(matches!(
        plan_adopting(&model, &both, &Observed::default(), &[], &options()),
        Err(PlanError::MovedTaken { .. })
    ));
}
