//! `plan` and `apply` end to end on the quickstart, the real binary against the real emulator,
//! asserting on what the server holds and in which order it was asked, not only on what
//! grokform prints; targets, the approval rule, and `--server local`.

use crate::support::{TestContext, grokform, grokform_snapshot, ids};

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
    let project = TestContext::quickstart();
    let server = project.server();

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    project
        .filters()
        .bind(|| insta::assert_snapshot!("quickstart_first_plan", plan.stdout));

    let apply = project.apply();
    assert!(apply.stderr.contains("Apply complete"), "{}", apply.stderr);

    // What the server holds.
    let tables = project.held("tables");
    let mut names: Vec<String> = ids(&tables, "name");
    names.sort();
    assert_eq!(names, ["Admin:Sales:Customers", "Admin:Sales:Orders"]);
    let orders = tables
        .iter()
        .find(|t| t["name"] == "Admin:Sales:Orders")
        .unwrap();
    assert_eq!(orders["rows"], 120);
    let dashboards = project.held("dashboards");
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
    let shares = project.held("shares");
    assert_eq!(shares.len(), 3, "{shares:?}");
    assert_eq!(project.held("files").len(), 1);
    let calls = project.held("calls");
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
    grokform_snapshot!(project.filters(), again);
    let before = server.requests().len();
    project.apply();
    let writes = server.requests()[before..]
        .iter()
        .filter(|r| !r.is_read())
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
    let project = TestContext::quickstart();
    let server = project.server();
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
    grokform_snapshot!(project.filters(), project.run(&["plan"]));
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
    let project = TestContext::quickstart();
    // Only the dashboard and the table it shows; not the other table, nor any share.
    grokform_snapshot!(
        project.filters(),
        project.run(&["plan", "--target", "dashboard.customers"])
    );
    project
        .run(&["apply", "--auto-approve", "--target", "dashboard.customers"])
        .code(0);
    assert_eq!(project.held("tables").len(), 1);
    assert_eq!(project.held("dashboards").len(), 1);
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let project = TestContext::quickstart();
    let server = project.server();
    grokform_snapshot!(project.filters(), project.run(&["apply"]));
    assert!(
        server.requests().iter().all(|r| r.method == "GET"),
        "nothing was written"
    );
}

#[test]
fn server_local_runs_the_quickstart_without_any_server() {
    // A copy of the quickstart run from its parent folder, with no server at all.
    let project = TestContext::new().with_example("quickstart");
    let dir = project.root();
    let run = grokform([
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
    let again = grokform([
        "plan",
        "-C",
        dir.to_str().unwrap(),
        "--server",
        "local",
        "--detailed-exitcode",
    ])
    .run();
    grokform_snapshot!(project.filters(), again);
}
