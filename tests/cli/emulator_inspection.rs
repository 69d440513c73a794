//! The emulator's own routes for tests: the request log in arrival order with statuses, and the
//! inspection of everything held, over HTTP and through the handle alike.

use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, raw, upload_table};

#[test]
fn the_request_log_keeps_arrival_order_and_statuses() {
    let emulator = Server::new().start();
    api(&emulator, "GET", "/public/v1/healthcheck").send();
    api(&emulator, "GET", "/public/v1/tables/Missing").send();
    api(&emulator, "GET", "/public/v1/healthcheck")
        .without_auth()
        .send();
    api(&emulator, "GET", "/nowhere").send();
    let over_http = raw(&emulator, "GET", "/_emulator/requests")
        .send()
        .ok()
        .json();
    assert_eq!(
        over_http,
        json!([
            {"method": "GET", "path": "/public/v1/healthcheck", "status": 200},
            {"method": "GET", "path": "/public/v1/tables/Missing", "status": 200},
            {"method": "GET", "path": "/public/v1/healthcheck", "status": 401},
            {"method": "GET", "path": "/nowhere", "status": 404},
        ])
    );
    assert_eq!(
        serde_json::to_value(emulator.requests()).unwrap(),
        over_http
    );
}

#[test]
fn the_inspection_route_shows_everything_held() {
    let emulator = Server::new().start();
    let table = upload_table(&emulator, "Admin.S.T", "x\n1\n");
    api(&emulator, "POST", "/public/v1/files/System.AppData/f.txt")
        .body("abc")
        .send()
        .ok();
    let dashboard = api(
        &emulator,
        "POST",
        &format!("/public/v1/dashboards/D/{table}"),
    )
    .send()
    .json()["ID"]
        .clone();
    api(
        &emulator,
        "POST",
        &format!(
            "/public/v1/entities/{}/shares?groups=Analysts",
            dashboard.as_str().unwrap()
        ),
    )
    .send()
    .ok();
    api(&emulator, "POST", "/public/v1/functions/Sin/call")
        .body(r#"{"x":0}"#)
        .send()
        .ok();
    let inspected = raw(&emulator, "GET", "/_emulator/inspect")
        .send()
        .ok()
        .json();
    assert_eq!(inspected, emulator.inspect());
    assert_eq!(
        inspected,
        json!({
            "tables": [{"id": table, "name": "Admin:S:T", "rows": 1, "columns": ["x"], "bytes": 4}],
            "files": [{"connector": "System:AppData", "path": "f.txt", "size": 3,
                       "etag": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}],
            "dashboards": [{"id": dashboard, "name": "D", "table_ids": [table], "layout": null}],
            "shares": [{"entity_id": dashboard, "group": "Analysts", "access": "View"}],
            "calls": [{"function": "Sin", "params": {"x": 0}}],
        })
    );
}
