//! Server fingerprints through the real binary and emulator: apply reads back what it wrote
//! and records the server's `updatedOn`s in the state; a refresh with nothing changed then
//! downloads no table CSV (the emulator's request log says so), while a CSV replaced in the
//! UI with one of the same size and row count is still downloaded and named; states without
//! fingerprints, and servers refusing the read routes, work as before; a write the read-back
//! cannot find fails the apply and stays recorded.

use grokform::emulator::FaultRule;
use grokform::emulator::{Emulator, RefusalRule};
use serde_json::Value;

use crate::emulator_http::raw;
use crate::project::{Project, emulator};
use crate::support::{Run, held, wait_until};

fn applied() -> (Emulator, Project) {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    (server, project)
}

fn id(project: &Project, address: &str) -> String {
    project.state()["resources"][address]["remote_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no remote_id for {address}"))
        .to_string()
}

/// The `GET`s since request `from`, as `path` (query dropped).
fn gets_since(server: &Emulator, from: usize) -> Vec<String> {
    server.requests()[from..]
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.clone())
        .collect()
}

/// The table CSV downloads (`GET /public/v1/tables/…`) since request `from`.
fn csv_downloads_since(server: &Emulator, from: usize) -> Vec<String> {
    gets_since(server, from)
        .into_iter()
        .filter(|p| p.starts_with("/public/v1/tables/"))
        .collect()
}

fn refresh(project: &Project) -> crate::common::Run {
    project.run(&["refresh", "--detailed-exitcode"])
}

#[test]
fn apply_records_what_the_server_answered_on_reading_back() {
    let (server, project) = applied();
    let state = project.state();
    for table in ["table.orders", "table.customers"] {
        let observed = &state["resources"][table]["observed"];
        let read: Value = raw(
            &server,
            "GET",
            &format!("/api/tables/{}", id(&project, table)),
        )
        .send()
        .json();
        assert_eq!(
            observed["updated_on"], read["updatedOn"],
            "{table}: {observed}"
        );
    }
    // dashboards are read back (verified) but have no cheap field to record; files, shares
    // and calls are not read back
    let overview = id(&project, "dashboard.sales-overview");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == format!("/projects/{overview}")),
        "the dashboard create is read back"
    );
    for address in [
        "dashboard.sales-overview",
        "dashboard.customers",
        "file.regions-readme",
        "share.sales-overview.Analysts",
    ] {
        assert!(
            state["resources"][address].get("observed").is_none(),
            "{address}: {}",
            state["resources"][address]
        );
    }
    // a plan records nothing and sees no change
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(project.state(), state);
}

#[test]
fn a_second_refresh_downloads_no_csv_yet_a_same_size_replacement_is_caught() {
    let (server, project) = applied();
    let from = server.requests().len();
    refresh(&project).code(0);
    assert_eq!(
        csv_downloads_since(&server, from),
        Vec::<String>::new(),
        "in sync by fingerprint"
    );
    let orders = id(&project, "table.orders");
    assert!(
        gets_since(&server, from).contains(&format!("/tables/{orders}")),
        "the cheap check still reads the table: {:?}",
        gets_since(&server, from)
    );

    // the first data row's region swapped for another of the same length: same bytes, rows
    // and columns, only `updatedOn` tells
    let data = project.read("data/orders.csv");
    let replaced = data.replacen(",South,", ",North,", 1);
    assert_ne!(replaced, data);
    assert_eq!(replaced.len(), data.len());
    let answer = raw(
        &server,
        "POST",
        &format!("/_emulator/ui/tables/{orders}/data"),
    )
    .body(replaced)
    .send();
    assert!((200..300).contains(&answer.status), "{}", answer.text());

    let from = server.requests().len();
    let run = refresh(&project);
    run.code(2);
    assert!(
        run.stdout.contains("table.orders")
            && run
                .stdout
                .contains("~ data changed: other data on the server"),
        "{}",
        run.stdout
    );
    assert_eq!(
        csv_downloads_since(&server, from),
        [format!("/public/v1/tables/{orders}")],
        "only the table whose updatedOn moved is downloaded"
    );

    // re-uploading it (plan does not repair drift by itself yet) records the new fingerprint:
    // clean, and no download again
    project
        .run(&["apply", "--auto-approve", "--replace", "table.orders"])
        .code(0);
    let from = server.requests().len();
    refresh(&project).code(0);
    assert!(csv_downloads_since(&server, from).is_empty());
}

