//! Many runs starting at once on one project (`apply` and `plan --lock`), as CI jobs and a
//! laptop do: each either runs or is refused, and every refusal names the process that held
//! the lock then, with its operation. A refusal naming "unknown (pid 0 …)" was the bug: the
//! loser read the lock file while the winner had locked it but not yet written its name, or
//! while a holder was letting go.

use std::collections::BTreeMap;

use crate::project::{Project, emulator, held};

/// What a refused run's error says holds the lock: `(pid, operation)`.
fn named_holder(stderr: &str) -> Option<(u32, String)> {
    // miette wraps long messages: compare with the whitespace folded.
    let text = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = &text[text.find("is locked by ")?..];
    let pid = rest[rest.find("(pid ")? + 5..]
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    let operation = rest[rest.find("running `")? + 9..].split('`').next()?;
    Some((pid, operation.to_string()))
}

/// Starts every `(operation, args)` at once, then checks each outcome: success, or a lock
/// refusal naming another of these processes with its operation. Returns the operations
/// that succeeded and the number of refusals.
fn run_together(project: &Project, runs: &[(&str, &[&str])]) -> (Vec<String>, usize) {
    let children: Vec<(String, std::process::Child)> = runs
        .iter()
        .map(|(operation, args)| {
            // A user name of its own: "unknown" in a refusal is what this test looks for.
            let child = project.grokform(args).env("USER", "ci-runner").spawn();
            (operation.to_string(), child)
        })
        .collect();
    let operations: BTreeMap<u32, String> = children
        .iter()
        .map(|(operation, child)| (child.id(), operation.clone()))
        .collect();
    let mut succeeded = Vec::new();
    let mut refused = 0;
    for (operation, child) in children {
        let pid = child.id();
        let output = child.wait_with_output().expect("grokform finishes");
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => succeeded.push(operation),
            Some(1) => {
                let (holder, holding) = named_holder(&stderr).unwrap_or_else(|| {
                    panic!("{operation} (pid {pid}) failed without naming a lock holder:\n{stderr}")
                });
                assert!(!stderr.contains("unknown"), "{stderr}");
                assert_ne!(holder, pid, "a run does not block itself:\n{stderr}");
                assert_eq!(
                    operations.get(&holder),
                    Some(&holding),
                    "{operation} (pid {pid}) names a holder that is not one of these runs \
                     (or the wrong operation): {operations:?}\n{stderr}"
                );
                refused += 1;
            }
            other => panic!("{operation} (pid {pid}) ended with {other:?}:\n{stderr}"),
        }
    }
    (succeeded, refused)
}

#[test]
fn simultaneous_applies_and_locked_plans_name_the_holder_in_every_refusal() {
    let server = emulator();
    let project = Project::quickstart(&server);
    const APPLY: &[&str] = &["apply", "--auto-approve"];
    const PLAN: &[&str] = &["plan", "--lock"];

    // Slow table uploads keep the winning apply holding the lock while the others arrive.
    server.add_fault("POST /public/v1/tables latency=800".parse().unwrap());
    let mut runs = vec![("apply", APPLY); 3];
    runs.extend([("plan", PLAN); 5]);
    let (succeeded, refused) = run_together(&project, &runs);
    assert!(
        refused >= 1,
        "eight runs at once, none refused: {succeeded:?}"
    );
    assert_eq!(
        held(&server, "dashboards").len(),
        2,
        "one apply created the dashboards, once"
    );
    server.clear_faults();

    // Storms of short locked runs: a holder lets go while others look at the lock file.
    let mut refusals = refused;
    for _ in 0..6 {
        let mut runs = vec![("plan", PLAN); 7];
        runs.push(("apply", APPLY));
        refusals += run_together(&project, &runs).1;
    }
    eprintln!("{refusals} refusals, each naming its holder");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let leftovers: Vec<String> = std::fs::read_dir(project.path(".grokform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp") || name.ends_with(".journal"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}
