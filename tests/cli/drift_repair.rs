//! Drift repaired by `plan` and `apply` against the real emulator: edits made through the
//! emulator's UI routes (as a person in Datagrok's web UI would) show up in the plan under
//! "Changed outside grokform", one apply puts everything back, and the next refresh and plan
//! find nothing. `--refresh=false` reads nothing, a saved plan is applied as reviewed, and a
//! server refusing the internal routes still plans, with a note.

use grokform::emulator::{Emulator, RefusalRule};
use serde_json::Value;

use crate::project::Project;
use crate::refresh::{applied, edited_layout, id, ui};
use crate::support::writes_since;

/// The rows of the quickstart's orders without the last one, as if deleted in the UI.
fn orders_without_last_row(project: &Project) -> String {
    let data = project.read("data/orders.csv");
    let mut rows: Vec<&str> = data.lines().collect();
    rows.truncate(rows.len() - 1);
    rows.join("\n") + "\n"
}

#[track_caller]
fn assert_contains(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in\n{text}");
    }
}

/// `METHOD path` of every request the emulator got since the `from`-th, but the health check
/// every command makes before it starts (it reads nothing managed).
fn requests_since(server: &Emulator, from: usize) -> Vec<String> {
    server.requests()[from..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|r| r != "GET /public/v1/healthcheck")
        .collect()
}

