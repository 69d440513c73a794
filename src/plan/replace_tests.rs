//! `--replace ADDRESS`: what each kind becomes when its replacement is forced, what follows
//! from it, and the refusals.

use super::testing::{actions, baseline, change, options, recorded};
use super::*;
use crate::model::Access;

fn replacing(addresses: &[&str]) -> PlanOptions {
    PlanOptions {
        replace: addresses.iter().map(|a| a.parse().unwrap()).collect(),
        ..options()
    }
}

#[test]
fn a_replaced_dashboard_is_created_anew_and_its_shares_follow() {
    let (fixture, state) = baseline();
    let plan = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing(&["dashboard.overview"]),
    )
    .unwrap();
    assert_eq!(
        actions(&plan),
        [
            "no-op file.raw-sales",
            "no-op table.customers",
            "no-op table.orders",
            "replace dashboard.overview",
            "create share.overview.Analysts",
            "create share.overview.Managers",
            "no-op call.refresh",
        ]
    );
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.reasons, ["replacement requested with --replace"]);
    assert_eq!(
        dashboard.layout_diff, None,
        "the layout itself is unchanged"
    );
    assert!(
        dashboard.warnings[0].contains("its URL changes"),
        "{:?}",
        dashboard.warnings
    );
    assert_eq!(
        change(&plan, "share.overview.Analysts").reasons,
        ["dashboard.overview is replaced: shared again on the new dashboard"]
    );
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn a_replaced_table_is_uploaded_again_and_keeps_its_dashboards() {
    let (fixture, state) = baseline();
    let plan = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing(&["table.orders"]),
    )
    .unwrap();
    assert_eq!(
        actions(&plan),
        [
            "no-op file.raw-sales",
            "no-op table.customers",
            "update table.orders",
            "no-op dashboard.overview",
            "no-op share.overview.Analysts",
            "no-op share.overview.Managers",
            "run call.refresh",
        ]
    );
    assert_eq!(
        change(&plan, "table.orders").reasons,
        [
            "replacement requested with --replace: its CSV is uploaded again under the same name, which keeps the table's ID"
        ]
    );
    assert_eq!(
        change(&plan, "call.refresh").reasons,
        ["table.orders is updated"]
    );
}

#[test]
fn files_shares_and_calls_are_redone_in_place() {
    let (fixture, state) = baseline();
    let plan = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing(&["file.raw-sales", "share.overview.Managers", "call.refresh"]),
    )
    .unwrap();
    let forced: Vec<(String, String)> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            (
                format!("{} {}", c.action.as_str(), c.address),
                c.reasons[0].clone(),
            )
        })
        .collect();
    assert_eq!(
        forced,
        [
            (
                "update file.raw-sales".to_string(),
                "replacement requested with --replace: uploaded again to the same path".to_string()
            ),
            (
                "update share.overview.Managers".to_string(),
                "replacement requested with --replace: granted again".to_string()
            ),
            (
                "run call.refresh".to_string(),
                "replacement requested with --replace: run again".to_string()
            ),
        ]
    );
}

#[test]
fn an_address_that_changes_anyway_keeps_its_action_and_gains_the_reason() {
    let (mut fixture, state) = baseline();
    fixture.table("orders", "JohnDoe:Sales:Orders2", "id,amount\n1,5\n2,6\n");
    fixture.share("overview", "Managers", Access::View);
    let plan = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing(&["table.orders", "share.overview.Managers"]),
    )
    .unwrap();
    let table = change(&plan, "table.orders");
    assert_eq!(table.action, Action::Replace);
    assert_eq!(
        table.reasons,
        [
            "replacement requested with --replace",
            "name changed: `JohnDoe:Sales:Orders` → `JohnDoe:Sales:Orders2`"
        ]
    );
    // the dashboard follows its replaced table, so the share is granted on the new one
    let share = change(&plan, "share.overview.Managers");
    assert_eq!(share.action, Action::Create);
    assert_eq!(share.reasons[0], "replacement requested with --replace");
}

#[test]
fn a_forced_replacement_converges() {
    let (fixture, state) = baseline();
    let model = fixture.model();
    let forced = plan(
        &model,
        &state,
        &Observed::default(),
        &replacing(&["dashboard.overview", "table.customers"]),
    )
    .unwrap();
    let after = recorded(&model, &state, &forced);
    assert_ne!(
        after.resources[&Address::dashboard("overview")].remote_id,
        state.resources[&Address::dashboard("overview")].remote_id
    );
    let next = plan(&model, &after, &Observed::default(), &options()).unwrap();
    assert!(!next.has_changes(), "{:?}", actions(&next));
}

#[test]
fn an_address_never_applied_is_created_with_a_warning() {
    let fixture = super::testing::Fixture::sales();
    let plan = plan(
        &fixture.model(),
        &super::testing::empty_state(),
        &Observed::default(),
        &replacing(&["dashboard.overview"]),
    )
    .unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(
        (dashboard.action, &dashboard.reasons[..]),
        (Action::Create, &["new".to_string()][..])
    );
    assert!(plan.warnings.contains(
        &"dashboard.overview: `--replace` changes nothing: it was never applied, so it is created anyway"
            .to_string()
    ));
}

#[test]
fn with_targets_the_replaced_address_and_its_dependencies_are_planned() {
    let (fixture, state) = baseline();
    let options = PlanOptions {
        targets: vec!["table.customers".parse().unwrap()],
        ..replacing(&["dashboard.overview"])
    };
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "no-op table.customers",
            "no-op table.orders",
            "replace dashboard.overview",
        ]
    );
    assert!(
        plan.warnings.iter().any(|w| w.starts_with(
            "this plan is partial: only the `--target` and `--replace` addresses and what they depend on are planned; 2 pending changes"
        )),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn an_unknown_address_is_refused_with_the_closest_one() {
    let (fixture, state) = baseline();
    let error = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing(&["dashboard.overveiw"]),
    )
    .unwrap_err();
    assert_eq!(
        error,
        PlanError::ReplaceUnknown {
            address: "dashboard.overveiw".parse().unwrap(),
            hint: Some("did you mean `dashboard.overview`?".into()),
        }
    );
    assert_eq!(
        error.to_string(),
        "`--replace dashboard.overveiw`: no resource of the manifest or the state has this address"
    );
    let error = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing(&["call.zzzzzz"]),
    )
    .unwrap_err();
    assert!(matches!(
        error,
        PlanError::ReplaceUnknown { hint: None, .. }
    ));
}

#[test]
fn an_address_removed_from_the_manifest_is_refused() {
    let (mut fixture, state) = baseline();
    fixture.remove_share("overview", "Managers");
    let model = fixture.model();
    let error = plan(
        &model,
        &state,
        &Observed::default(),
        &replacing(&["share.overview.Managers"]),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`--replace share.overview.Managers`: `share.overview.Managers` is no longer in the manifest, so there is nothing to replace it with"
    );
}
