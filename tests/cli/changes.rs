//! What an edit becomes: a CSV edit updates its table in place, a layout edit replaces the
//! dashboard and re-shares it, a removed file is deleted and a removed share forgotten.

use serde_json::Value;

use crate::support::{TestContext, grokform_snapshot, ids};

#[test]
fn editing_a_csv_updates_the_table_in_place_and_leaves_dashboards_alone() {
    let project = TestContext::quickstart();
    project.apply();
    let table_id = project.state()["resources"]["table.orders"]["remote_id"].clone();
    let dashboards_before = ids(&project.held("dashboards"), "id");

    let mut csv = project.read("data/orders.csv");
    let first_row = csv.lines().nth(1).unwrap().to_owned();
    csv.push_str(&first_row);
    csv.push('\n');
    project.write("data/orders.csv", &csv);

    // An update in place with the row counts; the dashboards are untouched.
    grokform_snapshot!(
        project.filters(),
        project.run(&["plan", "--detailed-exitcode"])
    );

    project.apply();
    assert_eq!(
        project.state()["resources"]["table.orders"]["remote_id"],
        table_id
    );
    let orders = project
        .held("tables")
        .into_iter()
        .find(|t| t["name"] == "Admin:Sales:Orders")
        .unwrap();
    assert_eq!(orders["rows"], 121);
    assert_eq!(orders["id"], table_id);
    assert_eq!(ids(&project.held("dashboards"), "id"), dashboards_before);
}

#[test]
fn editing_a_layout_replaces_the_dashboard_and_reshares_it() {
    let project = TestContext::quickstart();
    project.apply();
    // a server that cannot verify a layout saved in place (`lifecycle_in_place` covers one that can)
    project.server().refuse(
        &"layouts-read=403"
            .parse::<grokform::emulator::RefusalRule>()
            .unwrap(),
    );
    let old_id = project.state()["resources"]["dashboard.sales-overview"]["remote_id"]
        .as_str()
        .unwrap()
        .to_string();

    project.edit("layouts/sales-overview.layout.json", |text| {
        let mut layout: Value = serde_json::from_str(text).unwrap();
        layout["name"] = Value::from("Sales overview (wide)");
        serde_json::to_string_pretty(&layout).unwrap()
    });
    // A replacement, a warning that the URL changes, and the shares following.
    let plan = project.run(&["plan"]);
    plan.code(0);
    project
        .filters()
        .bind(|| insta::assert_snapshot!("layout_edit_plan", plan.stdout));

    project.apply();
    let new_id = project.state()["resources"]["dashboard.sales-overview"]["remote_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_id, old_id);
    let shares = project.held("shares");
    for group in ["Analysts", "Managers"] {
        assert!(
            shares
                .iter()
                .any(|s| s["entity_id"] == new_id.as_str() && s["group"] == group),
            "{group} got the new dashboard: {shares:?}"
        );
    }
    assert_eq!(
        project.held("dashboards").len(),
        3,
        "the old dashboard stays (no public delete)"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn removing_a_file_deletes_it_and_removing_a_share_forgets_it() {
    let project = TestContext::quickstart();
    project.apply();
    project.edit("grokform.yaml", |m| {
        let without_file = cut_section(m, "files:");
        without_file.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    // A delete, and a forget warning that the grant stays on the server.
    grokform_snapshot!(project.filters(), project.run(&["plan"]));
    project.apply();
    assert!(project.held("files").is_empty());
    let state = project.state();
    assert!(
        state["resources"]
            .get("share.sales-overview.Managers")
            .is_none()
    );
    assert!(state["resources"].get("file.regions-readme").is_none());
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Removes a top-level section (its key line and the indented lines under it).
fn cut_section(manifest: &str, key: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line == key {
            skipping = true;
            continue;
        }
        if skipping && (line.starts_with(' ') || line.is_empty()) {
            continue;
        }
        skipping = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}
