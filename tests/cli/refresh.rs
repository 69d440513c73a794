//! `grokform refresh` against the real emulator: each kind of drift made through the emulator's
//! UI routes (as a person in Datagrok's web UI would) is found and named; a fresh apply has
//! none; refused internal routes give one note, not a failure; the exit codes and the JSON
//! report's schema.

use grokform::emulator::{Emulator, RefusalRule};
use serde_json::{Value, json};

use crate::common::repo_root;
use crate::emulator_http::raw;
use crate::project::{Project, emulator};

/// The quickstart applied to a fresh emulator.
pub(crate) fn applied() -> (Emulator, Project) {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    (server, project)
}

/// The remote ID the state records for `address`.
pub(crate) fn id(project: &Project, address: &str) -> String {
    project.state()["resources"][address]["remote_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no remote_id for {address}"))
        .to_string()
}

/// Sends a UI control request, asserting the emulator accepted it.
#[track_caller]
pub(crate) fn ui(server: &Emulator, method: &str, path: &str, body: &str) -> Value {
    let answer = raw(server, method, &format!("/_emulator/ui/{path}"))
        .body(body.to_string())
        .send();
    assert!(
        (200..300).contains(&answer.status),
        "{method} {path}: {} {}",
        answer.status,
        answer.text()
    );
    if answer.body.is_empty() {
        Value::Null
    } else {
        answer.json()
    }
}

/// The served layout of a dashboard with one viewer's title changed.
pub(crate) fn edited_layout(server: &Emulator, dashboard: &str) -> String {
    let layouts = raw(
        server,
        "GET",
        &format!("/api/layouts?projectId={dashboard}"),
    )
    .send()
    .json();
    let mut layout = layouts[0].clone();
    let viewers = layout["viewStateMap"]["viewers"]
        .as_array_mut()
        .expect("the quickstart layout has viewers");
    viewers[0]["look"]["title"] = json!("Edited in the UI");
    layout.to_string()
}

fn refresh(project: &Project, extra: &[&str]) -> crate::common::Run {
    let mut args = vec!["refresh", "--detailed-exitcode"];
    args.extend_from_slice(extra);
    project.run(&args)
}

#[test]
fn a_fresh_apply_has_no_drift() {
    let (_server, project) = applied();
    let run = refresh(&project, &[]);
    run.code(0);
    assert!(
        run.stdout
            .contains("No drift. The server matches the state (8 checked)."),
        "{}",
        run.stdout
    );
    // the alias
    project.run(&["drift", "--detailed-exitcode"]).code(0);
}

#[test]
fn edits_in_the_ui_are_each_named() {
    let (server, project) = applied();
    let overview = id(&project, "dashboard.sales-overview");
    let customers = id(&project, "dashboard.customers");
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
        &format!("dashboards/{customers}/rename"),
        r#"{"name":"Customers (old)"}"#,
    );
    // the last row deleted in the UI
    let data = project.read("data/orders.csv");
    let mut rows: Vec<&str> = data.lines().collect();
    rows.truncate(rows.len() - 1);
    ui(
        &server,
        "POST",
        &format!("tables/{orders}/data"),
        &(rows.join("\n") + "\n"),
    );
    ui(
        &server,
        "POST",
        "files/System.AppData/Sales/docs/regions.md",
        "# edited\n",
    );
    ui(
        &server,
        "DELETE",
        &format!("shares/{overview}?group=Managers"),
        "",
    );
    ui(
        &server,
        "POST",
        &format!("shares/{customers}?group=Developers&access=Edit"),
        "",
    );

    let run = refresh(&project, &[]);
    run.code(2);
    let out = &run.stdout;
    for expected in [
        "dashboard.sales-overview",
        "~ layout edited: changed at `/viewStateMap/viewers/0/look/title`",
        "dashboard.customers",
        "~ dashboard renamed: named `Customers (old)` on the server",
        "+ grant added: `Developers` has Edit access",
        "table.orders",
        "~ data changed: 119 rows on the server, 120 applied",
        "file.regions-readme",
        "~ file changed: other content on the server (9 bytes",
        "share.sales-overview.Managers",
        "- grant removed: `Managers` has no View grant on the server",
        "Drift: 6 changes outside grokform, 0 ignored, 0 unverified, 3 of 8 in sync.",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    // the same as JSON, against the committed schema
    let json_run = refresh(&project, &["--format", "json"]);
    json_run.code(2);
    let report: Value = serde_json::from_str(&json_run.stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema/refresh.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["summary"]["drift"], 6);
    assert_eq!(
        report["observed"]["resources"]["table.orders"]["drift"][0]["kind"],
        "data-changed"
    );
    assert_eq!(
        report["observed"]["unmanaged_grants"][0]["group"],
        "Developers"
    );

    // and as a comment
    let md = refresh(&project, &["--format", "markdown"]);
    md.code(2);
    assert!(
        md.stdout.contains("| `~` | `dashboard.customers` | dashboard renamed | named `Customers (old)` on the server |"),
        "{}",
        md.stdout
    );

    // a refresh writes nothing: the server still holds the edits, the state is unchanged
    let state = project.read(".grokform/state.json");
    refresh(&project, &[]).code(2);
    assert_eq!(project.read(".grokform/state.json"), state);
}

