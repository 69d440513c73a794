//! Many runs starting at once on one project (`apply` and `plan --lock`), as CI jobs and a
//! laptop do: each either runs or is refused, and every refusal names the process that held
//! the lock then, with its operation. A refusal naming "unknown (pid 0 …)" was the bug: the
//! loser read the lock file while the winner had locked it but not yet written its name, or
//! while a holder was letting go.

use std::collections::BTreeMap;

use grokform::state::LockInfo;

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
/// refusal naming another of these processes (or one of `running`, `(pid, operation)`) with
/// its operation. Returns the operations that succeeded and the number of refusals.
fn run_together(
    project: &Project,
    runs: &[(&str, &[&str])],
    running: &[(u32, &str)],
) -> (Vec<String>, usize) {
    let children: Vec<(String, std::process::Child)> = runs
        .iter()
        .map(|(operation, args)| {
            // A user name of its own: "unknown" in a refusal is what this test looks for.
            let child = project
                .grokform(args)
                .env("USER", "ci-runner")
                .spawn()
                .into_child();
            (operation.to_string(), child)
        })
        .collect();
    let operations: BTreeMap<u32, String> = children
        .iter()
        .map(|(operation, child)| (child.id(), operation.clone()))
        .chain(running.iter().map(|(pid, op)| (*pid, op.to_string())))
        .collect();
    // Every process is reaped before any assertion can fail.
    let outputs: Vec<(String, u32, std::io::Result<std::process::Output>)> = children
        .into_iter()
        .map(|(operation, child)| (operation, child.id(), child.wait_with_output()))
        .collect();
    let mut succeeded = Vec::new();
    let mut refused = 0;
    for (operation, pid, output) in outputs {
        let output = output.expect("grokform finishes");
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

/// A running `grokform`, killed and reaped when dropped: a failed assertion leaves no process.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn simultaneous_applies_and_locked_plans_name_the_holder_in_every_refusal() {
    let server = emulator();
    let project = Project::quickstart(&server);
    const APPLY: &[&str] = &["apply", "--auto-approve"];
    const PLAN: &[&str] = &["plan", "--lock"];

    // A slow apply (its table uploads wait 3 s each) holds the lock; seven runs started
    // together meanwhile are all refused, naming it.
    server.add_fault("POST /public/v1/tables latency=3000".parse().unwrap());
    let mut first = Running(
        project
            .grokform(APPLY)
            .env("USER", "ci-runner")
            .spawn()
            .into_child(),
    );
    let pid = first.0.id();
    let lock = project.path(".grokform/state.lock");
    let started = std::time::Instant::now();
    while LockInfo::parse(&std::fs::read(&lock).unwrap_or_default()).pid != pid {
        assert!(
            started.elapsed().as_secs() < 30,
            "the apply never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut runs = vec![("apply", APPLY); 2];
    runs.extend([("plan", PLAN); 5]);
    let (succeeded, refused) = run_together(&project, &runs, &[(pid, "apply")]);
    assert_eq!((succeeded, refused), (vec![], 7));
    server.clear_faults();
    assert_eq!(first.0.wait().unwrap().code(), Some(0));
    assert_eq!(held(&server, "dashboards").len(), 2);

    // Storms of short locked runs starting together: a run locks and writes its name while
    // others look at the file, and lets go while others look again.
    let mut refusals = 0;
    for _ in 0..6 {
        let mut runs = vec![("plan", PLAN); 7];
        runs.push(("apply", APPLY));
        refusals += run_together(&project, &runs, &[]).1;
    }
    eprintln!("{refusals} refusals in the storms, each naming its holder");
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let leftovers: Vec<String> = std::fs::read_dir(project.path(".grokform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp") || name.ends_with(".journal"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}
