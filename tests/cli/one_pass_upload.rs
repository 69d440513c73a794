//! Uploads are checked against the plan's hash in the same read that sends them: a source
//! changed after apply read the model (here: while an earlier upload is held up by the
//! emulator) is not stored and not recorded, whether the change shows in its size (refused
//! before sending) or only in its content (the body is cut short before its last bytes); a
//! saved plan still refuses a changed source before sending anything.

use crate::support::{Server, TestContext, wait_until};

const MANIFEST: &str = "version: 1
tables:
  a:
    name: Admin:Onepass:A
    source: data/a.csv
  b:
    name: Admin:Onepass:B
    source: data/b.csv
files:
  first:
    connector: System:AppData
    path: Onepass/first.txt
    source: data/first.txt
  notes:
    connector: System:AppData
    path: Onepass/notes.txt
    source: data/notes.txt
";

/// A CSV of about 300 KiB (several 64 KiB chunks), whose rows end in `tag`.
fn big_csv(tag: &str) -> String {
    let mut text = String::from("id,comment\n");
    for i in 0..12_000 {
        text.push_str(&format!("{i},row {i:05} {tag}\n"));
    }
    text
}

fn project() -> TestContext {
    let context = TestContext::new().with_server(Server::new());
    context.write("grokform.yaml", MANIFEST);
    context.write("data/a.csv", "id\n1\n");
    context.write("data/b.csv", &big_csv("old"));
    context.write("data/notes.txt", "first notes\n");
    context.write("data/first.txt", "uploaded first\n");
    context
}

fn table_names(context: &TestContext) -> Vec<String> {
    let mut names: Vec<String> = context
        .held("tables")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

fn recorded(context: &TestContext) -> Vec<String> {
    let state = context.state();
    let mut keys: Vec<String> = state["resources"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The first upload (`file.first`, first in address order) waits 3 s at the server.
const FIRST: &str = "/public/v1/files/System.AppData/Onepass/first.txt";

/// Starts `apply` with the first upload held up, runs `change` once that upload reached the
/// server (after apply read and hashed every source), and returns the finished run.
fn apply_changing(context: &TestContext, change: impl FnOnce()) -> crate::support::Run {
    let server = context.server();
    let seen = server.requests().iter().filter(|r| r.path == FIRST).count();
    server.add_fault(
        format!("POST {FIRST} latency=3000 count=1")
            .parse()
            .unwrap(),
    );
    let child = context
        .grokform(&["apply", "--auto-approve", "--parallelism", "1"])
        .spawn();
    wait_until("the apply has sent the first upload", || {
        server.requests().iter().filter(|r| r.path == FIRST).count() > seen
    });
    change();
    crate::support::Run::from(child.wait_with_output().unwrap())
}

fn requests_to(context: &TestContext, path: &str) -> usize {
    context
        .server()
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .count()
}

#[test]
fn a_source_changed_during_apply_is_not_uploaded_nor_recorded() {
    let context = project();

    // Same size, other content: only the hash of the bytes sent can tell.
    let changed = big_csv("new");
    assert_eq!(changed.len(), big_csv("old").len());
    let run = apply_changing(&context, || context.write("data/b.csv", &changed));
    run.code(1);
    let stderr = crate::support::unwrapped(&run.stderr);
    assert!(
        stderr.contains("b.csv` changed since the plan hashed it (its content hashes to"),
        "{stderr}"
    );
    assert!(stderr.contains("so the server kept nothing"), "{stderr}");
    // Its body ended before its last bytes (whether the server got as far as its headers
    // depends on timing; `an_upload_cut_short_by_the_client_stores_nothing` shows what the
    // emulator does with one that it did): nothing was stored.
    assert!(requests_to(&context, "/public/v1/tables/Admin.Onepass.B") <= 1);
    assert_eq!(table_names(&context), ["Admin:Onepass:A"]);
    assert_eq!(recorded(&context), ["file.first", "file.notes", "table.a"]);

    // The next plan shows the new content, and applying it stores exactly that.
    let plan = context.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(plan.stdout.contains("table.b"), "{}", plan.stdout);
    context.apply();
    assert_eq!(
        table_names(&context),
        ["Admin:Onepass:A", "Admin:Onepass:B"]
    );
    let tables = context.held("tables");
    let b = tables
        .iter()
        .find(|t| t["name"] == "Admin:Onepass:B")
        .unwrap();
    assert_eq!(b["rows"], 12_000, "{b}");
    context.run(&["plan", "--detailed-exitcode"]).code(0);

    // An update whose source changes size after the plan: refused before anything is sent,
    // and the state keeps what the server has.
    context.write("data/first.txt", "uploaded first, again\n");
    context.write("data/notes.txt", "second notes\n");
    let notes_hash = context.state()["resources"]["file.notes"]["inputs_hash"].clone();
    let notes = "/public/v1/files/System.AppData/Onepass/notes.txt";
    let sent = requests_to(&context, notes);
    let run = apply_changing(&context, || {
        context.write("data/notes.txt", "second, longer notes\n")
    });
    run.code(1);
    let stderr = crate::support::unwrapped(&run.stderr);
    assert!(
        stderr.contains(
            "notes.txt` changed since the plan hashed it (it has 21 bytes where the plan hashed 13)"
        ),
        "{stderr}"
    );
    assert_eq!(requests_to(&context, notes), sent, "never sent");
    assert_eq!(
        context.state()["resources"]["file.notes"]["inputs_hash"],
        notes_hash
    );
    context.apply();
    context.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_saved_plan_refuses_a_changed_source_before_sending() {
    let context = project();
    context
        .run(&["plan", "--out", "reviewed.json", "--detailed-exitcode"])
        .code(2);
    context.write("data/b.csv", &big_csv("new"));
    let before = context.server().requests().len();
    let run = context.run(&["apply", "reviewed.json"]);
    run.code(1);
    let stderr = crate::support::unwrapped(&run.stderr);
    assert!(stderr.contains("the saved plan is stale"), "{stderr}");
    assert!(
        stderr.contains("`data/b.csv` changed since the plan was made"),
        "{stderr}"
    );
    assert!(
        crate::support::writes_since(context.server(), before).is_empty(),
        "nothing was written"
    );
    assert!(context.held("tables").is_empty());
}
