//! The emulator's journaled persistence through the binary: `grokform emulator --data DIR`
//! killed with SIGKILL in the middle of its work restarts with everything it acknowledged,
//! readable, whether the journal was folded into the snapshot or not, and with a torn last
//! line; data folders of older versions are still read.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use serde_json::{Value, json};

use crate::emulator_cli::{Process, spawn};
use crate::emulator_http::{api_at, raw_at};

const KEY: &str = "grokform-local";

fn post(addr: SocketAddr, path: &str, body: impl Into<Vec<u8>>) -> Value {
    let answer = api_at(addr, KEY, "POST", path).body(body).send();
    answer.ok();
    if answer.body.is_empty() {
        Value::Null
    } else {
        answer.json()
    }
}

fn get(addr: SocketAddr, path: &str) -> Value {
    api_at(addr, KEY, "GET", path).send().ok().json()
}

fn inspect(addr: SocketAddr) -> Value {
    let answer = raw_at(addr, KEY, "GET", "/_emulator/inspect").send();
    answer.ok().json()
}

/// Kills the process with SIGKILL (no clean stop, no snapshot) and waits for it.
fn kill_9(mut process: Process) {
    process.child.kill().unwrap();
    process.child.wait().unwrap();
}

/// Everything the internal routes show about `dashboard`, to compare across a restart.
fn read_back(addr: SocketAddr, dashboard: &str, table: &str) -> Value {
    json!({
        "project": get(addr, &format!("/projects/{dashboard}")),
        "layouts": get(addr, &format!("/layouts?projectId={dashboard}")),
        "grants": get(addr, &format!("/privileges/permissions?entityId={dashboard}&all=true")),
        "table": get(addr, &format!("/tables/{table}")),
        "inspect": inspect(addr),
    })
}

