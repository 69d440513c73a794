//! State kept on the server (`state: {backend: datagrok}`): shared by CI runners without a
//! committed state file; its lock reported, waited for (`--lock-timeout`) and broken
//! (`force-unlock`).

use std::time::{Duration, Instant};

use grokform::client::{ApiKey, Client, ClientOptions};
use grokform::emulator::{DEFAULT_API_KEY, Emulator};
use grokform::state::StateStore;

use crate::project::{Project, emulator, held};

const REMOTE_STATE: &str =
    "\nstate:\n  backend: datagrok\n  connector: System:AppData\n  path: grokform/ci/state.json\n";

fn client_for(server: &Emulator) -> Client {
    Client::new(
        &server.url(),
        ApiKey::new(DEFAULT_API_KEY.into()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap()
}

/// The quickstart with its state on the server.
fn remote_project(server: &Emulator) -> Project {
    let project = Project::quickstart(server);
    project.edit("grokform.yaml", |m| format!("{m}{REMOTE_STATE}"));
    project
}

#[test]
fn remote_state_is_shared_by_runners_without_a_committed_state() {
    let server = emulator();
    let first = remote_project(&server);
    first.run(&["plan", "--out", "p.plan"]).code(0);
    first.run(&["apply", "p.plan"]).code(0);
    assert!(
        !first.path(".grokform/state.json").exists(),
        "no local state"
    );
    let files: Vec<String> = held(&server, "files")
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
    let second = remote_project(&server);
    assert!(!second.path(".grokform").exists());
    let plan = second.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);

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
    let run = second.run(&["apply", "p.plan"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("the state moved since the plan was made"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_remote_lock_held_by_another_run_is_reported_and_waited_for() {
    let server = emulator();
    let project = remote_project(&server);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let other = StateStore::remote(
        client_for(&server),
        "System:AppData",
        "grokform/ci/state.json",
    );
    let lock = runtime
        .block_on(other.lock("apply", Duration::ZERO))
        .unwrap();

    let run = project.run(&["apply", "--auto-approve"]);
    run.code(1);
    assert!(run.stderr.contains("is locked by"), "{}", run.stderr);
    assert!(run.stderr.contains("running `apply`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("force-unlock"),
        "the way out is named: {}",
        run.stderr
    );
    assert_eq!(held(&server, "tables").len(), 0);

    // The other run finishes 1.5 s later; `--lock-timeout` waits for it.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        runtime.block_on(lock.release()).unwrap();
    });
    let started = Instant::now();
    let run = project.run(&["apply", "--auto-approve", "--lock-timeout", "30s"]);
    run.code(0);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "it waited"
    );
    releaser.join().unwrap();
    assert_eq!(held(&server, "tables").len(), 2);
}

#[test]
fn force_unlock_breaks_a_remote_lock() {
    let server = emulator();
    let project = remote_project(&server);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let other = StateStore::remote(
        client_for(&server),
        "System:AppData",
        "grokform/ci/state.json",
    );
    let lock = runtime
        .block_on(other.lock("apply", Duration::ZERO))
        .unwrap();
    std::mem::forget(lock); // A run that died: nobody will release it.

    let run = project.run(&["force-unlock"]);
    run.code(0);
    assert!(
        run.stdout.starts_with(
            "Removed the lock on `System:AppData/grokform/ci/state.json on the server` held by "
        ),
        "{}",
        run.stdout
    );
    project.apply();
    let run = project.run(&["force-unlock"]);
    run.code(0);
    assert!(
        run.stdout.contains("is not locked; nothing to do"),
        "{}",
        run.stdout
    );
}
