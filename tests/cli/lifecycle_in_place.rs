//! Stable dashboard URLs: a dashboard whose only change is its layout is saved in place
//! (`POST /layouts` with the layout's own id) where the server allows, read back, and keeps
//! its ID, URL and grants. Where the server refuses the route, or accepts the save and does
//! not hold the new layout, the dashboard is replaced as without the capability.

use grokform::emulator::RefusalRule;
use serde_json::Value;

use crate::support::http::api;
use crate::support::{TestContext, unwrapped};

const LAYOUT: &str = "layouts/sales-overview.layout.json";

fn edit_layout(project: &TestContext) {
    project.edit(LAYOUT, |text| {
        let mut layout: Value = serde_json::from_str(text).unwrap();
        layout["name"] = Value::from("Sales overview (wide)");
        serde_json::to_string_pretty(&layout).unwrap()
    });
}

fn dashboard_id(project: &TestContext) -> String {
    project.state()["resources"]["dashboard.sales-overview"]["remote_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The dashboards the emulator holds named `Sales overview`.
fn sales_overviews(project: &TestContext) -> Vec<Value> {
    project
        .held("dashboards")
        .into_iter()
        .filter(|d| d["name"] == "Sales overview")
        .collect()
}

/// The grants on entity `id`, as `group:access`, sorted.
fn grants_on(project: &TestContext, id: &str) -> Vec<String> {
    let mut grants: Vec<String> = project
        .held("shares")
        .iter()
        .filter(|s| s["entity_id"] == id)
        .map(|s| format!("{}:{}", s["group"].as_str().unwrap(), s["access"]))
        .collect();
    grants.sort();
    grants
}

fn refuse(project: &TestContext, spec: &str) {
    project
        .server()
        .refuse(&spec.parse::<RefusalRule>().unwrap());
}

#[test]
fn a_layout_change_keeps_the_dashboard_id_url_and_grants() {
    let project = TestContext::quickstart();
    project.apply();
    let id = dashboard_id(&project);
    let grants = grants_on(&project, &id);
    assert_eq!(grants.len(), 2, "{grants:?}");
    edit_layout(&project);

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    let stdout = unwrapped(&plan.stdout);
    assert!(stdout.contains("~ dashboard.sales-overview"), "{stdout}");
    assert!(
        stdout.contains(&format!("the dashboard keeps `/p/{id}` and its shares")),
        "{stdout}"
    );
    assert!(!stdout.contains("-/+"), "{stdout}");
    assert!(
        stdout.contains("Sales overview (wide)"),
        "the layout diff: {stdout}"
    );
    let filters = project.filters().literal(&id, "[ID]");
    filters.bind(|| insta::assert_snapshot!("in_place_plan_human", plan.stdout));
    let markdown = project.run(&["plan", "--format", "markdown"]);
    markdown.code(0);
    filters.bind(|| insta::assert_snapshot!("in_place_plan_markdown", markdown.stdout));

    let apply = project.apply();
    let out = unwrapped(&format!("{}{}", apply.stdout, apply.stderr));
    assert!(out.contains("layout saved in place"), "{out}");
    assert_eq!(dashboard_id(&project), id, "same ID, same `/p/<id>`");
    let held = sales_overviews(&project);
    assert_eq!(held.len(), 1, "one dashboard: {held:?}");
    assert_eq!(held[0]["id"], id.as_str());
    assert_eq!(held[0]["layout"]["name"], "Sales overview (wide)");
    assert_eq!(grants_on(&project, &id), grants, "grants untouched");
    // the state records the new layout: nothing left to do, and no drift
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_layout_edited_in_the_ui_is_repaired_in_place() {
    let project = TestContext::quickstart();
    project.apply();
    let id = dashboard_id(&project);
    // someone saves another layout over it in Datagrok
    let layouts = api(project.server(), "GET", &format!("/layouts?projectId={id}"))
        .send()
        .json();
    let mut edited = layouts[0].clone();
    edited["name"] = Value::from("Edited in the UI");
    api(project.server(), "POST", "/layouts")
        .body(edited.to_string())
        .send()
        .ok();
    assert_eq!(
        sales_overviews(&project)[0]["layout"]["name"],
        "Edited in the UI"
    );

    let plan = project.run(&["plan"]);
    plan.code(0);
    let stdout = unwrapped(&plan.stdout);
    assert!(stdout.contains("~ dashboard.sales-overview"), "{stdout}");
    assert!(stdout.contains("changed outside grokform"), "{stdout}");
    project.apply();
    assert_eq!(dashboard_id(&project), id);
    let held = sales_overviews(&project);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_ne!(held[0]["layout"]["name"], "Edited in the UI");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn with_layouts_unreadable_the_plan_replaces_as_before() {
    let project = TestContext::quickstart();
    project.apply();
    let old = dashboard_id(&project);
    refuse(&project, "layouts-read=403");
    edit_layout(&project);
    let plan = project.run(&["plan"]);
    plan.code(0);
    let stdout = unwrapped(&plan.stdout);
    assert!(stdout.contains("-/+ dashboard.sales-overview"), "{stdout}");
    assert!(
        stdout.contains("it cannot be updated in place here: dashboard layouts on this server cannot be verified"),
        "{stdout}"
    );
    project.apply();
    assert_ne!(dashboard_id(&project), old);
    assert_eq!(sales_overviews(&project).len(), 2, "the old one stays");
}

#[test]
fn a_refused_save_falls_back_to_a_replacement_with_its_shares() {
    let project = TestContext::quickstart();
    project.apply();
    let old = dashboard_id(&project);
    let grants = grants_on(&project, &old);
    refuse(&project, "layouts-save=403");
    edit_layout(&project);
    // the probe cannot try a write: the plan says it is the first attempt
    let plan = project.run(&["plan"]);
    assert!(unwrapped(&plan.stdout).contains("~ dashboard.sales-overview"));
    assert!(
        unwrapped(&plan.stdout)
            .contains("has not yet been asked to save a dashboard's layout in place"),
        "{}",
        plan.stdout
    );
    let apply = project.apply();
    let out = unwrapped(&format!("{}{}", apply.stdout, apply.stderr));
    assert!(
        out.contains("the layout could not be updated in place: the server refused the save"),
        "{out}"
    );
    let new = dashboard_id(&project);
    assert_ne!(new, old);
    assert_eq!(grants_on(&project, &new), grants, "shares applied again");
    assert_eq!(sales_overviews(&project).len(), 2, "`/p/<old>` stays");
    let again = project.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

#[test]
fn a_save_the_read_back_contradicts_falls_back_and_keeps_nothing_half_done() {
    let project = TestContext::quickstart();
    project.apply();
    let old = dashboard_id(&project);
    // the server answers the save with success and saves nothing
    refuse(&project, "layouts-save=ignore");
    edit_layout(&project);
    let apply = project.apply();
    let out = unwrapped(&format!("{}{}", apply.stdout, apply.stderr));
    assert!(
        out.contains("the save reported success but the layout read back differs"),
        "{out}"
    );
    let new = dashboard_id(&project);
    assert_ne!(new, old);
    let held = sales_overviews(&project);
    assert_eq!(held.len(), 2, "{held:?}");
    let fresh = held.iter().find(|d| d["id"] == new.as_str()).unwrap();
    assert_eq!(fresh["layout"]["name"], "Sales overview (wide)");
    assert_eq!(grants_on(&project, &new).len(), 2);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_fallback_under_on_replace_delete_leaves_one_dashboard() {
    let project = TestContext::quickstart();
    project.edit("grokform.yaml", |m| {
        format!("{m}\nlifecycle:\n  on_replace: delete\n")
    });
    project.apply();
    let old = dashboard_id(&project);
    refuse(&project, "layouts-save=ignore");
    edit_layout(&project);
    let apply = project.apply();
    let out = unwrapped(&format!("{}{}", apply.stdout, apply.stderr));
    assert!(
        out.contains(&format!(
            "`/p/{old}` is deleted (`lifecycle.on_replace: delete`)"
        )),
        "{out}"
    );
    let new = dashboard_id(&project);
    let held = sales_overviews(&project);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["id"], new.as_str());
    assert!(grants_on(&project, &old).is_empty());
    assert_eq!(grants_on(&project, &new).len(), 2);
    let again = project.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}
