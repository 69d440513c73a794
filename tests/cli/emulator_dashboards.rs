//! Conformance of the dashboards and shares routes: created from table IDs with their layout,
//! shared with groups in the current and the older form, and every outcome a share can report.

use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, upload_table};

#[test]
fn dashboards_are_created_from_table_ids_with_a_new_id_every_time() {
    let emulator = Server::new().start();
    let a = upload_table(&emulator, "Admin.S.A", "x\n1\n");
    let b = upload_table(&emulator, "Admin.S.B", "y\n2\n");
    let create = || {
        api(
            &emulator,
            "POST",
            &format!("/public/v1/dashboards/Sales%20Overview/{a},{b}"),
        )
        .header("Content-Type", "application/json")
        .send()
        .ok()
        .json()
    };
    let first = create();
    let second = create();
    assert_ne!(first["ID"], second["ID"]);
    let dashboards = emulator.inspect()["dashboards"].clone();
    assert_eq!(dashboards[0]["name"], "Sales Overview");
    assert_eq!(dashboards[0]["table_ids"], json!([a, b]));
    assert_eq!(dashboards[0]["layout"], json!(null));
    assert_eq!(dashboards[1]["id"], second["ID"]);
}

#[test]
fn dashboards_keep_their_layout_and_reject_bad_input() {
    let emulator = Server::new().start();
    let id = upload_table(&emulator, "Admin.S.A", "x\n1\n");
    let layout = json!({"#type": "ViewLayout", "viewStateMap": {}, "columns": ["x"]});
    api(&emulator, "POST", &format!("/public/v1/dashboards/D/{id}"))
        .body(layout.to_string())
        .send()
        .ok();
    assert_eq!(emulator.inspect()["dashboards"][0]["layout"], layout);
    let unknown = uuid::Uuid::new_v4();
    let message = api(
        &emulator,
        "POST",
        &format!("/public/v1/dashboards/D/{id},{unknown}"),
    )
    .send()
    .api_error();
    assert!(message.contains(&unknown.to_string()), "{message}");
    let message = api(&emulator, "POST", &format!("/public/v1/dashboards/D/{id}"))
        .body("{\"#type\": ")
        .send()
        .api_error();
    assert!(message.contains("not valid JSON"), "{message}");
    assert_eq!(
        emulator.inspect()["dashboards"].as_array().unwrap().len(),
        1
    );
}

fn dashboard(emulator: &grokform::emulator::Emulator) -> String {
    let table = upload_table(emulator, "Admin.S.A", "x\n1\n");
    api(
        emulator,
        "POST",
        &format!("/public/v1/dashboards/D/{table}"),
    )
    .send()
    .ok()
    .json()["ID"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn sharing_reports_shared_already_shared_and_failed() {
    let emulator = Server::new().start();
    let id = dashboard(&emulator);
    let share = |query: &str| {
        api(
            &emulator,
            "POST",
            &format!("/public/v1/entities/{id}/shares?{query}"),
        )
        .send()
        .ok()
        .json()
    };
    assert_eq!(
        share("groups=Analysts,johndoe&access=View"),
        json!({"status": "success", "shared": ["Analysts", "JohnDoe"], "alreadyShared": [], "failed": []})
    );
    assert_eq!(
        share("groups=Analysts,Nobody%20Here&access=View"),
        json!({"status": "partial_success", "shared": [], "alreadyShared": ["Analysts"], "failed": ["Nobody Here"]})
    );
    assert_eq!(
        share("groups=Ghosts"),
        json!({"status": "failed", "shared": [], "alreadyShared": [], "failed": ["Ghosts"]})
    );
    // raising View to Edit is a new grant
    assert_eq!(
        share("groups=Analysts&access=Edit")["shared"],
        json!(["Analysts"])
    );
    let shares = emulator.inspect()["shares"].clone();
    assert_eq!(
        shares.as_array().unwrap().len(),
        2,
        "one grant per group: {shares}"
    );
    assert!(
        shares
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["group"] == "Analysts" && s["access"] == "Edit")
    );
}

#[test]
fn sharing_with_the_older_form_and_its_errors() {
    let emulator = Server::new().start();
    let id = dashboard(&emulator);
    let answer = api(
        &emulator,
        "GET",
        &format!("/public/v1/dashboards/{id}/shares?groups=Managers&access=Edit"),
    )
    .send();
    assert_eq!(answer.ok().json()["shared"], json!(["Managers"]));
    let unknown = uuid::Uuid::new_v4();
    api(
        &emulator,
        "POST",
        &format!("/public/v1/entities/{unknown}/shares?groups=Managers"),
    )
    .send()
    .api_error();
    api(
        &emulator,
        "POST",
        &format!("/public/v1/entities/{id}/shares?groups=Managers&access=Own"),
    )
    .send()
    .api_error();
    api(
        &emulator,
        "POST",
        &format!("/public/v1/entities/{id}/shares"),
    )
    .send()
    .api_error();
}

#[test]
fn extra_groups_from_the_config_can_be_shared_with() {
    let emulator = Server::new().group("Chemists").start();
    let id = dashboard(&emulator);
    let answer = api(
        &emulator,
        "POST",
        &format!("/public/v1/entities/{id}/shares?groups=chemists"),
    )
    .send();
    assert_eq!(answer.ok().json()["shared"], json!(["Chemists"]));
}
