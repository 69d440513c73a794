//! The local state file and its lock as plan and apply meet them: a lock held by a running
//! apply, a state recorded against another server, a corrupt state (left untouched), and
//! `force-unlock` with nothing to do.

use std::sync::{Arc, Mutex, mpsc};

use serde_json::json;

use crate::support::{Run, Server, TestContext, grokform_snapshot, process::PATIENCE, wait_until};

#[test]
fn a_held_lock_is_a_clear_error_naming_its_holder() {
    let context = TestContext::quickstart();
    // The first apply's function call waits on the server until this test lets it go, so the
    // second apply meets the lock however slow the machine is.
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, gate) = mpsc::channel::<()>();
    let (entered_tx, gate) = (Mutex::new(entered_tx), Arc::new(Mutex::new(gate)));
    context
        .server()
        .register_function("Demo:RefreshCaches", move |params| {
            let _ = entered_tx.lock().unwrap().send(());
            // Returns when released, or when the test is gone (the sender dropped). Blocking in
            // place hands this worker's other tasks (the accept loop among them) to another
            // thread, so the server keeps answering meanwhile.
            tokio::task::block_in_place(|| {
                let _ = gate.lock().unwrap().recv_timeout(PATIENCE);
            });
            Ok(json!({ "refreshed": params["table"], "rows": 120 }))
        });
    let first = context
        .grokform(&["apply", "--auto-approve"])
        .env("USER", "first-apply")
        .spawn();
    entered
        .recv_timeout(PATIENCE)
        .expect("the first apply reached its function call");
    let lock = context.path(".grokform/state.lock");
    wait_until("the first apply has named itself in the lock", || {
        std::fs::read_to_string(&lock).is_ok_and(|s| s.contains("first-apply"))
    });

    // The holder is another process on this machine: its pid, host and start vary.
    let filters = context
        .filters()
        .regex(r"on [^ )]+\) running", "on [HOST]) running");
    grokform_snapshot!(filters, context.run(&["apply", "--auto-approve"]));

    release.send(()).unwrap();
    Run::from(first.wait_with_output().unwrap()).code(0);
}

#[test]
fn a_state_of_another_server_is_an_error() {
    let context = TestContext::quickstart();
    let second = Server::new().start();
    context.apply();
    let run = context
        .grokform(&["plan"])
        .env("DATAGROK_URL", second.url())
        .run();
    let filters = context
        .filters()
        .literal(&second.url(), "http://127.0.0.1:[SECOND]/api");
    grokform_snapshot!(filters, run);
    assert!(crate::support::held(&second, "tables").is_empty());
}

#[test]
fn a_corrupt_state_is_an_error_and_stays_untouched() {
    let context = TestContext::quickstart();
    let garbage = "{\"format_version\": 1, \"lineage\": oops";
    context.write(".grokform/state.json", garbage);
    for (name, args) in [
        ("plan", &["plan"][..]),
        ("apply", &["apply", "--auto-approve"][..]),
    ] {
        grokform_snapshot!(name, context.filters(), context.run(args));
        assert_eq!(context.read(".grokform/state.json"), garbage);
    }
    assert!(context.held("tables").is_empty(), "nothing was applied");
}

#[test]
fn force_unlock_on_local_state_with_nothing_held() {
    let context = TestContext::quickstart();
    context.apply();
    grokform_snapshot!(context.filters(), context.run(&["force-unlock"]), @r"
    success: true
    exit_code: 0
    ----- stdout -----
    `.grokform/state.json` is not locked; nothing to do.

    ----- stderr -----
    ");
}
