//! The local state file and its lock as plan and apply meet them: a lock held by a running
//! apply, a state recorded against another server, a corrupt state (left untouched), and
//! `force-unlock` with nothing to do.

use crate::project::{Project, emulator, held};

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
fn force_unlock_on_local_state_with_nothing_held() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let run = project.run(&["force-unlock"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "`.grokform/state.json` is not locked; nothing to do.\n"
    );
}
