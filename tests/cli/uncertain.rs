//! Requests an earlier apply left uncertain, resolved by the next apply: a dashboard create is
//! looked up on the server (one match adopted, none created, several refused with their IDs);
//! a call is run again only when declared `idempotent: true` or confirmed. (On a server that
//! refuses the lookup, the refusal is `recovery::commit_then_fail_on_a_dashboard_create_…`.)

use serde_json::Value;

use crate::support::http::api;
use crate::support::{Run, TestContext, ids, wait_until};

const SALES: &str = "dashboard.sales-overview";
const CALL: &str = "call.refresh-caches";

/// The quickstart, applied one action at a time with the create of `Sales overview`
/// committed on the server and answered 500: the state holds it uncertain.
fn interrupted_create() -> TestContext {
    let project = TestContext::quickstart();
    project.server().add_fault(
        "POST /public/v1/dashboards/Sales%20overview commit-then-fail count=1"
            .parse()
            .unwrap(),
    );
    project
        .run(&["apply", "--auto-approve", "--parallelism", "1"])
        .code(1);
    let entry = &project.state()["resources"][SALES];
    assert_eq!(entry["status"], "uncertain", "{entry:#}");
    assert_eq!(
        entry["attributes"]["request_outcome"], "answered 500 Internal Server Error",
        "the state records what the create got: {entry:#}"
    );
    assert_eq!(
        project.held("dashboards").len(),
        2,
        "the server did create both"
    );
    project
}

/// The dashboards the emulator holds called `name`, by ID.
fn named(project: &TestContext, name: &str) -> Vec<String> {
    let held: Vec<Value> = project
        .held("dashboards")
        .into_iter()
        .filter(|d| d["name"] == name)
        .collect();
    ids(&held, "id")
}

/// `text` with every run of whitespace one space: miette wraps help text at any width.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn apply(project: &TestContext, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--auto-approve", "--parallelism", "1"];
    args.extend_from_slice(extra);
    project.run(&args)
}

