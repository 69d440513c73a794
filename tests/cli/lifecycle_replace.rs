//! `lifecycle.on_replace: delete`: a replaced dashboard's old copy is deleted once the new one
//! and its shares are in place; a failed delete is kept as `orphaned` and retried by the next
//! apply. Also the "Done when": with the opt-ins, a grant removal and a layout edit in
//! one change leave one dashboard per manifest entry, each readable by exactly the groups the
//! manifest names.

use std::collections::BTreeSet;

use grokform::emulator::RefusalRule;
use serde_json::Value;

use crate::support::{TestContext, grokform_snapshot, unwrapped};

fn quickstart_with(lifecycle: &str) -> TestContext {
    let project = TestContext::quickstart();
    project.edit("grokform.yaml", |m| format!("{m}\nlifecycle:\n{lifecycle}"));
    project.apply();
    replacing_layouts(&project);
    project
}

/// A server that cannot verify a layout saved in place, so a layout edit replaces the
/// dashboard (`lifecycle_in_place` covers one that can).
fn replacing_layouts(project: &TestContext) {
    project
        .server()
        .refuse(&"layouts-read=403".parse::<RefusalRule>().unwrap());
}

fn edit_layout(project: &TestContext) {
    project.edit("layouts/sales-overview.layout.json", |text| {
        let mut layout: Value = serde_json::from_str(text).unwrap();
        layout["name"] = Value::from("Sales overview (wide)");
        serde_json::to_string_pretty(&layout).unwrap()
    });
}

fn dashboard_id(project: &TestContext, key: &str) -> String {
    project.state()["resources"][format!("dashboard.{key}")]["remote_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The dashboards named `name` on the server.
fn named(project: &TestContext, name: &str) -> Vec<String> {
    project
        .held("dashboards")
        .iter()
        .filter(|d| d["name"] == name)
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// The groups with a grant on the entity `id`.
fn groups_on(project: &TestContext, id: &str) -> BTreeSet<String> {
    project
        .held("shares")
        .iter()
        .filter(|s| s["entity_id"] == id)
        .map(|s| s["group"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_layout_edit_deletes_the_old_dashboard_after_the_new_one_is_shared() {
    let project = quickstart_with("  on_replace: delete\n");
    let old = dashboard_id(&project, "sales-overview");
    edit_layout(&project);
    let plan = project.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains(&format!(
            "`/p/{old}` is deleted once the new one and its shares are in place"
        )),
        "{}",
        plan.stdout
    );
    grokform_snapshot!(
        "on_replace_plan_markdown",
        project.filters().literal(&old, "[OLD]"),
        project.run(&["plan", "--format", "markdown"])
    );
    project.apply();
    let new = dashboard_id(&project, "sales-overview");
    assert_ne!(new, old);
    assert_eq!(
        named(&project, "Sales overview"),
        std::slice::from_ref(&new)
    );
    assert!(groups_on(&project, &old).is_empty());
    assert_eq!(
        groups_on(&project, &new),
        BTreeSet::from(["Analysts".to_string(), "Managers".to_string()])
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_failed_delete_is_kept_as_orphaned_and_retried_by_the_next_apply() {
    let project = quickstart_with("  on_replace: delete\n");
    let old = dashboard_id(&project, "sales-overview");
    project
        .server()
        .refuse(&"projects-delete=403".parse::<RefusalRule>().unwrap());
    edit_layout(&project);
    let run = project.run(&["apply", "--auto-approve"]);
    run.code(1);
    let stderr = unwrapped(&run.stderr);
    assert!(
        stderr.contains("kept in the state as `orphaned`"),
        "{stderr}"
    );
    let new = dashboard_id(&project, "sales-overview");
    let entry = &project.state()["resources"]["dashboard.sales-overview"];
    assert_eq!(entry["attributes"]["orphaned"], serde_json::json!([old]));
    assert_eq!(named(&project, "Sales overview").len(), 2);

    // the next plan offers the delete again, and the next apply does it
    project.server().clear_refusals();
    replacing_layouts(&project);
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout
            .contains(&format!("`/p/{old}` left by an earlier replacement")),
        "{}",
        plan.stdout
    );
    project.apply();
    assert_eq!(
        named(&project, "Sales overview"),
        std::slice::from_ref(&new)
    );
    assert!(
        project.state()["resources"]["dashboard.sales-overview"]["attributes"]
            .get("orphaned")
            .is_none()
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn without_the_opt_in_the_old_dashboard_stays() {
    let project = TestContext::quickstart();
    project.apply();
    replacing_layouts(&project);
    let old = dashboard_id(&project, "sales-overview");
    edit_layout(&project);
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("stays on the server"),
        "{}",
        plan.stdout
    );
    project.apply();
    assert_eq!(named(&project, "Sales overview").len(), 2);
    assert!(!groups_on(&project, &old).is_empty());
}

/// The "Done when".
#[test]
fn done_when_one_dashboard_per_entry_each_readable_by_exactly_the_named_groups() {
    let project = quickstart_with("  shares: authoritative\n  on_replace: delete\n");
    // one pull request: a group leaves a share, and a layout changes
    project.edit("grokform.yaml", |m| {
        m.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    edit_layout(&project);
    project.apply();

    let mut ids = BTreeSet::new();
    for (key, name, groups) in [
        ("sales-overview", "Sales overview", vec!["Analysts"]),
        ("customers", "Sales customers", vec!["Analysts"]),
    ] {
        let id = dashboard_id(&project, key);
        assert_eq!(named(&project, name), std::slice::from_ref(&id), "{key}");
        assert_eq!(
            groups_on(&project, &id),
            groups
                .iter()
                .map(|g| g.to_string())
                .collect::<BTreeSet<_>>(),
            "{key}"
        );
        ids.insert(id);
    }
    assert_eq!(project.held("dashboards").len(), 2);
    // no grant anywhere but on the managed dashboards and their tables
    for share in project.held("shares") {
        let entity = share["entity_id"].as_str().unwrap();
        assert!(
            ids.contains(entity),
            "a grant on an unmanaged entity: {share}"
        );
    }
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn init_opts_into_deleting_replaced_dashboards() {
    let project = TestContext::new();
    project.run(&["init"]).code(0);
    let manifest = project.read("grokform.yaml");
    assert!(
        manifest.contains("lifecycle:\n  on_replace: delete\n"),
        "{manifest}"
    );
    project.run(&["validate"]).code(0);
}

#[test]
fn a_dashboard_on_replace_is_checked_where_it_is_written() {
    let project = TestContext::quickstart();
    project.edit("grokform.yaml", |m| {
        m.replace(
            "    tables: [customers]\n",
            "    tables: [customers]\n    on_replace: remove\n",
        )
    });
    let run = project.run(&["validate"]);
    run.code(1);
    let stderr = unwrapped(&run.stderr);
    assert!(
        stderr.contains("unknown `on_replace` mode `remove`"),
        "{stderr}"
    );
    assert!(stderr.contains("expected `keep` or `delete`"), "{stderr}");
    assert!(stderr.contains("grokform.yaml:"), "{stderr}");
}
