//! `plan --replace ADDRESS` / `apply --replace ADDRESS`: a forced replacement through the real
//! binary against the emulator, asserting on what the server was sent and holds.

use grokform::emulator::RequestRecord;
use serde_json::Value;

use crate::project::{Project, emulator, filters, held};

/// The writes (anything but GET) among `requests`, as `METHOD path`.
fn writes(requests: &[RequestRecord]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| !r.is_read())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// `text` with miette's line wrapping undone (words joined by single spaces, no `|` gutters).
fn unwrapped(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

fn remote_id(project: &Project, address: &str) -> String {
    project.state()["resources"][address]["remote_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{address} has a remote ID"))
        .to_string()
}

#[test]
fn a_replaced_dashboard_is_created_anew_through_a_saved_plan_and_reshared() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let old_id = remote_id(&project, "dashboard.sales-overview");
    let before = server.requests().len();

    let plan = project.run(&[
        "plan",
        "--replace",
        "dashboard.sales-overview",
        "--detailed-exitcode",
        "--out",
        "replace.plan",
    ]);
    plan.code(2);
    filters().bind(|| insta::assert_snapshot!("replace_dashboard_plan", plan.stdout));
    // the saved plan carries the forced replacement as an ordinary change
    let saved: Value = serde_json::from_str(&project.read("replace.plan")).unwrap();
    let change = saved["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "dashboard.sales-overview")
        .unwrap();
    assert_eq!(change["action"], "replace");
    assert_eq!(
        change["reasons"],
        serde_json::json!(["replacement requested with --replace"])
    );
    assert_eq!(
        writes(&server.requests()[before..]),
        Vec::<String>::new(),
        "planning sends nothing"
    );

    let apply = project.run(&["apply", "replace.plan"]);
    apply.code(0);
    let new_id = remote_id(&project, "dashboard.sales-overview");
    assert_ne!(new_id, old_id);
    let sent = writes(&server.requests()[before..]);
    assert_eq!(
        sent.iter()
            .filter(|w| w.starts_with("POST /public/v1/dashboards/"))
            .count(),
        1,
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|w| w.starts_with("POST /public/v1/tables/")),
        "its tables are not uploaded again: {sent:?}"
    );
    let shares = held(&server, "shares");
    for group in ["Analysts", "Managers"] {
        assert!(
            shares
                .iter()
                .any(|s| s["entity_id"] == new_id.as_str() && s["group"] == group),
            "{group} got the new dashboard: {shares:?}"
        );
    }
    assert_eq!(held(&server, "dashboards").len(), 3, "the old one stays");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn apply_replace_of_a_table_uploads_it_again_and_keeps_its_id_and_dashboards() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let table_id = remote_id(&project, "table.orders");
    let dashboards = held(&server, "dashboards");
    let before = server.requests().len();

    let apply = project.run(&["apply", "--auto-approve", "--replace", "table.orders"]);
    apply.code(0);
    assert!(
        apply.stdout.contains(
            "table.orders will be updated in place (replacement requested with --replace: its CSV is uploaded again under the same name, which keeps the table's ID)"
        ),
        "{}",
        apply.stdout
    );
    let sent = writes(&server.requests()[before..]);
    assert_eq!(
        sent.iter()
            .filter(|w| w.starts_with("POST /public/v1/tables/"))
            .count(),
        1,
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|w| w.starts_with("POST /public/v1/dashboards/")),
        "no dashboard is made again: {sent:?}"
    );
    assert!(
        sent.iter()
            .any(|w| w.starts_with("POST /public/v1/functions/")),
        "the call that reads the table runs again: {sent:?}"
    );
    assert_eq!(remote_id(&project, "table.orders"), table_id);
    assert_eq!(held(&server, "dashboards"), dashboards);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn an_address_not_in_the_manifest_is_an_error_and_nothing_is_sent() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let before = server.requests().len();

    let plan = project.run(&["plan", "--replace", "dashboard.sales-overveiw"]);
    plan.code(1);
    assert_eq!(plan.stdout, "", "no plan is printed");
    let stderr = unwrapped(&plan.stderr);
    assert!(
        stderr.contains(
            "`--replace dashboard.sales-overveiw`: no resource of the manifest or the state has this address"
        ) && stderr.contains("help: did you mean `dashboard.sales-overview`?"),
        "{}",
        plan.stderr
    );

    project.edit("grokform.yaml", |m| {
        m.replace(
            "  - dashboard: customers\n    groups: [Analysts]\n    access: Edit\n",
            "",
        )
    });
    let apply = project.run(&[
        "apply",
        "--auto-approve",
        "--replace",
        "share.customers.Analysts",
    ]);
    apply.code(1);
    assert!(
        unwrapped(&apply.stderr).contains(
            "`share.customers.Analysts` is no longer in the manifest, so there is nothing to replace it with"
        ),
        "{}",
        apply.stderr
    );
    assert_eq!(writes(&server.requests()[before..]), Vec::<String>::new());
    assert!(
        project.state()["resources"]["share.customers.Analysts"].is_object(),
        "the state is untouched"
    );
}

#[test]
fn replace_cannot_be_combined_with_a_saved_plan_and_is_documented() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "saved.plan"]).code(0);
    let run = project.run(&["apply", "saved.plan", "--replace", "table.orders"]);
    run.code(1);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    assert!(held(&server, "tables").is_empty());

    for command in ["plan", "apply"] {
        let help = project.run(&[command, "--help"]);
        help.code(0);
        assert!(
            help.stdout.contains("--replace <ADDRESS>"),
            "{command} --help: {}",
            help.stdout
        );
    }
}