#[test]
fn a_layout_edited_in_the_ui_is_still_compared_and_named() {
    let (server, project) = applied();
    let overview = id(&project, "dashboard.sales-overview");
    let layouts: Value = raw(
        &server,
        "GET",
        &format!("/api/layouts?projectId={overview}"),
    )
    .send()
    .json();
    let mut layout = layouts[0].clone();
    layout["viewStateMap"]["viewers"][0]["look"]["title"] = "Edited in the UI".into();
    let answer = raw(
        &server,
        "POST",
        &format!("/_emulator/ui/dashboards/{overview}/layout"),
    )
    .body(layout.to_string())
    .send();
    assert!((200..300).contains(&answer.status), "{}", answer.text());
    let run = refresh(&project);
    run.code(2);
    assert!(
        run.stdout
            .contains("~ layout edited: changed at `/viewStateMap/viewers/0/look/title`"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_state_without_fingerprints_is_compared_by_download_as_before() {
    let (server, project) = applied();
    let mut state = project.state();
    for entry in state["resources"].as_object_mut().unwrap().values_mut() {
        entry.as_object_mut().unwrap().remove("observed");
    }
    project.write(
        ".grokform/state.json",
        &serde_json::to_string_pretty(&state).unwrap(),
    );
    let from = server.requests().len();
    refresh(&project).code(0);
    let mut downloads = csv_downloads_since(&server, from);
    downloads.sort();
    let mut expected = vec![
        format!("/public/v1/tables/{}", id(&project, "table.customers")),
        format!("/public/v1/tables/{}", id(&project, "table.orders")),
    ];
    expected.sort();
    assert_eq!(downloads, expected);
}

#[test]
fn a_server_refusing_reads_gets_no_fingerprints_and_apply_works_as_before() {
    let server = emulator();
    let rule: RefusalRule = "internal".parse().unwrap();
    server.refuse(&rule);
    let project = Project::quickstart(&server);
    project.apply();
    let state = project.state();
    for (address, entry) in state["resources"].as_object().unwrap() {
        assert!(entry.get("observed").is_none(), "{address}: {entry}");
    }
    // refresh falls back to the public download, as without fingerprints
    let from = server.requests().len();
    refresh(&project).code(0);
    assert_eq!(csv_downloads_since(&server, from).len(), 2);
}

#[test]
fn a_write_the_read_back_cannot_find_fails_the_apply_and_stays_recorded() {
    let server = emulator();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\ntables:\n  t:\n    name: Admin:Fp:T\n    source: t.csv\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("t.csv"), "a,b\n1,2\n").unwrap();
    let project = Project::at(dir, &server);
    // Reads of one table are held back long enough for the table to vanish meanwhile, as if
    // the server had answered the upload without keeping it.
    let slow: FaultRule = "GET /tables/ latency=3000".parse().unwrap();
    server.add_fault(slow);
    let child = project.grokform(&["apply", "--auto-approve"]).spawn();
    let mut id = String::new();
    wait_until("the read-back of the uploaded table is in flight", || {
        let Some(table) = held(&server, "tables").first().cloned() else {
            return false;
        };
        id = table["id"].as_str().unwrap_or_default().to_string();
        let route = format!("/tables/{id}");
        server
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == route)
    });
    let deleted = raw(&server, "DELETE", &format!("/_emulator/ui/tables/{id}")).send();
    assert!((200..300).contains(&deleted.status), "{}", deleted.text());
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(1);
    let shown = format!("{}{}", run.stdout, run.stderr);
    assert!(
        shown.contains(&format!(
            "table.t: the server accepted the write and answered ID `{id}`, but reading it back (`GET /tables/{id}`) finds nothing there"
        )),
        "{shown}"
    );
    // nothing the server acknowledged is forgotten: the state keeps the ID, unfingerprinted
    let entry = &project.state()["resources"]["table.t"];
    assert_eq!(entry["remote_id"], id.as_str(), "{entry}");
    assert!(entry.get("observed").is_none(), "{entry}");
}
