//! `kill -9` of a real `grokform apply` part-way, on a slowed emulator: the journal holds
//! every action the run recorded, the next plan knows every object the emulator holds, and a
//! rerun converges without duplicates, leaving neither journal nor temporary files (its own or
//! a killed run's) behind.

use std::path::Path;
use std::time::{Duration, Instant};

use grokform::emulator::Emulator;
use serde_json::Value;

use crate::project::{Project, emulator, held};

const N: usize = 3;

/// A project of `N` tables, a dashboard on each, and two shares of each dashboard; with
/// `remote`, its state is kept on the server.
fn project(emulator: &Emulator, remote: bool) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("version: 1\n");
    if remote {
        manifest += "state:\n  backend: datagrok\n  connector: System:AppData\n  path: grokform/state.json\n";
    }
    manifest += "tables:\n";
    std::fs::create_dir(dir.path().join("data")).unwrap();
    for i in 0..N {
        std::fs::write(
            dir.path().join(format!("data/t{i}.csv")),
            format!("id,v\n{i},1\n"),
        )
        .unwrap();
        manifest += &format!("  t{i}:\n    name: Admin:Kill:T{i}\n    source: data/t{i}.csv\n");
    }
    manifest += "dashboards:\n";
    for i in 0..N {
        manifest += &format!("  d{i}:\n    name: Kill {i}\n    tables: [t{i}]\n");
    }
    manifest += "shares:\n";
    for i in 0..N {
        manifest += &format!("  - dashboard: d{i}\n    groups: [Analysts, Managers]\n");
    }
    std::fs::write(dir.path().join("grokform.yaml"), manifest).unwrap();
    Project::at(dir, emulator)
}

/// A running `grokform`, killed and reaped when dropped: a failed assertion leaves no process.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|bytes| bytes.iter().filter(|b| **b == b'\n').count())
        .unwrap_or(0)
}

/// Names of the files in `.grokform/` that a finished run must not leave.
fn leftovers(project: &Project) -> Vec<String> {
    std::fs::read_dir(project.path(".grokform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp") || name.ends_with(".journal"))
        .collect()
}

/// The plan's change for `address`.
fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change for {address} in {plan:#}"))
}

