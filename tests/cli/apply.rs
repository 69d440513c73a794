//! `plan` and `apply` end to end on the quickstart, the real binary against the real emulator,
//! asserting on what the server holds and in which order it was asked, not only on what
//! grokform prints; targets, the approval rule, and `--server local`.

use crate::project::{Project, emulator, filters, held};
use crate::support::ids;

fn position(
    requests: &[grokform::emulator::RequestRecord],
    method: &str,
    prefix: &str,
) -> Vec<usize> {
    requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == method && r.path.starts_with(prefix))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn quickstart_applies_in_dependency_order_and_then_plans_no_changes() {
    let server = emulator();
    let project = Project::quickstart(&server);

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    filters().bind(|| insta::assert_snapshot!("quickstart_first_plan", plan.stdout));

    let apply = project.apply();
    assert!(apply.stderr.contains("Apply complete"), "{}", apply.stderr);

    // What the server holds.
    let tables = held(&server, "tables");
    let mut names: Vec<String> = ids(&tables, "name");
    names.sort();
    assert_eq!(names, ["Admin:Sales:Customers", "Admin:Sales:Orders"]);
    let orders = tables
        .iter()
        .find(|t| t["name"] == "Admin:Sales:Orders")
        .unwrap();
    assert_eq!(orders["rows"], 120);
    let dashboards = held(&server, "dashboards");
    assert_eq!(dashboards.len(), 2);
    let overview = dashboards
        .iter()
        .find(|d| d["name"] == "Sales overview")
        .unwrap();
    let layout = overview["layout"].to_string();
    assert!(
        layout.contains(orders["id"].as_str().unwrap()),
        "the layout got the table's real ID: {layout}"
    );
    assert!(
        !layout.contains("${"),
        "no template left in the layout sent: {layout}"
    );
    let shares = held(&server, "shares");
    assert_eq!(shares.len(), 3, "{shares:?}");
    assert_eq!(held(&server, "files").len(), 1);
    let calls = held(&server, "calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["params"]["table"], orders["id"]);

    // In which order it was asked: tables before dashboards, dashboards before shares, the
    // call after the table it references.
    let requests = server.requests();
    let tables_at = position(&requests, "POST", "/public/v1/tables/");
    let dashboards_at = position(&requests, "POST", "/public/v1/dashboards/");
    let shares_at = position(&requests, "POST", "/public/v1/entities/");
    let calls_at = position(&requests, "POST", "/public/v1/functions/");
    assert_eq!(
        (
            tables_at.len(),
            dashboards_at.len(),
            shares_at.len(),
            calls_at.len()
        ),
        (2, 2, 3, 1)
    );
    assert!(
        tables_at.iter().max() < dashboards_at.iter().min(),
        "{requests:?}"
    );
    assert!(
        dashboards_at.iter().min() < shares_at.iter().min(),
        "{requests:?}"
    );
    assert!(
        tables_at.iter().max() < calls_at.iter().min(),
        "{requests:?}"
    );

    // The state records every resource, and a second plan has nothing to do.
    let state = project.state();
    assert_eq!(
        state["resources"].as_object().unwrap().len(),
        9,
        "{state:#}"
    );
    let again = project.run(&["plan", "--detailed-exitcode"]);
    again.code(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    let before = server.requests().len();
    project.apply();
    let writes = server.requests()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(
        writes,
        0,
        "a second apply sends no writes: {:?}",
        &server.requests()[before..]
    );
}

#[test]
fn a_new_table_and_a_dashboard_using_it_are_created_in_order() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.write("data/targets.csv", "region,target\nNorth,100\nSouth,80\n");
    project.edit("grokform.yaml", |m| {
        m.replace(
            "tables:\n",
            "tables:\n  targets:\n    name: Admin:${var.project}:Targets\n    source: data/targets.csv\n",
        )
        .replace(
            "dashboards:\n",
            "dashboards:\n  targets:\n    name: ${var.project} targets\n    tables: [targets]\n",
        )
    });
    let before = server.requests().len();
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("+ table.targets") && plan.stdout.contains("+ dashboard.targets"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("2 to create"), "{}", plan.stdout);
    project.apply();
    let requests = &server.requests()[before..];
    let table = requests
        .iter()
        .position(|r| r.method == "POST" && r.path.contains("/tables/Admin.Sales.Targets"));
    let dashboard = requests
        .iter()
        .position(|r| r.method == "POST" && r.path.starts_with("/public/v1/dashboards/"));
    assert!(
        table.is_some() && dashboard.is_some() && table < dashboard,
        "{requests:?}"
    );
}

#[test]
fn targets_limit_the_plan_to_an_address_and_its_dependencies() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let plan = project.run(&["plan", "--target", "dashboard.customers"]);
    plan.code(0);
    assert!(
        plan.stdout.contains("+ dashboard.customers") && plan.stdout.contains("+ table.customers")
    );
    assert!(
        !plan.stdout.contains("table.orders") && !plan.stdout.contains("share."),
        "{}",
        plan.stdout
    );
    project
        .run(&["apply", "--auto-approve", "--target", "dashboard.customers"])
        .code(0);
    assert_eq!(held(&server, "tables").len(), 1);
    assert_eq!(held(&server, "dashboards").len(), 1);
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let run = project.run(&["apply"]);
    run.code(1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert!(
        server.requests().iter().all(|r| r.method == "GET"),
        "nothing was written"
    );
}

#[test]
fn server_local_runs_the_quickstart_without_any_server() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path().join("quickstart");
    let examples = crate::common::repo_root().join("examples/quickstart");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&examples)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(dir.join(".grokform"));
    let run = crate::common::grokform([
        "apply",
        "-C",
        dir.to_str().unwrap(),
        "--server",
        "local",
        "--auto-approve",
    ])
    .run();
    run.code(0);
    assert!(
        dir.join(".grokform/local").is_dir(),
        "the emulator's data lives in .grokform/local"
    );
    let again = crate::common::grokform([
        "plan",
        "-C",
        dir.to_str().unwrap(),
        "--server",
        "local",
        "--detailed-exitcode",
    ])
    .run();
    again.code(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
}
