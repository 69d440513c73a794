//! The planner's decisions, one scenario each, against states recorded by the miniature
//! applier in `testing` (so the planner is checked against what apply records).

use super::attributes::inputs_hash;
use super::testing::{Fixture, LAYOUT, SERVER, actions, baseline, change, options};
use super::*;
use crate::address::Address;
use crate::model::{Access, RunPolicy};
use crate::state::{ResourceStatus, State};

#[test]
fn first_plan_creates_everything_in_dependency_order() {
    let model = Fixture::sales().model();
    let plan = plan(&model, &State::new(), &Observed::default(), &options()).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "create file.raw-sales",
            "create table.customers",
            "create table.orders",
            "create dashboard.overview",
            "create share.overview.Analysts",
            "create share.overview.Managers",
            "run call.refresh",
        ]
    );
    let dashboard = change(&plan, "dashboard.overview");
    let after = dashboard.after.as_ref().unwrap();
    assert_eq!(after["table_ids"], serde_json::json!([UNKNOWN, UNKNOWN]));
    assert!(after["layout_text"].as_str().unwrap().contains(UNKNOWN));
    assert_eq!(
        change(&plan, "call.refresh").after.as_ref().unwrap()["params"],
        serde_json::json!({"table": UNKNOWN})
    );
    assert_eq!(plan.state.serial, 0);
    assert_eq!(
        plan.inputs.keys().collect::<Vec<_>>(),
        [
            "data/customers.csv",
            "data/orders.csv",
            "data/sales.csv",
            "grokform.yaml",
            "layouts/overview.layout.json"
        ]
    );
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn an_applied_plan_leaves_nothing_to_do() {
    let (fixture, state) = baseline();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert!(!plan.has_changes(), "{:#?}", actions(&plan));
    assert_eq!(plan.summary().no_op, 7);
    let text = crate::render::human(&plan, false);
    // planned without a refresh: nothing is claimed about the server
    assert!(text.contains(
        "No changes. The manifest matches the state; the server was not read (--refresh=false)."
    ));
    assert!(text.starts_with(&format!(
        "grokform plan for {SERVER} (environment: staging)"
    )));
}