/// Kills `apply` once its journal has `at_lines` lines, then checks what the next plan knows
/// and that a rerun converges. Returns the uncertain dashboards the kill left.
fn kill_mid_apply(remote: bool, at_lines: usize) -> Vec<String> {
    let server = emulator();
    let project = project(&server, remote);
    let journal = project.path(if remote {
        ".grokform/remote-state.journal"
    } else {
        ".grokform/state.journal"
    });
    // Every table upload, dashboard create and share waits first: the kill lands while the
    // next request waits, long before the server would handle it.
    server.add_fault("POST /public/v1/tables latency=700".parse().unwrap());
    server.add_fault("/public/v1/dashboards latency=700".parse().unwrap());
    server.add_fault("/public/v1/entities latency=700".parse().unwrap());
    let mut apply = Running(
        project
            .grokform(&["apply", "--auto-approve", "--parallelism", "1"])
            .spawn()
            .into_child(),
    );
    let started = Instant::now();
    while lines(&journal) < at_lines {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the journal never reached {at_lines} lines"
        );
        if let Ok(Some(status)) = apply.0.try_wait() {
            panic!("apply ended before the kill: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(apply); // SIGKILL, then reaped
    server.clear_faults();
    if !remote {
        let text = project.read(".grokform/state.json");
        serde_json::from_str::<Value>(&text).expect("the snapshot parses after the kill");
    }
    // What a kill during a snapshot or backup write leaves (the pid is above Linux's maximum).
    for leftover in [
        ".grokform/.state.json.4194320.k1ll3d.tmp",
        ".grokform/.state.json.backup.4194320.k1ll3d.tmp",
        ".grokform/.remote-state.json.4194320.k1ll3d.tmp",
    ] {
        project.write(leftover, "half a state");
    }

    // The next plan replays the journal and knows every object the server holds.
    let run = project.run(&["plan", "--format", "json"]);
    run.code(0);
    assert!(run.stderr.contains("note: replayed"), "{}", run.stderr);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let tables = held(&server, "tables");
    assert!(!tables.is_empty());
    for table in &tables {
        let key = table["name"]
            .as_str()
            .unwrap()
            .rsplit(['.', ':'])
            .next()
            .unwrap()
            .to_lowercase();
        let change = change(&plan, &format!("table.{key}"));
        assert_eq!(change["action"], "no-op", "{change:#}");
        assert_eq!(change["remote_id"], table["id"]);
    }
    let dashboards = held(&server, "dashboards");
    let mut uncertain = Vec::new();
    for i in 0..N {
        let address = format!("dashboard.d{i}");
        let change = change(&plan, &address);
        let on_server: Vec<&Value> = dashboards
            .iter()
            .filter(|d| d["name"] == format!("Kill {i}"))
            .collect();
        assert!(on_server.len() <= 1, "{on_server:?}");
        if change["uncertain"] == true {
            // Recorded before its request was sent; the kill came while it waited.
            assert!(on_server.is_empty(), "{change:#}");
            uncertain.push(address);
        } else if let Some(dashboard) = on_server.first() {
            assert_eq!(change["action"], "no-op", "{change:#}");
            assert_eq!(change["remote_id"], dashboard["id"]);
        }
    }
    for share in held(&server, "shares") {
        let i = dashboards
            .iter()
            .position(|d| d["id"] == share["entity_id"])
            .expect("shares are of the dashboards");
        let name = dashboards[i]["name"].as_str().unwrap();
        let key = name.trim_start_matches("Kill ");
        let change = change(
            &plan,
            &format!("share.d{key}.{}", share["group"].as_str().unwrap()),
        );
        assert_eq!(change["action"], "no-op", "{change:#}");
    }

    // A rerun converges: remote state needs the dead run's lock broken first.
    if remote {
        project.run(&["force-unlock"]).code(0);
    }
    let mut args = vec!["apply", "--auto-approve"];
    for address in &uncertain {
        args.extend(["--confirm-uncertain", address]);
    }
    project.run(&args).code(0);
    let dashboards = held(&server, "dashboards");
    assert_eq!(dashboards.len(), N, "no duplicate: {dashboards:?}");
    assert_eq!(held(&server, "tables").len(), N);
    assert_eq!(held(&server, "shares").len(), 2 * N);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(leftovers(&project), Vec::<String>::new());
    if !remote {
        let state = project.state();
        assert_eq!(state["resources"].as_object().unwrap().len(), 4 * N);
    }
    uncertain
}

#[test]
fn a_kill_during_the_table_uploads_loses_no_recorded_action() {
    // Two saves (the first a snapshot, the second the journal's base line and first record):
    // the third table is in flight.
    let uncertain = kill_mid_apply(false, 2);
    assert_eq!(uncertain, Vec::<String>::new());
}

#[test]
fn a_kill_during_a_dashboard_create_leaves_it_uncertain_not_lost() {
    // The three tables, then a dashboard recorded uncertain, created, and the next one
    // recorded uncertain: its create is in flight.
    let uncertain = kill_mid_apply(false, 6);
    assert_eq!(uncertain.len(), 1, "{uncertain:?}");
}

#[test]
fn remote_state_keeps_what_it_had_not_uploaded_in_the_local_journal() {
    kill_mid_apply(true, 4);
}

#[test]
fn a_plan_during_an_apply_reads_its_journal_as_in_progress() {
    let server = emulator();
    let project = project(&server, false);
    server.add_fault("POST /public/v1/tables latency=700".parse().unwrap());
    let mut apply = Running(
        project
            .grokform(&["apply", "--auto-approve", "--parallelism", "1"])
            .spawn()
            .into_child(),
    );
    let journal = project.path(".grokform/state.journal");
    let started = Instant::now();
    while lines(&journal) < 2 {
        assert!(started.elapsed() < Duration::from_secs(60), "no journal");
        std::thread::sleep(Duration::from_millis(5));
    }
    let run = project.run(&["plan"]);
    run.code(0);
    let note = run.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        note.contains("of a run in progress:") && note.contains("running `apply`"),
        "{}",
        run.stderr
    );
    assert!(!note.contains("did not finish"), "{}", run.stderr);
    server.clear_faults();
    assert_eq!(apply.0.wait().unwrap().code(), Some(0));
    let run = project.run(&["plan", "--detailed-exitcode"]);
    run.code(0);
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
    assert_eq!(leftovers(&project), Vec::<String>::new());
}