#[test]
fn deletions_and_new_columns_are_named() {
    let (server, project) = applied();
    let orders = id(&project, "table.orders");
    let customers_table = id(&project, "table.customers");
    let customers = id(&project, "dashboard.customers");

    ui(
        &server,
        "POST",
        &format!("tables/{orders}/data"),
        "id,total\n1,2\n",
    );
    ui(&server, "DELETE", &format!("dashboards/{customers}"), "");
    ui(
        &server,
        "DELETE",
        "files/System.AppData/Sales/docs/regions.md",
        "",
    );
    let before_table_delete = refresh(&project, &[]);
    before_table_delete.code(2);
    ui(&server, "DELETE", &format!("tables/{customers_table}"), "");

    let run = refresh(&project, &[]);
    run.code(2);
    let out = &run.stdout;
    for expected in [
        "~ columns changed: columns on the server: `id`, `total`",
        "- dashboard deleted: no dashboard at `/p/",
        "- file deleted: no file at its path on the server",
        "- table deleted: no table with its ID on the server",
        "~ tables changed: holds `",
        "- grant removed: `Analysts` has no Edit grant on the server",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn refused_internal_routes_give_one_note_and_what_can_be_read_is_still_read() {
    let (server, project) = applied();
    let rule: RefusalRule = "internal".parse().unwrap();
    server.refuse(&rule);
    let run = refresh(&project, &[]);
    run.code(0);
    let out = &run.stdout;
    assert!(
        out.contains("Note: dashboards on this server cannot be verified (internal route refused:"),
        "{out}"
    );
    assert!(out.contains("Unverified (5):"), "{out}");
    assert!(
        out.contains("5 unverified, 3 of 8 in sync."),
        "tables and files are read through the public routes: {out}"
    );
    assert_eq!(
        out.matches("Note:").count(),
        3,
        "one note per refused read: {out}"
    );
    assert!(
        out.contains("Note: table columns on this server cannot be verified; table data is compared through the public download"),
        "{out}"
    );
    // the public routes still tell a table's data changed
    let orders = id(&project, "table.orders");
    ui(
        &server,
        "POST",
        &format!("tables/{orders}/data"),
        "id,total\n1,2\n",
    );
    let run = refresh(&project, &[]);
    run.code(2);
    assert!(
        run.stdout
            .contains("~ data changed: other data on the server"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_error_exits_1_not_2() {
    let (_server, project) = applied();
    let run = project
        .grokform(&["refresh", "--detailed-exitcode"])
        .env("DATAGROK_API_KEY", "wrong-key")
        .run();
    run.code(1);
    assert!(!run.stdout.contains("Drift"), "{}", run.stdout);
}

#[test]
fn ignored_drift_is_reported_as_ignored_and_does_not_count() {
    let (server, project) = applied();
    project.edit("grokform.yaml", |m| {
        m.replace(
            "    layout: sales-overview\n",
            "    layout: sales-overview\n    ignore_changes: [shares, /viewStateMap/viewers/0/look]\n",
        )
    });
    let overview = id(&project, "dashboard.sales-overview");
    ui(
        &server,
        "POST",
        &format!("dashboards/{overview}/layout"),
        &edited_layout(&server, &overview),
    );
    ui(
        &server,
        "DELETE",
        &format!("shares/{overview}?group=Managers"),
        "",
    );
    ui(
        &server,
        "POST",
        &format!("shares/{overview}?group=Developers&access=View"),
        "",
    );

    let run = refresh(&project, &[]);
    run.code(0);
    let out = &run.stdout;
    for expected in [
        "No drift. The server matches the state (8 checked).",
        "Ignored drift (3):",
        "  dashboard.sales-overview: grant added: `Developers` has View access",
        "  dashboard.sales-overview: layout edited: changed at `/viewStateMap/viewers/0/look/title`",
        "  share.sales-overview.Managers: grant removed: `Managers` has no View grant on the server",
        "Drift: 0 changes outside grokform, 3 ignored, 0 unverified, 6 of 8 in sync.",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    // a pointer elsewhere does not cover the edit
    project.edit("grokform.yaml", |m| {
        m.replace("/viewStateMap/viewers/0/look]", "/columns]")
    });
    let run = refresh(&project, &[]);
    run.code(2);
    assert!(
        run.stdout.contains("    ~ layout edited: changed at"),
        "{}",
        run.stdout
    );

    project.edit("grokform.yaml", |m| {
        m.replace("[shares, /columns]", "[colour]")
    });
    let run = project.run(&["validate"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("unknown `ignore_changes` entry `colour`"),
        "{}",
        run.stderr
    );
}