#[test]
fn an_uncertain_dashboard_found_on_the_server_is_adopted_not_duplicated() {
    let project = interrupted_create();
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("dashboard.sales-overview will be looked up on the server first"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("it answered 500 Internal Server Error")
    );

    let run = apply(&project, &[]);
    run.code(0);
    let made = named(&project, "Sales overview");
    assert_eq!(made.len(), 1, "no duplicate: {made:?}");
    let adopted = format!("adopted `/p/{}` created by an interrupted apply", made[0]);
    assert!(run.stderr.contains(&adopted), "{}", run.stderr);
    let entry = &project.state()["resources"][SALES];
    assert_eq!(entry["remote_id"], made[0].as_str());
    assert!(entry.get("status").is_none(), "applied: {entry:#}");
    assert_eq!(project.held("shares").len(), 3, "shared on the adopted one");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn the_json_report_notes_the_adoption() {
    let project = interrupted_create();
    let run = apply(&project, &["--format", "json"]);
    run.code(0);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let done = report["succeeded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == SALES)
        .cloned()
        .unwrap();
    let id = done["remote_id"].as_str().unwrap();
    assert_eq!(
        done["note"],
        format!("adopted `/p/{id}` created by an interrupted apply").as_str()
    );
}

#[test]
fn two_same_named_candidates_are_refused_and_listed() {
    let project = interrupted_create();
    // Someone else made a second dashboard of that name with the same tables.
    let state = project.state();
    let tables = [
        state["resources"]["table.orders"]["remote_id"]
            .as_str()
            .unwrap(),
        state["resources"]["table.customers"]["remote_id"]
            .as_str()
            .unwrap(),
    ]
    .join(",");
    api(
        project.server(),
        "POST",
        &format!("/public/v1/dashboards/Sales%20overview/{tables}"),
    )
    .send()
    .ok();
    let candidates = named(&project, "Sales overview");
    assert_eq!(candidates.len(), 2);

    let run = apply(&project, &[]);
    run.code(1);
    for id in &candidates {
        assert!(
            run.stderr.contains(&format!("`/p/{id}`")),
            "lists {id}: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("2 dashboards named `Sales overview`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("answered 500 Internal Server Error"));
    assert_eq!(
        named(&project, "Sales overview"),
        candidates,
        "nothing made"
    );
    assert_eq!(project.state()["resources"][SALES]["status"], "uncertain");
}

#[test]
fn a_same_named_dashboard_without_its_tables_is_not_adopted() {
    let project = TestContext::quickstart();
    let server = project.server();
    // The create's connection drops (ambiguous, but nothing was stored); a dashboard of the
    // same name showing other tables appears meanwhile.
    server.add_fault(
        "POST /public/v1/dashboards/Sales%20overview drop count=1"
            .parse()
            .unwrap(),
    );
    apply(&project, &[]).code(1);
    assert_eq!(project.state()["resources"][SALES]["status"], "uncertain");
    assert!(
        named(&project, "Sales overview").is_empty(),
        "the drop stored nothing"
    );
    let customers = project.state()["resources"]["table.customers"]["remote_id"]
        .as_str()
        .unwrap()
        .to_owned();
    api(
        server,
        "POST",
        &format!("/public/v1/dashboards/Sales%20overview/{customers}"),
    )
    .send()
    .ok();
    let other = named(&project, "Sales overview");

    apply(&project, &[]).code(0);
    let made = named(&project, "Sales overview");
    assert_eq!(made.len(), 2, "created anew: {made:?}");
    let recorded = project.state()["resources"][SALES]["remote_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!other.contains(&recorded), "not the other one");
    assert!(made.contains(&recorded));
}

#[test]
fn a_kill_during_a_create_ends_in_one_dashboard_after_the_rerun() {
    let project = TestContext::quickstart();
    let server = project.server();
    // Dashboard creates are slow, so the kill lands while one is out.
    server.add_fault("POST /public/v1/dashboards latency=1500".parse().unwrap());
    let child = project
        .grokform(&["apply", "--auto-approve", "--parallelism", "1"])
        .spawn();
    wait_until("a dashboard create is recorded uncertain", || {
        std::fs::read_to_string(project.path(".grokform/state.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .is_some_and(|s| s["resources"][SALES]["status"] == "uncertain")
            || std::fs::read_to_string(project.path(".grokform/state.journal"))
                .is_ok_and(|j| j.contains("uncertain"))
    });
    child.signal("KILL");
    child.wait().unwrap();
    server.clear_faults();

    apply(&project, &[]).code(0);
    for name in ["Sales overview", "Sales customers"] {
        assert_eq!(named(&project, name).len(), 1, "one `{name}`");
    }
    let state = project.state();
    let recorded = state["resources"][SALES]["remote_id"].as_str().unwrap();
    assert_eq!(named(&project, "Sales overview"), [recorded]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn an_uncertain_call_runs_again_only_when_idempotent() {
    let project = TestContext::quickstart();
    let server = project.server();
    server.add_fault(
        "POST /public/v1/functions commit-then-fail count=1"
            .parse()
            .unwrap(),
    );
    apply(&project, &[]).code(1);
    assert_eq!(project.held("calls").len(), 1, "it ran");
    let entry = &project.state()["resources"][CALL];
    assert_eq!(entry["status"], "uncertain", "{entry:#}");

    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("? call.refresh-caches"),
        "{}",
        plan.stdout
    );
    let refused = apply(&project, &[]);
    refused.code(1);
    assert!(
        refused.stderr.contains(
            "an earlier apply sent this call of `Demo:RefreshCaches` and it answered 500 Internal Server Error"
        ),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("idempotent: true"));
    assert_eq!(project.held("calls").len(), 1, "not run again");

    project.edit("grokform.yaml", |m| {
        m.replace(
            "    run: on-change",
            "    run: on-change\n    idempotent: true",
        )
    });
    project.run(&["validate"]).code(0);
    apply(&project, &[]).code(0);
    assert_eq!(project.held("calls").len(), 2, "run again, as declared");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn an_uncertain_call_runs_again_when_confirmed() {
    let project = TestContext::quickstart();
    let server = project.server();
    server.add_fault("POST /public/v1/functions drop count=1".parse().unwrap());
    apply(&project, &[]).code(1);
    assert!(project.held("calls").is_empty(), "the drop ran nothing");
    assert_eq!(project.state()["resources"][CALL]["status"], "uncertain");
    apply(&project, &["--confirm-uncertain", CALL]).code(0);
    assert_eq!(project.held("calls").len(), 1);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_call_refused_outright_is_not_uncertain() {
    let project = TestContext::quickstart();
    let server = project.server();
    server.add_fault(
        "POST /public/v1/functions status=400 count=1"
            .parse()
            .unwrap(),
    );
    apply(&project, &[]).code(1);
    assert!(
        project.state()["resources"].get(CALL).is_none(),
        "a definite failure leaves no uncertain record: {:#}",
        project.state()
    );
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("> call.refresh-caches"),
        "{}",
        plan.stdout
    );
    apply(&project, &[]).code(0);
    assert_eq!(project.held("calls").len(), 1);
}

#[test]
fn an_uncertain_call_checked_to_have_run_is_accepted_without_running() {
    let project = TestContext::quickstart();
    let server = project.server();
    server.add_fault(
        "POST /public/v1/functions commit-then-fail count=1"
            .parse()
            .unwrap(),
    );
    apply(&project, &[]).code(1);
    assert_eq!(project.held("calls").len(), 1, "it ran");
    let refused = apply(&project, &[]);
    refused.code(1);
    assert!(
        one_line(&refused.stderr).contains(
            "if it did, `grokform apply --accept-uncertain call.refresh-caches` records it as run"
        ),
        "the refusal names both ways out: {}",
        refused.stderr
    );

    let run = apply(&project, &["--accept-uncertain", CALL]);
    run.code(0);
    assert!(
        run.stderr
            .contains("recorded as run without running it again"),
        "{}",
        run.stderr
    );
    assert_eq!(project.held("calls").len(), 1, "not run again");
    assert!(project.state()["resources"][CALL].get("status").is_none());
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    let dashboard = apply(&project, &["--accept-uncertain", SALES]);
    dashboard.code(1);
    assert!(
        dashboard
            .stderr
            .contains("only calls can be recorded as run"),
        "{}",
        dashboard.stderr
    );
}
