//! State kept on the server (`state: {backend: datagrok}`): shared by CI runners without a
//! committed state file; its lock reported, waited for (`--lock-timeout`) and broken
//! (`force-unlock`).

use grokform::state::LockInfo;

use crate::support::http::api_at;
use crate::support::{Run, TestContext, grokform_snapshot, wait_until};

const REMOTE_STATE: &str =
    "\nstate:\n  backend: datagrok\n  connector: System:AppData\n  path: grokform/ci/state.json\n";

/// The API path of the remote state's lock object.
const LOCK: &str = "/public/v1/files/System.AppData/grokform/ci/state.json.lock";

/// The quickstart with its state on its server.
fn remote_project() -> TestContext {
    let context = TestContext::quickstart();
    context.edit("grokform.yaml", |m| format!("{m}{REMOTE_STATE}"));
    context
}

/// Makes the state locked by another run, as that run would have written its lock object.
fn lock_as_another_run(context: &TestContext) {
    let holder = LockInfo {
        id: "their-nonce".into(),
        who: "ci".into(),
        pid: 4242,
        host: "runner-7".into(),
        operation: "apply".into(),
        started: "2026-01-01T00:00:00Z".into(),
    };
    api_at(context.server().addr(), &context.key, "POST", LOCK)
        .body(holder.to_json())
        .send()
        .ok();
}

/// Lets go of the other run's lock, as that run would when it finishes.
fn release_the_other_runs_lock(context: &TestContext) {
    api_at(context.server().addr(), &context.key, "DELETE", LOCK)
        .send()
        .ok();
}

#[test]
fn remote_state_is_shared_by_runners_without_a_committed_state() {
    let first = remote_project();
    first.run(&["plan", "--out", "p.plan"]).code(0);
    first.run(&["apply", "p.plan"]).code(0);
    assert!(
        !first.path(".grokform/state.json").exists(),
        "no local state"
    );
    let files: Vec<String> = first
        .held("files")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        files.contains(&"grokform/ci/state.json".to_string()),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with(".lock")),
        "the lock is gone: {files:?}"
    );

    // Another runner: a fresh checkout, no `.grokform/` at all.
    let second = first.checkout();
    second.edit("grokform.yaml", |m| format!("{m}{REMOTE_STATE}"));
    assert!(!second.path(".grokform").exists());
    grokform_snapshot!(
        "the_second_runner_sees_no_changes",
        second.filters(),
        second.run(&["plan", "--detailed-exitcode"])
    );

    // A plan the second runner saved goes stale once the first applies something newer: the
    // serial check refuses the older one.
    second.edit("data/orders.csv", |c| {
        format!("{c}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    second
        .run(&["plan", "--out", "p.plan", "--detailed-exitcode"])
        .code(2);
    first.edit("data/orders.csv", |c| {
        format!("{c}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    first.apply();
    grokform_snapshot!(
        "the_second_runners_plan_is_stale",
        // How many saves an apply makes depends on how its concurrent actions shared them.
        second
            .filters()
            .regex(r"serial \d+, now \d+", "serial [PLANNED], now [NOW]"),
        second.run(&["apply", "p.plan"])
    );
}

#[test]
fn a_remote_lock_held_by_another_run_is_reported_and_waited_for() {
    let context = remote_project();
    lock_as_another_run(&context);

    grokform_snapshot!(
        "held",
        context.filters(),
        context.run(&["apply", "--auto-approve"])
    );
    assert_eq!(context.held("tables").len(), 0);

    // The other run finishes once this one is seen waiting for it: `--lock-timeout` waits.
    let before = context.server().requests().len();
    let lock_reads = |from: usize| {
        context.server().requests()[from..]
            .iter()
            .take_while(|r| !(r.method == "POST" && r.path == LOCK))
            .filter(|r| r.method == "GET" && r.path == LOCK)
            .count()
    };
    let waiting = context
        .grokform(&["apply", "--auto-approve", "--lock-timeout", "60s"])
        .spawn();
    wait_until("the apply has found the lock held twice", || {
        lock_reads(before) >= 2
    });
    release_the_other_runs_lock(&context);
    let run = Run::from(waiting.wait_with_output().unwrap());
    run.code(0);
    assert!(lock_reads(before) >= 2, "it waited");
    assert_eq!(context.held("tables").len(), 2);
}

#[test]
fn force_unlock_breaks_a_remote_lock() {
    let context = remote_project();
    lock_as_another_run(&context); // A run that died: nobody will release it.

    grokform_snapshot!("broken", context.filters(), context.run(&["force-unlock"]));
    context.apply();
    grokform_snapshot!(
        "nothing_to_break",
        context.filters(),
        context.run(&["force-unlock"])
    );
}