/// The plan's section "Changed outside grokform" (up to the next blank line).
fn drift_section(stdout: &str) -> &str {
    let start = stdout
        .find("Changed outside grokform:")
        .unwrap_or_else(|| panic!("no drift section in\n{stdout}"));
    let rest = &stdout[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn edits_in_the_ui_are_repaired_by_one_apply() {
    let (server, project) = applied();
    let overview = id(&project, "dashboard.sales-overview");
    let orders = id(&project, "table.orders");
    ui(
        &server,
        "POST",
        &format!("dashboards/{overview}/layout"),
        &edited_layout(&server, &overview),
    );
    ui(
        &server,
        "POST",
        &format!("tables/{orders}/data"),
        &orders_without_last_row(&project),
    );
    ui(
        &server,
        "DELETE",
        &format!("shares/{overview}?group=Managers"),
        "",
    );

    let refresh = project.run(&["refresh", "--detailed-exitcode"]);
    refresh.code(2);
    assert_contains(
        &refresh.stdout,
        &[
            "~ layout edited: changed at `/viewStateMap/viewers/0/look/title`",
            "~ data changed: 119 rows on the server, 120 applied",
            "- grant removed: `Managers` has no View grant on the server",
        ],
    );

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    let section = drift_section(&plan.stdout);
    assert_contains(
        section,
        &[
            "  table.orders will be updated in place\n    ~ data changed: 119 rows on the server, 120 applied",
            "  dashboard.sales-overview will be updated in place\n    ~ layout edited: changed at `/viewStateMap/viewers/0/look/title`",
            "  share.sales-overview.Managers will be updated in place\n    - grant removed: `Managers` has no View grant on the server",
        ],
    );
    assert_contains(
        &plan.stderr,
        &[
            "Refreshing: reading 8 managed objects back from the server",
            "Refreshed: 3 changes outside grokform, 0 ignored, 0 unverified.",
        ],
    );
    assert_contains(
        &plan.stdout,
        &[
            "# table.orders will be updated in place (changed outside grokform (data changed): its CSV is uploaded again under the same name, which keeps the table's ID)",
        ],
    );

    let apply = project.run(&["apply", "--auto-approve"]);
    apply.code(0);
    assert_contains(&apply.stdout, &["Changed outside grokform:"]);
    assert_eq!(
        id(&project, "table.orders"),
        orders,
        "the re-upload keeps the table's ID"
    );
    // the layout is saved in place: same ID, same URL
    assert_eq!(id(&project, "dashboard.sales-overview"), overview);

    project.run(&["refresh", "--detailed-exitcode"]).code(0);
    let again = project.run(&["plan", "--detailed-exitcode"]);
    again.code(0);
    assert_contains(
        &again.stdout,
        &["No changes. The server matches the manifest."],
    );
}

#[test]
fn deletions_are_repaired_by_the_next_apply() {
    let (server, project) = applied();
    let customers = id(&project, "dashboard.customers");
    ui(&server, "DELETE", &format!("dashboards/{customers}"), "");
    ui(
        &server,
        "DELETE",
        "files/System.AppData/Sales/docs/regions.md",
        "",
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_contains(
        drift_section(&plan.stdout),
        &[
            "  file.regions-readme will be updated in place\n    - file deleted: no file at its path on the server",
            "  dashboard.customers will be created\n    - dashboard deleted: no dashboard at `/p/",
        ],
    );
    assert_contains(
        &plan.stdout,
        &[
            "+ share.customers.Analysts",
            "Plan: 2 to create, 1 to update,",
        ],
    );
    project.apply();
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // a table deleted comes back under a new ID, and the dashboards showing it follow
    let customers_table = id(&project, "table.customers");
    ui(&server, "DELETE", &format!("tables/{customers_table}"), "");
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_contains(
        &plan.stdout,
        &[
            "  table.customers will be created\n    - table deleted: no table with its ID on the server",
            "-/+ dashboard.customers",
            "-/+ dashboard.sales-overview",
        ],
    );
    project.apply();
    assert_ne!(id(&project, "table.customers"), customers_table);
    project.run(&["refresh", "--detailed-exitcode"]).code(0);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn renames_and_changed_files_are_repaired_by_the_next_apply() {
    let (server, project) = applied();
    let customers = id(&project, "dashboard.customers");
    ui(
        &server,
        "POST",
        &format!("dashboards/{customers}/rename"),
        r#"{"name":"Customers (old)"}"#,
    );
    ui(
        &server,
        "POST",
        "files/System.AppData/Sales/docs/regions.md",
        "# edited\n",
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_contains(
        drift_section(&plan.stdout),
        &[
            "  dashboard.customers must be replaced\n    ~ dashboard renamed: named `Customers (old)` on the server",
            "  file.regions-readme will be updated in place\n    ~ file changed: other content on the server",
        ],
    );
    project.apply();
    project.run(&["refresh", "--detailed-exitcode"]).code(0);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn ignored_drift_is_shown_and_not_repaired() {
    let server = crate::project::emulator();
    let project = Project::quickstart(&server);
    project.edit("grokform.yaml", |m| {
        m.replace(
            "    layout: sales-overview\n",
            "    layout: sales-overview\n    ignore_changes: [/viewStateMap/viewers/0/look]\n",
        )
    });
    project.apply();
    let overview = id(&project, "dashboard.sales-overview");
    ui(
        &server,
        "POST",
        &format!("dashboards/{overview}/layout"),
        &edited_layout(&server, &overview),
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert_contains(
        &plan.stdout,
        &[
            "Ignored drift (1), not repaired:\n  dashboard.sales-overview: layout edited: changed at `/viewStateMap/viewers/0/look/title`",
            "No changes. The server matches the manifest.",
        ],
    );
    assert!(
        !plan.stdout.contains("Changed outside grokform:"),
        "{}",
        plan.stdout
    );
    let from = server.requests().len();
    project.apply();
    let writes = writes_since(&server, from);
    assert!(
        writes.is_empty(),
        "an ignored edit is never repaired: {writes:?}"
    );
    assert_eq!(id(&project, "dashboard.sales-overview"), overview);
}

#[test]
fn without_refresh_nothing_is_read_and_the_plan_is_as_before() {
    let (server, project) = applied();
    let orders = id(&project, "table.orders");
    ui(
        &server,
        "POST",
        &format!("tables/{orders}/data"),
        &orders_without_last_row(&project),
    );
    let from = server.requests().len();
    for flag in [&["--refresh=false"][..], &["--refresh", "false"][..]] {
        let mut args = vec!["plan", "--detailed-exitcode"];
        args.extend_from_slice(flag);
        let plan = project.run(&args);
        plan.code(0);
        assert_contains(
            &plan.stdout,
            &[
                "No changes. The manifest matches the state; the server was not read (--refresh=false).",
            ],
        );
        assert!(!plan.stderr.contains("Refreshing"), "{}", plan.stderr);
    }
    let json = project.run(&["plan", "--refresh=false", "--format", "json"]);
    json.code(0);
    let plan: Value = serde_json::from_str(&json.stdout).unwrap();
    for key in ["notes", "refresh"] {
        assert!(plan.get(key).is_none(), "{key} in {plan}");
    }
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("drift").is_none()),
        "{plan}"
    );
    assert_eq!(
        requests_since(&server, from),
        Vec::<String>::new(),
        "--refresh=false reads nothing from the server"
    );
    // and apply without refresh leaves the edit alone
    let apply = project.run(&["apply", "--auto-approve", "--refresh=false"]);
    apply.code(0);
    assert_eq!(requests_since(&server, from), Vec::<String>::new());
    project.run(&["refresh", "--detailed-exitcode"]).code(2);
}

#[test]
fn a_saved_plan_carries_its_drift_and_is_applied_without_reading_again() {
    let (server, project) = applied();
    let overview = id(&project, "dashboard.sales-overview");
    ui(
        &server,
        "DELETE",
        &format!("shares/{overview}?group=Analysts"),
        "",
    );
    project.run(&["plan", "--out", "drift.plan.json"]).code(0);
    let saved: Value = serde_json::from_str(&project.read("drift.plan.json")).unwrap();
    let share = saved["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "share.sales-overview.Analysts")
        .unwrap();
    assert_eq!(share["action"], "update");
    assert_eq!(share["drift"][0]["kind"], "grant-removed");
    assert_eq!(saved["refresh"], serde_json::json!({}));

    // a saved plan is never refreshed, so asking for it is a usage error
    let refused = project.run(&["apply", "drift.plan.json", "--refresh=true"]);
    refused.code(1);
    assert!(
        refused.stderr.contains("cannot be used with"),
        "{}",
        refused.stderr
    );

    let from = server.requests().len();
    let apply = project.run(&["apply", "drift.plan.json"]);
    apply.code(0);
    assert_contains(&apply.stdout, &["Changed outside grokform:"]);
    let reads: Vec<String> = requests_since(&server, from)
        .into_iter()
        .filter(|r| r.starts_with("GET "))
        .collect();
    assert!(
        reads.is_empty(),
        "a saved plan is applied as reviewed: {reads:?}"
    );
    project.run(&["refresh", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_server_refusing_the_internal_routes_still_plans_with_a_note() {
    let (server, project) = applied();
    let rule: RefusalRule = "internal".parse().unwrap();
    server.refuse(&rule);
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert_contains(
        &plan.stdout,
        &[
            "Note: dashboards on this server cannot be verified (internal route refused:",
            "No changes to what the server let grokform verify; dashboards and shares could not be verified (see the notes).",
        ],
    );
    assert!(
        !plan.stdout.contains("The server matches the manifest"),
        "{}",
        plan.stdout
    );
    // what the public routes can read is still repaired
    let orders = id(&project, "table.orders");
    ui(
        &server,
        "POST",
        &format!("tables/{orders}/data"),
        "id,total\n1,2\n",
    );
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_contains(
        drift_section(&plan.stdout),
        &["  table.orders will be updated in place\n    ~ data changed: other data on the server"],
    );
}

#[test]
fn a_removed_file_already_deleted_in_the_ui_is_only_forgotten() {
    let (server, project) = applied();
    ui(
        &server,
        "DELETE",
        "files/System.AppData/Sales/docs/regions.md",
        "",
    );
    project.edit("grokform.yaml", |m| {
        m.replace(
            "files:\n  regions-readme:\n    connector: System:AppData\n    path: ${var.project}/docs/regions.md\n    source: data/regions.md\n",
            "",
        )
    });
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert_contains(
        &plan.stdout,
        &[
            "# file.regions-readme will be forgotten (removed from the manifest; already deleted outside grokform: only forgotten)\n",
            "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to forget, 0 to run.",
        ],
    );
    let from = server.requests().len();
    project.apply();
    assert_eq!(writes_since(&server, from), Vec::<String>::new());
    assert!(
        project.state()["resources"]
            .get("file.regions-readme")
            .is_none()
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
