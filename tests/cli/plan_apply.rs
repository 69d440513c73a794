//! `plan` and `apply` end to end: the real binary against the real emulator, asserting on what
//! the server holds and in which order it was asked, not only on what grokform prints.

use serde_json::Value;

use crate::project::{Project, emulator, emulator_with_key, filters, held};

fn ids(values: &[Value], key: &str) -> Vec<String> {
    values
        .iter()
        .map(|v| v[key].as_str().unwrap_or_default().to_string())
        .collect()
}

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
fn retryable_faults_are_retried_and_apply_succeeds() {
    let server = emulator();
    let project = Project::quickstart(&server);
    server.add_fault("POST /public/v1/tables status=503 count=2".parse().unwrap());
    server.add_fault(
        "POST /public/v1/entities status=429 count=1 retry-after=1"
            .parse()
            .unwrap(),
    );
    project.apply();
    assert_eq!(held(&server, "tables").len(), 2);
    assert_eq!(held(&server, "shares").len(), 3);
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1);
}

#[test]
fn a_failure_halfway_keeps_what_was_done_and_a_rerun_finishes_without_duplicates() {
    let server = emulator();
    let project = Project::quickstart(&server);
    // Shares keep failing: tables and dashboards are made, then apply stops.
    server.add_fault("POST /public/v1/entities status=500".parse().unwrap());
    server.add_fault("GET /public/v1/dashboards status=500".parse().unwrap());
    let failed = project.run(&["apply", "--auto-approve"]);
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
    assert_eq!(held(&server, "dashboards").len(), 2);

    server.clear_faults();
    let plan = project.run(&["plan"]);
    assert!(
        !plan.stdout.contains("dashboard."),
        "dashboards are done: {}",
        plan.stdout
    );
    project.apply();
    assert_eq!(
        held(&server, "dashboards").len(),
        2,
        "no duplicate dashboard"
    );
    assert_eq!(held(&server, "shares").len(), 3);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn commit_then_fail_on_a_dashboard_create_is_shown_not_duplicated() {
    let server = emulator();
    let project = Project::quickstart(&server);
    server.add_fault(
        "POST /public/v1/dashboards/Sales%20customers commit-then-fail count=1"
            .parse()
            .unwrap(),
    );
    // Slow, so the other dashboard starts before this failure stops new work (fast journal
    // saves no longer hold it back).
    server.add_fault(
        "POST /public/v1/dashboards/Sales%20customers latency=1500 count=1"
            .parse()
            .unwrap(),
    );
    project.run(&["apply", "--auto-approve"]).code(1);
    assert_eq!(
        held(&server, "dashboards").len(),
        2,
        "the server did create both"
    );
    assert_eq!(
        project.state()["resources"]["dashboard.customers"]["status"],
        "uncertain"
    );

    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("dashboard.customers"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("may already"),
        "the plan shows the ambiguity: {}",
        plan.stdout
    );
    let refused = project.run(&["apply", "--auto-approve"]);
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("--confirm-uncertain dashboard.customers"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        held(&server, "dashboards").len(),
        2,
        "nothing was created blindly"
    );

    project
        .run(&[
            "apply",
            "--auto-approve",
            "--confirm-uncertain",
            "dashboard.customers",
        ])
        .code(0);
    assert_eq!(
        held(&server, "dashboards").len(),
        3,
        "created again only when confirmed"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_held_lock_is_a_clear_error_naming_its_holder() {
    let server = emulator();
    let project = Project::quickstart(&server);
    // The first apply is slowed down on the server, so the second finds the lock held.
    server.add_fault("POST /public/v1/tables latency=3000".parse().unwrap());
    let first = {
        let command = project.grokform(&["apply", "--auto-approve"]);
        std::thread::spawn(move || command.run())
    };
    let lock = project.path(".grokform/state.lock");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains("apply")) {
        assert!(
            started.elapsed().as_secs() < 20,
            "the first apply never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = project.run(&["apply", "--auto-approve"]);
    second.code(1);
    assert!(second.stderr.contains("lock"), "{}", second.stderr);
    assert!(
        second.stderr.contains("pid"),
        "the holder is named: {}",
        second.stderr
    );
    assert!(
        second.stderr.contains("apply"),
        "the holder's operation is named: {}",
        second.stderr
    );
    first.join().unwrap().code(0);
}

#[test]
fn a_state_of_another_server_is_an_error() {
    let first = emulator();
    let second = emulator();
    let project = Project::quickstart(&first);
    project.apply();
    let run = project
        .grokform(&["plan"])
        .env("DATAGROK_URL", second.url())
        .run();
    run.code(1);
    assert!(
        run.stderr.contains(&first.url()) && run.stderr.contains(&second.url()),
        "{}",
        run.stderr
    );
    assert!(held(&second, "tables").is_empty());
}

#[test]
fn a_corrupt_state_is_an_error_and_stays_untouched() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let garbage = "{\"format_version\": 1, \"lineage\": oops";
    project.write(".grokform/state.json", garbage);
    for args in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let run = project.run(args);
        run.code(1);
        assert!(
            run.stderr.contains("state.json"),
            "the error names the file: {}",
            run.stderr
        );
        assert_eq!(project.read(".grokform/state.json"), garbage);
    }
    assert!(held(&server, "tables").is_empty(), "nothing was applied");
}

#[test]
fn the_api_key_never_appears_anywhere() {
    let key = "gf-secret-9c2e41d7a0b34f5e";
    let server = emulator_with_key(key);
    let mut project = Project::quickstart(&server);
    project.key = key.to_string();
    let mut outputs = vec![
        project.run(&["plan", "--out", "saved.plan"]),
        project.run(&["apply", "--auto-approve", "--format", "json"]),
        project.run(&["plan", "--format", "json"]),
        project.run(&["plan", "--format", "markdown"]),
    ];
    server.add_fault("POST /public/v1/functions status=500".parse().unwrap());
    outputs.push(
        project
            .grokform(&["apply", "--auto-approve"])
            .env("DATAGROK_API_KEY", "wrong-key-x")
            .run(),
    );
    outputs.push(
        project
            .grokform(&["plan"])
            .env("DATAGROK_URL", "http://127.0.0.1:9/api")
            .run(),
    );
    for run in &outputs {
        assert!(
            !run.stdout.contains(key) && !run.stderr.contains(key),
            "{run:?}"
        );
    }
    for (path, bytes) in project.all_files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(key),
            "the key leaked into {}",
            path.display()
        );
    }
}

