//! `lifecycle:` opt-ins in plans: revokes where allowed, today's forget with the reason
//! otherwise, and nothing changed without the opt-in.

use super::super::capabilities::Permit;
use super::super::testing::{Fixture, baseline, change, options};
use super::super::*;
use crate::address::Address;
use crate::model::{Access, SharesMode};

fn authoritative(fixture: &mut Fixture) {
    fixture.model_mut().lifecycle.shares = SharesMode::Authoritative;
}

fn revoking() -> PlanOptions {
    PlanOptions {
        capabilities: PlanCapabilities::all(),
        ..options()
    }
}

/// Everything allowed but saving a layout in place: a layout change replaces the dashboard.
fn replacing_layouts() -> PlanOptions {
    let mut options = revoking();
    options.capabilities.save_in_place = Permit::Refused {
        reason: "refused".into(),
    };
    options
}

#[test]
fn a_removed_share_is_revoked_when_authoritative_and_allowed() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    fixture.remove_share("overview", "Managers");
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    let share = change(&plan, "share.overview.Managers");
    assert_eq!(share.action, Action::Delete);
    assert!(share.warnings.is_empty());
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert_eq!(plan.summary().delete, 1);
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn without_the_opt_in_a_removed_share_is_forgotten_even_if_the_server_allows() {
    let (mut fixture, state) = baseline();
    fixture.remove_share("overview", "Managers");
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    assert_eq!(
        change(&plan, "share.overview.Managers").action,
        Action::Forget
    );
}

#[test]
fn a_refused_revoke_falls_back_to_forget_and_says_why_per_grant() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    fixture.remove_share("overview", "Managers");
    fixture.remove_share("overview", "Analysts");
    let options = PlanOptions {
        capabilities: PlanCapabilities {
            revoke: Permit::Refused {
                reason: "grants on this server cannot be revoked (internal route refused: 403)"
                    .into(),
            },
            ..PlanCapabilities::default()
        },
        ..options()
    };
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap();
    for group in ["Analysts", "Managers"] {
        let share = change(&plan, &format!("share.overview.{group}"));
        assert_eq!(share.action, Action::Forget);
        assert_eq!(share.warnings.len(), 1);
        assert!(
            share.warnings[0].ends_with("; `lifecycle.shares: authoritative` cannot revoke it here: grants on this server cannot be revoked (internal route refused: 403)"),
            "{}",
            share.warnings[0]
        );
    }
    assert_eq!(plan.warnings.len(), 2);
}

#[test]
fn an_unprobed_server_revokes_nothing() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    fixture.remove_share("overview", "Managers");
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let share = change(&plan, "share.overview.Managers");
    assert_eq!(share.action, Action::Forget);
    assert!(share.warnings[0].contains("the server's internal routes were not probed"));
}

#[test]
fn edit_to_view_revokes_first_when_authoritative_and_allowed() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    fixture.share("overview", "Managers", Access::View);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    let share = change(&plan, "share.overview.Managers");
    assert_eq!(share.action, Action::Update);
    assert!(share.revoke_first);
    assert!(share.warnings.is_empty());
    assert_eq!(
        share.reasons,
        [
            "access changed: Edit → View",
            "the Edit grant is revoked, then View is granted"
        ]
    );
}

#[test]
fn view_to_edit_needs_no_revoke() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    fixture.share("overview", "Analysts", Access::Edit);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    let share = change(&plan, "share.overview.Analysts");
    assert_eq!(share.action, Action::Update);
    assert!(!share.revoke_first);
}

#[test]
fn edit_to_view_keeps_the_warning_when_revoking_is_refused() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    fixture.share("overview", "Managers", Access::View);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let share = change(&plan, "share.overview.Managers");
    assert!(!share.revoke_first);
    assert!(share.warnings[0].contains("keeps Edit access"));
    assert!(share.warnings[0].contains("cannot revoke it here"));
}

fn deleting(fixture: &mut Fixture) {
    fixture.model_mut().lifecycle.deletion = crate::model::Deletion::Allowed;
}

/// The fixture without its dashboard, its shares and the `customers` table.
fn without_overview(fixture: &mut Fixture) {
    let model = fixture.model_mut();
    model.dashboards.clear();
    model.shares.clear();
    model.tables.remove("customers");
}