fn work(addr: SocketAddr, layout_padding: usize) -> (String, String) {
    let table = post(
        addr,
        "/public/v1/tables/Admin.Sales.Orders",
        "id,amount\n1,2.5\n",
    )["ID"]
        .as_str()
        .unwrap()
        .to_owned();
    post(addr, "/public/v1/tables/Admin.Sales.Gone", "x\n1\n");
    post(addr, "/public/v1/files/System.AppData/docs/a.md", "first");
    post(addr, "/public/v1/files/System.AppData/docs/a.md", "second");
    post(addr, "/public/v1/files/System.AppData/docs/b.md", "doomed");
    let layout = json!({
        "#type": "ViewLayout",
        "viewStateMap": {"viewers": [{"type": "Grid", "look": {}}]},
        "padding": "p".repeat(layout_padding),
    });
    let dashboard = post(
        addr,
        &format!("/public/v1/dashboards/Overview/{table}"),
        layout.to_string(),
    )["ID"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        addr,
        &format!("/public/v1/entities/{dashboard}/shares?groups=Analysts,Managers&access=View"),
        "",
    );
    // a few more layouts, so a large padding makes the journal fold into the snapshot
    for round in 0..4 {
        let mut edited = layout.clone();
        edited["round"] = json!(round);
        edited["id"] = get(addr, &format!("/layouts?projectId={dashboard}"))[0]["id"].clone();
        post(addr, "/layouts", edited.to_string());
    }
    post(
        addr,
        "/projects",
        json!({"id": dashboard, "name": "Overview", "friendlyName": "Sales overview"}).to_string(),
    );
    let managers = get(
        addr,
        &format!("/privileges/permissions?entityId={dashboard}&all=true"),
    )[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api_at(
        addr,
        KEY,
        "DELETE",
        &format!("/privileges/permissions/{managers}"),
    )
    .send()
    .ok();
    let gone = get(addr, "/tables?text=gone")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api_at(addr, KEY, "DELETE", &format!("/tables/{gone}"))
        .send()
        .ok();
    api_at(
        addr,
        KEY,
        "DELETE",
        "/public/v1/files/System.AppData/docs/b.md",
    )
    .send()
    .ok();
    post(addr, "/public/v1/functions/Sin/call", r#"{"x":0}"#);
    (dashboard, table)
}

fn survives_kill_9(layout_padding: usize) {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let process = spawn(&["--data", dir]);
    let addr = process.addr;
    let (dashboard, table) = work(addr, layout_padding);
    let before = read_back(addr, &dashboard, &table);
    // the snapshot exists only if the journal was folded into it (nothing else writes it
    // before a clean stop)
    assert_eq!(
        data.path().join("state.json").exists(),
        layout_padding > 100_000
    );
    kill_9(process);

    let restarted = spawn(&["--data", dir]);
    let addr = restarted.addr;
    assert_eq!(read_back(addr, &dashboard, &table), before);
    let csv = api_at(addr, KEY, "GET", &format!("/public/v1/tables/{table}")).send();
    assert_eq!(csv.ok().text(), "id,amount\n1,2.5\n");
    let file = api_at(
        addr,
        KEY,
        "GET",
        "/public/v1/files/System.AppData/docs/a.md",
    )
    .send();
    assert_eq!(file.ok().text(), "second");
    // the clock goes on from where it was
    let updated = before["project"]["updatedOn"].as_str().unwrap().to_owned();
    post(
        addr,
        &format!("/public/v1/entities/{dashboard}/shares?groups=Developers"),
        "",
    );
    let now = get(addr, &format!("/projects/{dashboard}"))["updatedOn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(now > updated, "{now} after {updated}");
    // no blob is left that nothing names: the replaced and deleted bytes are gone
    assert_eq!(
        std::fs::read_dir(data.path().join("blobs"))
            .unwrap()
            .count(),
        2
    );
    kill_9(restarted);
}

#[test]
fn a_kill_9_loses_nothing_acknowledged_from_the_journal() {
    survives_kill_9(16);
}

#[test]
fn a_kill_9_after_the_journal_was_folded_into_the_snapshot_loses_nothing() {
    // ~300 KiB layouts push the journal past 1 MiB: it is compacted while the work goes on
    survives_kill_9(300 * 1024);
}

#[test]
fn a_torn_last_journal_line_is_cut_off_and_the_rest_is_kept() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let process = spawn(&["--data", dir]);
    let table = post(process.addr, "/public/v1/tables/T", "a\n1\n")["ID"].clone();
    kill_9(process);
    let journal = data.path().join("journal.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    file.write_all(b"0123456789abcdef {\"seq\":99,\"clock\":9")
        .unwrap();
    drop(file);

    let restarted = spawn(&["--data", dir]);
    let held = inspect(restarted.addr);
    assert_eq!(held["tables"][0]["id"], table);
    post(restarted.addr, "/public/v1/tables/U", "b\n2\n");
    kill_9(restarted);
    let again = spawn(&["--data", dir]);
    assert_eq!(inspect(again.addr)["tables"].as_array().unwrap().len(), 2);
}

/// Writes a data folder as grokform before the journal did: pretty `state.json` (format 1),
/// bytes under `tables/` and `files/`.
fn legacy_folder(root: &Path) -> String {
    let id = "6c0e7a2c-8b8f-4d3e-9a57-0d6f1f2b3c4d";
    std::fs::create_dir_all(root.join("tables")).unwrap();
    std::fs::create_dir_all(root.join("files/system.appdata/docs")).unwrap();
    std::fs::write(root.join(format!("tables/{id}.csv")), "a\n1\n").unwrap();
    std::fs::write(root.join("files/system.appdata/docs/a.md"), "old").unwrap();
    let state = json!({
        "format_version": 1,
        "tables": {"admin:t:t": {"id": id, "namespace": "Admin", "project": "T", "table": "T",
                                  "rows": 1, "columns": ["a"], "bytes": 4}},
        "files": {"system.appdata/docs/a.md": {"connector": "System:AppData",
                  "connector_key": "system.appdata", "path": "docs/a.md", "size": 3,
                  "etag": "x"}},
        "dashboards": [{"id": "9d1c6a3e-1f2b-4c3d-8e4f-5a6b7c8d9e0f", "name": "D",
                        "table_ids": [id], "layout": null}],
        "shares": {"9d1c6a3e-1f2b-4c3d-8e4f-5a6b7c8d9e0f/analysts": {
            "entity_id": "9d1c6a3e-1f2b-4c3d-8e4f-5a6b7c8d9e0f", "group": "Analysts",
            "access": "View"}},
        "calls": [],
    });
    std::fs::write(
        root.join("state.json"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
    id.to_owned()
}

#[test]
fn a_data_folder_of_an_older_version_is_read_and_moves_on() {
    let data = tempfile::tempdir().unwrap();
    let table = legacy_folder(data.path());
    let process = spawn(&["--data", data.path().to_str().unwrap()]);
    let addr = process.addr;
    let csv = api_at(addr, KEY, "GET", &format!("/public/v1/tables/{table}")).send();
    assert_eq!(csv.ok().text(), "a\n1\n");
    let file = api_at(
        addr,
        KEY,
        "GET",
        "/public/v1/files/System.AppData/docs/a.md",
    )
    .send();
    assert_eq!(file.ok().text(), "old");
    let grants = get(
        addr,
        "/privileges/permissions?entityId=9d1c6a3e-1f2b-4c3d-8e4f-5a6b7c8d9e0f&all=true",
    );
    assert_eq!(grants[0]["userGroup"]["name"], "Analysts");
    assert_eq!(
        get(addr, &format!("/tables/{table}"))["columns"][0]["type"],
        "string"
    );
    // replacing an old object moves its bytes to a blob and removes the old copy
    post(addr, "/public/v1/tables/Admin.T.T", "a\n2\n");
    post(addr, "/public/v1/files/System.AppData/docs/a.md", "new");
    assert!(!data.path().join(format!("tables/{table}.csv")).exists());
    assert!(!data.path().join("files/system.appdata/docs/a.md").exists());
    kill_9(process);
    let restarted = spawn(&["--data", data.path().to_str().unwrap()]);
    let csv = api_at(
        restarted.addr,
        KEY,
        "GET",
        &format!("/public/v1/tables/{table}"),
    )
    .send();
    assert_eq!(csv.ok().text(), "a\n2\n");
}