#[test]
fn a_wrong_key_and_a_wrong_url_are_told_apart() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let wrong_key = project
        .grokform(&["plan"])
        .env("DATAGROK_API_KEY", "nope")
        .run();
    wrong_key.code(1);
    assert!(
        wrong_key.stderr.to_lowercase().contains("key"),
        "{}",
        wrong_key.stderr
    );
    let no_api = server.url().trim_end_matches("/api").to_string();
    let wrong_url = project
        .grokform(&["plan"])
        .env("DATAGROK_URL", &no_api)
        .run();
    wrong_url.code(1);
    assert!(wrong_url.stderr.contains("/api"), "{}", wrong_url.stderr);
    let missing_key = crate::common::grokform(["plan"])
        .current_dir(project.root())
        .env("DATAGROK_URL", server.url())
        .run();
    missing_key.code(1);
    assert!(
        missing_key.stderr.contains("DATAGROK_API_KEY"),
        "{}",
        missing_key.stderr
    );
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

#[test]
fn ctrl_c_drains_in_flight_work_saves_and_a_rerun_finishes() {
    let server = emulator();
    let project = Project::quickstart(&server);
    // Dashboard creates are slow, so the interrupt lands while one is in flight.
    server.add_fault("POST /public/v1/dashboards latency=1500".parse().unwrap());
    let child = project
        .grokform(&["apply", "--auto-approve", "--parallelism", "1"])
        .spawn();
    let started = std::time::Instant::now();
    while held(&server, "tables").len() < 2
        || server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/public/v1/dashboards"))
    {
        assert!(
            started.elapsed().as_secs() < 20,
            "apply never reached the dashboards"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Interrupted"), "{stderr}");
    assert!(stderr.contains("Not started"), "{stderr}");

    // The dashboard in flight finished and was recorded; nothing after it started.
    let state = project.state();
    let dashboards = held(&server, "dashboards");
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
    assert!(held(&server, "shares").len() < 3);

    server.clear_faults();
    project.apply();
    assert_eq!(
        held(&server, "dashboards").len(),
        2,
        "no duplicate after the re-run"
    );
    assert_eq!(held(&server, "shares").len(), 3);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