#[test]
fn removed_dashboards_and_tables_are_deleted_dashboards_first() {
    let (mut fixture, state) = baseline();
    deleting(&mut fixture);
    without_overview(&mut fixture);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    assert_eq!(change(&plan, "dashboard.overview").action, Action::Delete);
    let table = change(&plan, "table.customers");
    assert_eq!(table.action, Action::Delete);
    assert_eq!(
        table.depends_on,
        [Address::dashboard("overview")],
        "the dashboard showing it goes first"
    );
    // the shares go with their dashboard: nothing is left to warn about
    let share = change(&plan, "share.overview.Managers");
    assert_eq!(share.action, Action::Forget);
    assert!(share.warnings.is_empty());
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn a_table_a_forgotten_dashboard_still_shows_is_refused() {
    let (mut fixture, state) = baseline();
    deleting(&mut fixture);
    without_overview(&mut fixture);
    let options = PlanOptions {
        capabilities: PlanCapabilities {
            delete_project: Permit::Refused {
                reason: "dashboards on this server cannot be deleted".into(),
            },
            ..PlanCapabilities::all()
        },
        ..options()
    };
    let error = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap_err();
    assert_eq!(
        error,
        PlanError::TableInUse {
            table: Address::table("customers"),
            dashboard: Address::dashboard("overview"),
            dashboard_name: "Sales Overview".into(),
        }
    );
}

#[test]
fn revokes_of_a_deleted_dashboard_run_before_its_delete() {
    let (mut fixture, state) = baseline();
    deleting(&mut fixture);
    authoritative(&mut fixture);
    without_overview(&mut fixture);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    assert_eq!(
        change(&plan, "dashboard.overview").depends_on,
        [
            Address::share("overview", "Analysts"),
            Address::share("overview", "Managers")
        ]
    );
}

#[test]
fn a_write_not_tried_yet_is_planned_with_a_plain_note() {
    let (mut fixture, state) = baseline();
    authoritative(&mut fixture);
    deleting(&mut fixture);
    without_overview(&mut fixture);
    let untried = Permit::Allowed { tried: false };
    let options = PlanOptions {
        capabilities: PlanCapabilities {
            revoke: untried.clone(),
            delete_project: untried.clone(),
            delete_table: untried,
            save_in_place: Permit::Unknown,
        },
        ..options()
    };
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap();
    assert_eq!(change(&plan, "table.customers").action, Action::Delete);
    assert_eq!(plan.warnings.len(), 3, "{:#?}", plan.warnings);
    assert!(
        plan.warnings
            .iter()
            .all(|w| w.starts_with("this server has not yet been asked to"))
    );
    // once tried in this run, nothing to say
    let plan =
        super::super::plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

fn deleting_replaced(fixture: &mut Fixture) {
    fixture.model_mut().lifecycle.on_replace = crate::model::OnReplace::Delete;
}

#[test]
fn a_replaced_dashboard_plans_the_delete_of_the_old_one() {
    let (mut fixture, state) = baseline();
    deleting_replaced(&mut fixture);
    fixture.layout(r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id"]}}}"##);
    let old = state.resources[&Address::dashboard("overview")]
        .remote_id
        .clone()
        .unwrap();
    let plan = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing_layouts(),
    )
    .unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert_eq!(dashboard.delete_replaced, std::slice::from_ref(&old));
    assert!(
        dashboard.warnings[0].contains(&format!(
            "`/p/{old}` is deleted once the new one and its shares are in place"
        )),
        "{}",
        dashboard.warnings[0]
    );

    // refused: kept, and the warning says why
    let plan = plan_without_deletes(&fixture, &state);
    let dashboard = change(&plan, "dashboard.overview");
    assert!(dashboard.delete_replaced.is_empty());
    assert!(dashboard.warnings[0].contains("stays on the server"));
    assert!(dashboard.warnings[0].contains("`lifecycle.on_replace: delete` cannot delete it here"));
}

fn plan_without_deletes(fixture: &Fixture, state: &crate::state::State) -> Plan {
    plan(&fixture.model(), state, &Observed::default(), &options()).unwrap()
}

#[test]
fn an_orphaned_dashboard_is_offered_again_as_an_update() {
    let (mut fixture, mut state) = baseline();
    deleting_replaced(&mut fixture);
    state
        .resources
        .get_mut(&Address::dashboard("overview"))
        .unwrap()
        .attributes
        .insert("orphaned".into(), serde_json::json!(["old-1"]));
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Update);
    assert_eq!(dashboard.delete_replaced, ["old-1"]);
    assert!(dashboard.reasons[0].contains("`/p/old-1` left by an earlier replacement"));
    // the shares are not touched: the dashboard keeps its ID
    assert_eq!(
        change(&plan, "share.overview.Analysts").action,
        Action::NoOp
    );

    // without the opt-in, nothing is offered
    let (fixture, _) = baseline();
    let without =
        super::super::plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    assert_eq!(change(&without, "dashboard.overview").action, Action::NoOp);
}

#[test]
fn prevent_destroy_keeps_the_old_copy_of_a_replaced_dashboard() {
    let (mut fixture, state) = baseline();
    deleting_replaced(&mut fixture);
    fixture
        .model_mut()
        .dashboards
        .get_mut("overview")
        .unwrap()
        .prevent_destroy = true;
    fixture.layout(r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id"]}}}"##);
    let plan = plan(
        &fixture.model(),
        &state,
        &Observed::default(),
        &replacing_layouts(),
    )
    .unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert!(dashboard.delete_replaced.is_empty());
    assert!(
        dashboard.warnings[0]
            .contains("cannot delete it here: dashboard.overview has `prevent_destroy: true`"),
        "{}",
        dashboard.warnings[0]
    );
}

#[test]
fn a_dashboard_own_on_replace_overrides_the_manifest() {
    // The layout edited, with the manifest's `on_replace` (delete when `deleting`) and the
    // dashboard's own.
    let replanned = |deleting: bool, own: crate::model::OnReplace| {
        let (mut fixture, state) = baseline();
        if deleting {
            deleting_replaced(&mut fixture);
        }
        fixture.layout(r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id"]}}}"##);
        fixture
            .model_mut()
            .dashboards
            .get_mut("overview")
            .unwrap()
            .on_replace = Some(own);
        plan(
            &fixture.model(),
            &state,
            &Observed::default(),
            &replacing_layouts(),
        )
        .unwrap()
    };
    // manifest keep, dashboard delete
    let planned = replanned(false, crate::model::OnReplace::Delete);
    assert_eq!(
        change(&planned, "dashboard.overview").delete_replaced.len(),
        1
    );
    // manifest delete, dashboard keep
    let planned = replanned(true, crate::model::OnReplace::Keep);
    let dashboard = change(&planned, "dashboard.overview");
    assert!(dashboard.delete_replaced.is_empty());
    assert!(dashboard.warnings[0].contains("stays on the server"));
}

#[test]
fn a_layout_only_change_is_saved_in_place_where_allowed() {
    let (mut fixture, state) = baseline();
    deleting_replaced(&mut fixture);
    fixture.layout(r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id"]}}}"##);
    let old = state.resources[&Address::dashboard("overview")]
        .remote_id
        .clone()
        .unwrap();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Update);
    assert!(dashboard.save_in_place);
    assert!(
        dashboard.delete_replaced.is_empty(),
        "nothing is left to delete"
    );
    assert!(
        dashboard.layout_diff.is_some(),
        "the plan shows the layout diff"
    );
    assert!(
        dashboard
            .reasons
            .iter()
            .any(|r| r.contains(&format!("keeps `/p/{old}`"))),
        "{:?}",
        dashboard.reasons
    );
    for c in plan
        .changes
        .iter()
        .filter(|c| c.address.kind == crate::address::Kind::Share)
    {
        assert_eq!(c.action, Action::NoOp, "{} is left alone", c.address);
    }
    // tried already in this run: no "not yet asked" warning
    assert!(
        plan.warnings
            .iter()
            .all(|w| !w.contains("save a dashboard's layout"))
    );
}

#[test]
fn an_untried_in_place_save_is_announced() {
    let (mut fixture, state) = baseline();
    fixture.layout(r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id"]}}}"##);
    let mut options = revoking();
    options.capabilities.save_in_place = Permit::Allowed { tried: false };
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap();
    assert!(change(&plan, "dashboard.overview").save_in_place);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("not yet been asked to save a dashboard's layout in place")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_layout_change_with_a_rename_is_still_a_replacement() {
    let (mut fixture, state) = baseline();
    fixture.layout(r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id"]}}}"##);
    fixture
        .model_mut()
        .dashboards
        .get_mut("overview")
        .unwrap()
        .name = "Renamed".into();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &revoking()).unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert!(!dashboard.save_in_place);
}
