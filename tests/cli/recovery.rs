//! Apply when things go wrong: retryable faults are retried; a failure half-way keeps what was
//! done and a re-run finishes without duplicates; a create that may have committed is shown,
//! not repeated; Ctrl-C drains in-flight work and saves.

use crate::support::{Run, TestContext, grokform_snapshot, wait_until};

#[test]
fn retryable_faults_are_retried_and_apply_succeeds() {
    let project = TestContext::quickstart();
    let server = project.server();
    server.add_fault("POST /public/v1/tables status=503 count=2".parse().unwrap());
    server.add_fault(
        "POST /public/v1/entities status=429 count=1 retry-after=1"
            .parse()
            .unwrap(),
    );
    project.apply();
    assert_eq!(project.held("tables").len(), 2);
    assert_eq!(project.held("shares").len(), 3);
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1);
}

#[test]
fn a_failure_halfway_keeps_what_was_done_and_a_rerun_finishes_without_duplicates() {
    let project = TestContext::quickstart();
    let server = project.server();
    // Shares keep failing: tables and dashboards are made, then apply stops. One action at a
    // time: run concurrently, a share of the first dashboard can fail (and stop the run) before
    // the second dashboard has started, which is right but not what this test is about.
    server.add_fault("POST /public/v1/entities status=500".parse().unwrap());
    server.add_fault("GET /public/v1/dashboards status=500".parse().unwrap());
    let failed = project.run(&["apply", "--auto-approve", "--parallelism", "1"]);
    failed.code(1);
    assert!(
        failed.stderr.contains("share."),
        "the failure names the share: {}",
        failed.stderr
    );
    let state = project.state();
    let resources = state["resources"].as_object().unwrap();
    assert!(
        resources.contains_key("dashboard.sales-overview")
            && resources.contains_key("table.orders")
    );
    assert!(
        !resources.keys().any(|k| k.starts_with("share.")),
        "no share is recorded: {state:#}"
    );
    assert_eq!(project.held("dashboards").len(), 2);

    server.clear_faults();
    let plan = project.run(&["plan"]);
    assert!(
        !plan.stdout.contains("dashboard."),
        "dashboards are done: {}",
        plan.stdout
    );
    project.apply();
    assert_eq!(
        project.held("dashboards").len(),
        2,
        "no duplicate dashboard"
    );
    assert_eq!(project.held("shares").len(), 3);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn commit_then_fail_on_a_dashboard_create_is_shown_not_duplicated() {
    let project = TestContext::quickstart();
    let server = project.server();
    // One action at a time, so what was done before the failure (both dashboards, no share)
    // and the progress lines are the same on every run.
    server.add_fault(
        "POST /public/v1/dashboards/Sales%20overview commit-then-fail count=1"
            .parse()
            .unwrap(),
    );
    project
        .run(&["apply", "--auto-approve", "--parallelism", "1"])
        .code(1);
    assert_eq!(
        project.held("dashboards").len(),
        2,
        "the server did create both"
    );
    assert_eq!(
        project.state()["resources"]["dashboard.sales-overview"]["status"],
        "uncertain"
    );

    // The plan shows the ambiguity; on a server that refuses the reads that would resolve it
    // (see `uncertain.rs` for the lookup), apply refuses to create blindly and names the way out.
    server.refuse(&"projects-read".parse().unwrap());
    grokform_snapshot!("plan", project.filters(), project.run(&["plan"]));
    grokform_snapshot!(
        "refused",
        project.filters(),
        project.run(&["apply", "--auto-approve", "--parallelism", "1"])
    );
    assert_eq!(
        project.held("dashboards").len(),
        2,
        "nothing was created blindly"
    );

    project
        .run(&[
            "apply",
            "--auto-approve",
            "--confirm-uncertain",
            "dashboard.sales-overview",
        ])
        .code(0);
    assert_eq!(
        project.held("dashboards").len(),
        3,
        "created again only when confirmed"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn ctrl_c_drains_in_flight_work_saves_and_a_rerun_finishes() {
    let project = TestContext::quickstart();
    let server = project.server();
    // Dashboard creates are slow, so the interrupt lands while one is in flight.
    server.add_fault("POST /public/v1/dashboards latency=1500".parse().unwrap());
    // Killed if an assertion fails before it is waited for.
    let child = project
        .grokform(&["apply", "--auto-approve", "--parallelism", "1"])
        .spawn();
    wait_until("the apply has sent its first dashboard create", || {
        project.held("tables").len() == 2
            && server
                .requests()
                .iter()
                .any(|r| r.path.starts_with("/public/v1/dashboards"))
    });
    child.signal("INT");
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(1);
    assert!(run.stderr.contains("Interrupted"), "{}", run.stderr);
    assert!(run.stderr.contains("Not started"), "{}", run.stderr);

    // The dashboard in flight finished and was recorded; nothing after it started.
    let state = project.state();
    let dashboards = project.held("dashboards");
    assert_eq!(dashboards.len(), 1, "{dashboards:?}");
    let recorded: Vec<&String> = state["resources"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("dashboard."))
        .collect();
    assert_eq!(recorded.len(), 1, "{state:#}");
    assert_eq!(
        state["resources"][recorded[0]]["remote_id"],
        dashboards[0]["id"]
    );
    assert!(project.held("shares").len() < 3);

    server.clear_faults();
    project.apply();
    assert_eq!(
        project.held("dashboards").len(),
        2,
        "no duplicate after the re-run"
    );
    assert_eq!(project.held("shares").len(), 3);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
