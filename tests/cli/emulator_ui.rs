//! The emulator's control routes that act like a person in the web UI (making drift on
//! purpose), and refused internal routes (by control route, by config and by `--refuse`), over
//! real HTTP.

use grokform::emulator::{Emulator, EmulatorConfig, InternalRoute, Refusal, RefusalRule};
use serde_json::{Value, json};

use crate::emulator_cli::spawn;
use crate::emulator_http::{api, api_at, raw, start, upload_table};

fn dashboard(emulator: &Emulator, table: &str) -> String {
    api(
        emulator,
        "POST",
        &format!("/public/v1/dashboards/Overview/{table}"),
    )
    .body(r##"{"#type":"ViewLayout","viewStateMap":{"viewers":[{"type":"Grid","look":{}}]}}"##)
    .send()
    .ok()
    .json()["ID"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn get(emulator: &Emulator, path: &str) -> Value {
    api(emulator, "GET", path).send().ok().json()
}

fn updated(emulator: &Emulator, path: &str) -> String {
    get(emulator, path)["updatedOn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn ui_edits_of_dashboards_change_them_in_place_and_advance_updated_on() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "a\n1\n");
    let id = dashboard(&emulator, &table);
    let project = format!("/projects/{id}");
    let before = updated(&emulator, &project);
    let served = get(&emulator, &format!("/layouts?projectId={id}"))[0].clone();

    // edit the layout from a served copy (its server fields come along and are dropped)
    let mut edited = served.clone();
    edited["viewStateMap"]["viewers"][0]["look"]["title"] = json!("Edited");
    let answer = raw(
        &emulator,
        "POST",
        &format!("/_emulator/ui/dashboards/{id}/layout"),
    )
    .body(edited.to_string())
    .send();
    assert_eq!(
        answer.ok().json()["viewStateMap"]["viewers"][0]["look"]["title"],
        "Edited"
    );
    let after_edit = updated(&emulator, &project);
    assert!(after_edit > before);
    let reread = get(&emulator, &format!("/layouts?projectId={id}"))[0].clone();
    assert_eq!(reread["id"], served["id"], "the layout keeps its id");
    assert_ne!(
        reread["viewStateMap"]["viewers"][0]["id"], served["viewStateMap"]["viewers"][0]["id"],
        "a save gives elements new ids, as a re-export does"
    );

    // rename
    let renamed = raw(
        &emulator,
        "POST",
        &format!("/_emulator/ui/dashboards/{id}/rename"),
    )
    .body(r#"{"name":"Overview (old)"}"#)
    .send();
    assert_eq!(renamed.ok().json()["name"], "Overview (old)");
    assert_eq!(get(&emulator, &project)["friendlyName"], "Overview (old)");
    assert!(updated(&emulator, &project) > after_edit);

    // delete
    let deleted = raw(
        &emulator,
        "DELETE",
        &format!("/_emulator/ui/dashboards/{id}"),
    )
    .send();
    assert_eq!(deleted.status, 204);
    api(&emulator, "GET", &project).send().api_error();
    let again = raw(
        &emulator,
        "DELETE",
        &format!("/_emulator/ui/dashboards/{id}"),
    )
    .send();
    assert_eq!(again.status, 404);
    assert!(again.text().contains("not found"));
    // none of this went through the API: the request log does not show it
    assert!(
        emulator
            .requests()
            .iter()
            .all(|r| !r.path.contains("_emulator"))
    );
}

#[test]
fn ui_edits_of_tables_files_and_grants() {
    let emulator = start();
    let table = upload_table(&emulator, "Admin.S.T", "a\n1\n");
    let info = format!("/tables/{table}");
    let before = updated(&emulator, &info);

    let replaced = raw(
        &emulator,
        "POST",
        &format!("/_emulator/ui/tables/{table}/data"),
    )
    .body("a,b\n1,x\n2,y\n")
    .send();
    let replaced = replaced.ok().json();
    assert_eq!(
        (replaced["id"].as_str(), replaced["rowCount"].as_u64()),
        (Some(table.as_str()), Some(2))
    );
    assert!(updated(&emulator, &info) > before);
    let csv = api(&emulator, "GET", &format!("/public/v1/tables/{table}")).send();
    assert_eq!(csv.ok().text(), "a,b\n1,x\n2,y\n");
    let ragged = raw(
        &emulator,
        "POST",
        &format!("/_emulator/ui/tables/{table}/data"),
    )
    .body("a,b\n1\n")
    .send();
    assert_eq!(ragged.status, 400);
    assert!(ragged.text().contains("line 2"), "{}", ragged.text());

    // grants: add, then remove
    let granted = raw(
        &emulator,
        "POST",
        &format!("/_emulator/ui/shares/{table}?group=analysts&access=Edit"),
    )
    .send();
    let row = granted.ok().json();
    assert_eq!(
        (
            row["userGroup"]["name"].as_str(),
            row["permission"]["name"].as_str()
        ),
        (Some("Analysts"), Some("Edit"))
    );
    let with_grant = updated(&emulator, &info);
    assert_eq!(emulator.inspect()["shares"][0]["access"], "Edit");
    let removed = raw(
        &emulator,
        "DELETE",
        &format!("/_emulator/ui/shares/{table}?group=Analysts"),
    )
    .send();
    assert_eq!(removed.status, 204);
    assert_eq!(emulator.inspect()["shares"], json!([]));
    assert!(updated(&emulator, &info) > with_grant);
    let unknown = raw(
        &emulator,
        "POST",
        &format!("/_emulator/ui/shares/{table}?group=Nobody"),
    )
    .send();
    assert_eq!(unknown.status, 404);

    // files: replace (new ETag), delete
    api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/docs/a.md",
    )
    .body("one")
    .send()
    .ok();
    let etag = emulator.inspect()["files"][0]["etag"].clone();
    let file = raw(
        &emulator,
        "POST",
        "/_emulator/ui/files/System.AppData/docs/a.md",
    )
    .body("two")
    .send();
    assert_eq!(file.ok().json()["size"], 3);
    assert_ne!(emulator.inspect()["files"][0]["etag"], etag);
    let bytes = api(
        &emulator,
        "GET",
        "/public/v1/files/System.AppData/docs/a.md",
    )
    .send();
    assert_eq!(bytes.ok().text(), "two");
    let gone = raw(
        &emulator,
        "DELETE",
        "/_emulator/ui/files/System.AppData/docs/a.md",
    )
    .send();
    assert_eq!(gone.status, 204);
    assert_eq!(emulator.inspect()["files"], json!([]));
    let escape = raw(&emulator, "POST", "/_emulator/ui/files/System.AppData/../x")
        .body("x")
        .send();
    assert_eq!(escape.status, 400);

    // delete the table
    assert_eq!(
        raw(
            &emulator,
            "DELETE",
            &format!("/_emulator/ui/tables/{table}")
        )
        .send()
        .status,
        204
    );
    api(&emulator, "GET", &info).send().api_error();
    assert_eq!(
        raw(
            &emulator,
            "DELETE",
            &format!("/_emulator/ui/tables/{table}")
        )
        .send()
        .status,
        404
    );
    assert_eq!(
        raw(&emulator, "POST", "/_emulator/ui/nothing")
            .send()
            .status,
        404
    );
    assert_eq!(
        raw(&emulator, "POST", "/_emulator/ui/dashboards/x/rename")
            .without_auth()
            .send()
            .status,
        401
    );
}

#[test]
fn refused_routes_answer_404_html_403_or_an_api_error_and_come_back() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "a\n1\n");
    let id = dashboard(&emulator, &table);
    let refuse = |body: Value| {
        raw(&emulator, "POST", "/_emulator/refusals")
            .body(body.to_string())
            .send()
            .ok()
            .json()
    };
    refuse(json!({"routes": ["projects-read"]}));
    refuse(json!({"routes": ["permissions-revoke", "tables-delete"], "answer": "403"}));
    let all = refuse(json!({"routes": ["layouts-read"], "answer": "api-error"}));
    assert_eq!(
        all,
        json!({"projects-read": "404", "layouts-read": "api-error",
               "permissions-revoke": "403", "tables-delete": "403"})
    );
    assert_eq!(
        raw(&emulator, "GET", "/_emulator/refusals")
            .send()
            .ok()
            .json(),
        all
    );

    let read = api(&emulator, "GET", &format!("/projects/{id}")).send();
    assert_eq!(read.status, 404);
    assert!(read.text().contains("<html>"));
    assert_eq!(api(&emulator, "GET", "/projects").send().status, 404);
    let delete = api(&emulator, "DELETE", &format!("/tables/{table}")).send();
    assert_eq!(delete.status, 403);
    assert_eq!(delete.json()["#type"], "ApiError");
    let message = api(&emulator, "GET", &format!("/layouts?projectId={id}"))
        .send()
        .api_error();
    assert!(message.contains("layouts-read"), "{message}");
    // refused means nothing happened, and other routes are still served
    assert_eq!(emulator.inspect()["tables"].as_array().unwrap().len(), 1);
    api(&emulator, "GET", &format!("/tables/{table}"))
        .send()
        .ok();
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();

    let bad = raw(&emulator, "POST", "/_emulator/refusals")
        .body(r#"{"routes":["nope"]}"#)
        .send();
    assert_eq!(bad.status, 400);
    assert_eq!(
        raw(&emulator, "DELETE", "/_emulator/refusals")
            .send()
            .status,
        204
    );
    api(&emulator, "GET", &format!("/projects/{id}"))
        .send()
        .ok();

    // the Rust handle does the same
    let rule: RefusalRule = "internal=api-error".parse().unwrap();
    emulator.refuse(&rule);
    api(&emulator, "GET", "/info/server").send().api_error();
    emulator.clear_refusals();
    api(&emulator, "GET", "/info/server").send().ok();
}

#[test]
fn refusals_can_be_configured_from_the_start() {
    let emulator = Emulator::start_blocking(EmulatorConfig {
        refusals: vec![RefusalRule {
            routes: vec![InternalRoute::ProjectsDelete],
            answer: Refusal::Forbidden,
        }],
        ..Default::default()
    })
    .unwrap();
    let table = upload_table(&emulator, "T", "a\n1\n");
    let id = dashboard(&emulator, &table);
    assert_eq!(
        api(&emulator, "DELETE", &format!("/projects/{id}"))
            .send()
            .status,
        403
    );
    api(&emulator, "GET", &format!("/projects/{id}"))
        .send()
        .ok();
}

#[test]
fn the_refuse_flag_refuses_routes_of_a_running_emulator() {
    let process = spawn(&[
        "--refuse",
        "permissions-read,projects-delete=403",
        "--refuse",
        "server-info",
    ]);
    assert!(
        process.banner.contains(
            r#"refuse: {"routes":["projects-delete","permissions-read"],"answer":"403"}"#
        ),
        "{}",
        process.banner
    );
    let key = "grokform-local";
    let refused = api_at(
        process.addr,
        key,
        "GET",
        "/privileges/permissions?entityId=00000000-0000-4000-8000-000000000000",
    )
    .send();
    assert_eq!(refused.status, 403);
    assert_eq!(
        api_at(process.addr, key, "GET", "/info/server")
            .send()
            .status,
        404
    );
    api_at(process.addr, key, "GET", "/projects").send().ok();

    let bad =
        crate::common::grokform(["emulator", "--port", "0", "--refuse", "projects-nuke"]).run();
    bad.code(1);
    assert!(bad.stderr.contains("not a route group"), "{}", bad.stderr);
}
