//! What an edit becomes: a CSV edit updates its table in place, a layout edit replaces the
//! dashboard and re-shares it, a removed file is deleted and a removed share forgotten.

use serde_json::Value;

use crate::project::{Project, emulator, filters, held};
use crate::support::ids;

#[test]
fn editing_a_csv_updates_the_table_in_place_and_leaves_dashboards_alone() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let table_id = project.state()["resources"]["table.orders"]["remote_id"].clone();
    let dashboards_before = ids(&held(&server, "dashboards"), "id");

    let mut csv = project.read("data/orders.csv");
    let first_row = csv.lines().nth(1).unwrap().to_owned();
    csv.push_str(&first_row);
    csv.push('\n');
    project.write("data/orders.csv", &csv);

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(plan.stdout.contains("~ table.orders"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("120 → 121"),
        "the CSV summary shows the row counts: {}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("dashboard."),
        "dashboards are untouched: {}",
        plan.stdout
    );
    assert!(plan.stdout.contains("1 to update"), "{}", plan.stdout);

    project.apply();
    assert_eq!(
        project.state()["resources"]["table.orders"]["remote_id"],
        table_id
    );
    let orders = held(&server, "tables")
        .into_iter()
        .find(|t| t["name"] == "Admin:Sales:Orders")
        .unwrap();
    assert_eq!(orders["rows"], 121);
    assert_eq!(orders["id"], table_id);
    assert_eq!(ids(&held(&server, "dashboards"), "id"), dashboards_before);
}

#[test]
fn editing_a_layout_replaces_the_dashboard_and_reshares_it() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let old_id = project.state()["resources"]["dashboard.sales-overview"]["remote_id"]
        .as_str()
        .unwrap()
        .to_string();

    project.edit("layouts/sales-overview.layout.json", |text| {
        let mut layout: Value = serde_json::from_str(text).unwrap();
        layout["name"] = Value::from("Sales overview (wide)");
        serde_json::to_string_pretty(&layout).unwrap()
    });
    let plan = project.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains("-/+ dashboard.sales-overview"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.to_lowercase().contains("url"),
        "the plan warns that the URL changes: {}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("share.sales-overview.Analysts"),
        "shares follow: {}",
        plan.stdout
    );
    filters().bind(|| insta::assert_snapshot!("layout_edit_plan", plan.stdout));

    project.apply();
    let new_id = project.state()["resources"]["dashboard.sales-overview"]["remote_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_id, old_id);
    let shares = held(&server, "shares");
    for group in ["Analysts", "Managers"] {
        assert!(
            shares
                .iter()
                .any(|s| s["entity_id"] == new_id.as_str() && s["group"] == group),
            "{group} got the new dashboard: {shares:?}"
        );
    }
    assert_eq!(
        held(&server, "dashboards").len(),
        3,
        "the old dashboard stays (no public delete)"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn removing_a_file_deletes_it_and_removing_a_share_forgets_it() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.edit("grokform.yaml", |m| {
        let without_file = cut_section(m, "files:");
        without_file.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    let plan = project.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains("- file.regions-readme"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("share.sales-overview.Managers"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.to_lowercase().contains("revoke"),
        "the forget warns that the grant stays: {}",
        plan.stdout
    );
    project.apply();
    assert!(held(&server, "files").is_empty());
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