#[test]
fn table_data_change_updates_in_place_and_leaves_the_dashboard() {
    let (mut fixture, state) = baseline();
    fixture.table_csv("orders", "id,amount,discount\n1,5,0\n2,6,1\n3,7,0\n");
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let orders = change(&plan, "table.orders");
    assert_eq!(orders.action, Action::Update);
    assert_eq!(orders.reasons, ["data changed"]);
    let csv = orders.csv.as_ref().unwrap();
    assert_eq!((csv.rows_before, csv.rows_after), (Some(2), 3));
    assert_eq!(csv.added_columns, ["discount"]);
    assert_eq!(change(&plan, "dashboard.overview").action, Action::NoOp);
    assert_eq!(
        change(&plan, "share.overview.Managers").action,
        Action::NoOp
    );
    let call = change(&plan, "call.refresh");
    assert_eq!(call.action, Action::Run);
    assert_eq!(call.reasons, ["table.orders is updated"]);
    // the table keeps its ID, so the call's params are known
    assert_eq!(
        call.after.as_ref().unwrap()["params"]["table"],
        state.resources[&Address::table("orders")]
            .remote_id
            .clone()
            .unwrap()
    );
    assert!(plan.warnings.is_empty());
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn table_rename_replaces_it_and_the_dashboards_that_show_it() {
    let (mut fixture, state) = baseline();
    let csv = "id,amount\n1,5\n2,6\n";
    fixture.table("orders", "JohnDoe:Sales:AllOrders", csv);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(change(&plan, "table.orders").action, Action::Replace);
    assert_eq!(change(&plan, "table.customers").action, Action::NoOp);
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert_eq!(
        dashboard.reasons,
        ["table.orders is replaced, so its ID changes"]
    );
    let ids = &dashboard.after.as_ref().unwrap()["table_ids"];
    assert_eq!(ids[0], UNKNOWN);
    assert_ne!(ids[1], UNKNOWN, "the unchanged table's ID is known");
    for share in ["share.overview.Analysts", "share.overview.Managers"] {
        let share = change(&plan, share);
        assert_eq!(share.action, Action::Create);
        assert_eq!(
            share.reasons,
            ["dashboard.overview is replaced: shared again on the new dashboard"]
        );
    }
    assert_eq!(change(&plan, "call.refresh").action, Action::Run);
    assert_eq!(plan.warnings.len(), 2, "{:#?}", plan.warnings);
    assert!(plan.warnings[0].starts_with("dashboard.overview: there is no public update"));
    assert!(plan.warnings[0].contains("/p/dashboard-overview-"));
    assert!(plan.warnings[0].contains("its 2 shares are applied again"));
    assert!(plan.warnings[1].contains("`JohnDoe:Sales:Orders` stays on the server"));
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn layout_change_replaces_the_dashboard_with_a_diff() {
    let (mut fixture, state) = baseline();
    fixture.layout(&LAYOUT.replace("\"bar\"", "\"line\""));
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert_eq!(dashboard.reasons, ["layout changed"]);
    let diff = dashboard.layout_diff.as_deref().unwrap();
    assert!(diff.contains("-      \"type\": \"bar\""), "{diff}");
    assert!(diff.contains("+      \"type\": \"line\""), "{diff}");
    // the filled layout holds the known table ID, not the template
    assert!(!diff.contains("${table"), "{diff}");
    assert_eq!(change(&plan, "call.refresh").action, Action::NoOp);
    assert_eq!(plan.summary().create, 2);
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn removed_resources_are_forgotten_or_deleted_with_warnings() {
    let (mut fixture, state) = baseline();
    fixture.remove_share("overview", "Managers");
    let model = fixture.model_mut();
    model.files.clear();
    model.calls.clear();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(change(&plan, "file.raw-sales").action, Action::Delete);
    let share = change(&plan, "share.overview.Managers");
    assert_eq!(share.action, Action::Forget);
    assert!(share.after.is_none());
    assert_eq!(change(&plan, "call.refresh").action, Action::Forget);
    assert!(change(&plan, "call.refresh").warnings.is_empty());
    assert_eq!(
        plan.warnings,
        [
            "share.overview.Managers: removed from the manifest; `Managers` keeps its Edit access to dashboard `overview` (the public API cannot revoke shares); remove it in Datagrok"
        ]
    );
    let summary = plan.summary();
    assert_eq!((summary.delete, summary.forget), (1, 2));
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn removed_dashboard_and_table_are_forgotten() {
    let (mut fixture, state) = baseline();
    let model = fixture.model_mut();
    model.dashboards.clear();
    model.shares.clear();
    model.tables.remove("customers");
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(change(&plan, "dashboard.overview").action, Action::Forget);
    assert_eq!(change(&plan, "table.customers").action, Action::Forget);
    assert!(plan.warnings.iter().any(|w| w.starts_with(
        "dashboard.overview: removed from the manifest; the dashboard `Sales Overview` at `/p/dashboard-overview-"
    )));
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("the table `JohnDoe:Sales:Customers` stays on the server"))
    );
}

#[test]
fn share_access_changes_update_and_warn_on_downgrade() {
    let (mut fixture, state) = baseline();
    fixture.share("overview", "Analysts", Access::Edit);
    fixture.share("overview", "Managers", Access::View);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let up = change(&plan, "share.overview.Analysts");
    assert_eq!(
        (up.action, up.reasons.clone()),
        (
            Action::Update,
            vec!["access changed: View → Edit".to_string()]
        )
    );
    assert!(up.warnings.is_empty());
    let down = change(&plan, "share.overview.Managers");
    assert_eq!(down.action, Action::Update);
    assert_eq!(
        down.warnings,
        [
            "share.overview.Managers: `Managers` keeps Edit access: the public API cannot revoke or downgrade a grant; remove it in Datagrok"
        ]
    );
    assert_eq!(change(&plan, "dashboard.overview").action, Action::NoOp);
}

#[test]
fn file_content_updates_and_path_replaces() {
    let (mut fixture, state) = baseline();
    let model = fixture.model_mut();
    let file = model.files.get_mut("raw-sales").unwrap();
    file.source.sha256 = "0".repeat(64);
    let plan1 = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let file = change(&plan1, "file.raw-sales");
    assert_eq!(
        (file.action, file.reasons.clone()),
        (Action::Update, vec!["content changed".to_string()])
    );

    let model = fixture.model_mut();
    model.files.get_mut("raw-sales").unwrap().path = "Sales/raw/2026.csv".into();
    let plan2 = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let file = change(&plan2, "file.raw-sales");
    assert_eq!(file.action, Action::Replace);
    assert_eq!(
        file.reasons,
        [
            "remote path changed: `System:AppData/Sales/raw/sales.csv` → `System:AppData/Sales/raw/2026.csv`; the new file is uploaded, then the old one deleted"
        ]
    );
}

#[test]
fn calls_run_always_or_on_change() {
    let (mut fixture, state) = baseline();
    assert_eq!(
        change(
            &plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap(),
            "call.refresh"
        )
        .action,
        Action::NoOp
    );

    let call = fixture.model_mut().calls.get_mut("refresh").unwrap();
    call.params.insert("force".into(), true.into());
    let p = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(change(&p, "call.refresh").reasons, ["params changed"]);

    let call = fixture.model_mut().calls.get_mut("refresh").unwrap();
    call.params.remove("force");
    call.function = "Demo:Refresh".into();
    let p = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(
        change(&p, "call.refresh").reasons,
        ["function changed: `Demo:RefreshCaches` → `Demo:Refresh`"]
    );

    let call = fixture.model_mut().calls.get_mut("refresh").unwrap();
    call.function = "Demo:RefreshCaches".into();
    call.run = RunPolicy::Always;
    let p = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(change(&p, "call.refresh").action, Action::Run);
    assert_eq!(change(&p, "call.refresh").reasons, ["run: always"]);
}

#[test]
fn param_order_does_not_change_the_hash() {
    let mut a = Fixture::sales();
    let mut b = Fixture::sales();
    let call = a.model_mut().calls.get_mut("refresh").unwrap();
    call.params.insert("z".into(), 1.into());
    call.params.insert("a".into(), 2.into());
    let call = b.model_mut().calls.get_mut("refresh").unwrap();
    call.params.insert("a".into(), 2.into());
    call.params.insert("z".into(), 1.into());
    let address = Address::call("refresh");
    assert_eq!(
        inputs_hash(&a.model(), &address),
        inputs_hash(&b.model(), &address)
    );
    assert_eq!(inputs_hash(&a.model(), &Address::call("nope")), None);
}

#[test]
fn an_interrupted_dashboard_create_is_shown_as_uncertain() {
    let (fixture, mut state) = baseline();
    let dashboard = state
        .resources
        .get_mut(&Address::dashboard("overview"))
        .unwrap();
    dashboard.status = ResourceStatus::Uncertain;
    dashboard.remote_id = None;
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(
        (dashboard.action, dashboard.uncertain, dashboard.sign()),
        (Action::Create, true, "?")
    );
    assert!(plan.warnings[0].contains("may already hold a dashboard named `Sales Overview`"));
    assert_eq!(
        change(&plan, "share.overview.Analysts").action,
        Action::Create
    );
    insta::assert_snapshot!(crate::render::human(&plan, false));
}

#[test]
fn targets_keep_what_they_depend_on() {
    let (mut fixture, state) = baseline();
    fixture.table_csv("customers", "id,name\n1,Ann\n2,Bob\n");
    fixture
        .model_mut()
        .files
        .get_mut("raw-sales")
        .unwrap()
        .source
        .sha256 = "1".repeat(64);
    fixture.share("overview", "Analysts", Access::Edit);
    let mut options = options();
    options.targets = vec![
        "share.overview.Analysts".parse().unwrap(),
        "table.nope".parse().unwrap(),
    ];
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "update table.customers",
            "no-op table.orders",
            "no-op dashboard.overview",
            "update share.overview.Analysts",
        ]
    );
    assert_eq!(plan.targets, options.targets);
    assert_eq!(
        plan.warnings,
        [
            "`--target table.nope` matches no resource in the manifest or the state",
            "this plan is partial: only the `--target` addresses and what they depend on are planned; 1 pending change outside them is not included",
        ]
    );
}

#[test]
fn planning_is_deterministic() {
    let (mut fixture, state) = baseline();
    fixture.layout(&LAYOUT.replace("amount", "total"));
    let a = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let b = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(a, b);
    assert_eq!(crate::render::json(&a), crate::render::json(&b));
}

#[test]
fn a_plan_holds_no_credentials_from_the_server_url() {
    let (fixture, state) = baseline();
    let mut options = options();
    options.server = "https://bot:s3cret@dg.example.com/api".into();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options).unwrap();
    assert_eq!(plan.server, SERVER);
    assert!(!crate::render::json(&plan).contains("s3cret"));
    assert_eq!(
        check_fresh(&plan, &fixture.model(), &state, &options.server),
        Ok(())
    );
}

#[test]
fn the_plan_serialises_with_its_format_version() {
    let (fixture, state) = baseline();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&crate::render::json(&plan)).unwrap();
    assert_eq!(value["format_version"], FORMAT_VERSION);
    assert_eq!(value["state"]["serial"], state.serial);
}
