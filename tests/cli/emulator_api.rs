//! Conformance: one test per documented behaviour of `datagrok-api.md`, over real HTTP against
//! the real emulator.

use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, multipart, raw, upload_table};

fn start() -> grokform::emulator::Emulator {
    Server::new().start()
}

// ---- connection ----

#[test]
fn healthcheck_answers_ok_with_its_fields() {
    let emulator = start();
    let body = api(&emulator, "GET", "/public/v1/healthcheck")
        .send()
        .ok()
        .json();
    assert_eq!(body["status"], "ok");
    for field in ["server", "version", "time", "services"] {
        assert!(!body[field].is_null(), "missing `{field}` in {body}");
    }
}

#[test]
fn a_missing_or_wrong_key_is_401_and_the_key_is_never_echoed() {
    let emulator = start();
    let missing = api(&emulator, "GET", "/public/v1/healthcheck")
        .without_auth()
        .send();
    assert_eq!(missing.status, 401);
    let wrong = api(&emulator, "GET", "/public/v1/healthcheck")
        .without_auth()
        .header("Authorization", "Bearer secret-guess-123")
        .send();
    assert_eq!(wrong.status, 401);
    assert!(!wrong.text().contains("secret-guess-123"));
    // Datagrok's Python client passes whatever it is given as the header; a bare key works too
    api(&emulator, "GET", "/public/v1/healthcheck")
        .without_auth()
        .header("Authorization", "grokform-local")
        .send()
        .ok();
    assert_eq!(
        raw(&emulator, "GET", "/_emulator/inspect")
            .without_auth()
            .send()
            .status,
        401
    );
}

#[test]
fn a_url_without_api_and_unknown_routes_answer_html_404() {
    let emulator = start();
    for target in ["/", "/public/v1/healthcheck", "/apix/public/v1/healthcheck"] {
        let answer = raw(&emulator, "GET", target).send();
        assert_eq!(answer.status, 404, "{target}");
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
    }
    let answer = api(&emulator, "GET", "/public/v1/no/such/route").send();
    assert_eq!(answer.status, 404);
    assert!(answer.text().contains("<html>"));
}

// ---- errors ----

#[test]
fn failures_use_the_http_200_api_error_envelope() {
    let emulator = start();
    let answer = api(&emulator, "GET", "/public/v1/tables/Nobody.Nothing.Here").send();
    let message = answer.api_error();
    assert!(message.contains("Nobody:Nothing:Here"), "{message}");
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
}

// ---- identifiers ----

#[test]
fn tables_are_addressed_by_uuid_or_grok_name_in_either_form() {
    let emulator = start();
    let id = upload_table(&emulator, "JohnDoe.Sales.Q1", "a\n1\n");
    for ident in [
        id.as_str(),
        "JohnDoe.Sales.Q1",
        "JohnDoe:Sales:Q1",
        "JohnDoe%3ASales%3AQ1",
        "johndoe.sales.q1",
    ] {
        let answer = api(&emulator, "GET", &format!("/public/v1/tables/{ident}")).send();
        assert_eq!(answer.ok().text(), "a\n1\n", "{ident}");
    }
}

#[test]
fn percent_encoded_segments_carry_spaces_and_unicode() {
    let emulator = start();
    let answer = api(
        &emulator,
        "POST",
        "/public/v1/tables/Admin.Q%C3%BCarterly%20Sales",
    )
    .body("a\n1\n")
    .send();
    assert_eq!(
        answer.ok().json()["Grok name"],
        "Admin:Qüarterly Sales:Qüarterly Sales"
    );
    api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/my%20dir/%C3%A9t%C3%A9.txt",
    )
    .body("x")
    .send()
    .ok();
    assert_eq!(emulator.inspect()["files"][0]["path"], "my dir/été.txt");
}

#[test]
fn connectors_match_case_insensitively_in_colon_and_period_forms() {
    let emulator = start();
    api(&emulator, "POST", "/public/v1/files/System.AppData/x.txt")
        .body("one")
        .send()
        .ok();
    for connector in ["system.appdata", "SYSTEM:APPDATA", "System%3AAppData"] {
        let answer = api(
            &emulator,
            "GET",
            &format!("/public/v1/files/{connector}/x.txt"),
        )
        .send();
        assert_eq!(answer.ok().text(), "one", "{connector}");
    }
}

// ---- files ----

#[test]
fn files_upload_download_and_replace_raw_bytes() {
    let emulator = start();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/deep/new/folders/blob.bin",
    )
    .header("Content-Type", "application/octet-stream")
    .body(bytes.clone())
    .send()
    .ok();
    let answer = api(
        &emulator,
        "GET",
        "/public/v1/files/System.AppData/deep/new/folders/blob.bin",
    )
    .send();
    assert_eq!(answer.ok().body, bytes);
    assert!(answer.header("etag").is_some());
    api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/deep/new/folders/blob.bin",
    )
    .body("replaced")
    .send()
    .ok();
    let answer = api(
        &emulator,
        "GET",
        "/public/v1/files/System.AppData/deep/new/folders/blob.bin",
    )
    .send();
    assert_eq!(answer.ok().text(), "replaced");
    let files = emulator.inspect()["files"].clone();
    assert_eq!(files.as_array().unwrap().len(), 1);
    assert_eq!(files[0]["size"], 8);
}

#[test]
fn files_delete_and_a_missing_file_is_an_api_error() {
    let emulator = start();
    api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/gone.txt",
    )
    .body("x")
    .send()
    .ok();
    api(
        &emulator,
        "DELETE",
        "/public/v1/files/System.AppData/gone.txt",
    )
    .send()
    .ok();
    let message = api(&emulator, "GET", "/public/v1/files/System.AppData/gone.txt")
        .send()
        .api_error();
    assert!(message.contains("gone.txt"), "{message}");
    api(
        &emulator,
        "DELETE",
        "/public/v1/files/System.AppData/gone.txt",
    )
    .send()
    .api_error();
    assert_eq!(emulator.inspect()["files"], json!([]));
}

#[test]
fn sync_answers_204_for_an_empty_folder() {
    let emulator = start();
    let answer = api(
        &emulator,
        "POST",
        "/public/v1/files/sync/System.AppData/empty?recursive=true",
    )
    .header("Content-Type", "application/json")
    .body("{}")
    .send();
    assert_eq!(answer.status, 204);
    assert!(answer.body.is_empty());
}

#[test]
fn sync_answers_multipart_with_etags_and_statuses() {
    let emulator = start();
    for (path, content) in [("d/a.csv", "a"), ("d/b.csv", "b"), ("d/sub/c.txt", "c")] {
        api(
            &emulator,
            "POST",
            &format!("/public/v1/files/System.AppData/{path}"),
        )
        .body(content)
        .send()
        .ok();
    }
    // first sync: everything is new, with content and an ETag
    let first = api(
        &emulator,
        "POST",
        "/public/v1/files/sync/System.AppData/d?recursive=true",
    )
    .body("{}")
    .send();
    first.ok();
    let parts = multipart(&first);
    let names: Vec<String> = parts.iter().map(|p| p.filename()).collect();
    assert_eq!(names, ["a.csv", "b.csv", "sub/c.txt"]);
    assert!(parts.iter().all(|p| p.header("X-File-Status").is_none()));
    assert_eq!(parts[0].content, b"a");
    let etag_a = parts[0].header("X-File-E-Tag").unwrap().to_owned();
    let etag_b = parts[1].header("X-File-E-Tag").unwrap().to_owned();

    // second sync: a unchanged, b changed, a file the client knows is gone
    api(&emulator, "POST", "/public/v1/files/System.AppData/d/b.csv")
        .body("b2")
        .send()
        .ok();
    let listing = json!({"a.csv": etag_a, "b.csv": etag_b, "old.csv": "123"}).to_string();
    let second = api(
        &emulator,
        "POST",
        "/public/v1/files/sync/System.AppData/d?recursive=false&ext=csv",
    )
    .body(listing)
    .send();
    let parts = multipart(&second);
    let summary: Vec<(String, Option<&str>, Vec<u8>)> = parts
        .iter()
        .map(|p| (p.filename(), p.header("X-File-Status"), p.content.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("a.csv".to_owned(), Some("not-modified"), Vec::new()),
            ("b.csv".to_owned(), None, b"b2".to_vec()),
            ("old.csv".to_owned(), Some("deleted"), Vec::new()),
        ]
    );
    assert_ne!(parts[1].header("X-File-E-Tag").unwrap(), etag_b);
}

// ---- tables ----

#[test]
fn table_upload_answers_id_grok_name_and_url() {
    let emulator = start();
    let answer = api(&emulator, "POST", "/public/v1/tables/JohnDoe.Sales.Q1")
        .header("Content-Type", "text/csv")
        .body("region,amount\nEU,3\n")
        .send();
    let body = answer.ok().json().clone();
    assert!(uuid::Uuid::parse_str(body["ID"].as_str().unwrap()).is_ok());
    assert_eq!(body["Grok name"], "JohnDoe:Sales:Q1");
    let url = body["URL"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("http://{}/p/", emulator.addr())),
        "{url}"
    );
}

#[test]
fn table_names_bare_two_part_and_three_part() {
    let emulator = start();
    let name = |ident: &str| {
        api(&emulator, "POST", &format!("/public/v1/tables/{ident}"))
            .body("a\n1\n")
            .send()
            .ok()
            .json()["Grok name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(name("Cars"), "Admin:Cars:Cars");
    assert_eq!(name("JohnDoe.Sales"), "JohnDoe:Sales:Sales");
    assert_eq!(name("JohnDoe.Sales.Q1"), "JohnDoe:Sales:Q1");
    api(&emulator, "POST", "/public/v1/tables/A.B.C.D")
        .body("a\n1\n")
        .send()
        .api_error();
}

#[test]
fn reuploading_a_name_keeps_the_id_and_replaces_the_data() {
    let emulator = start();
    let first = upload_table(&emulator, "JohnDoe.Sales.Q1", "a\n1\n");
    let second = upload_table(&emulator, "johndoe.SALES.q1", "a,b\n1,2\n3,4\n");
    assert_eq!(first, second);
    let answer = api(&emulator, "GET", &format!("/public/v1/tables/{first}")).send();
    assert_eq!(answer.ok().text(), "a,b\n1,2\n3,4\n");
    let tables = emulator.inspect()["tables"].clone();
    assert_eq!(tables.as_array().unwrap().len(), 1);
    assert_eq!(tables[0]["rows"], 2);
    assert_eq!(tables[0]["columns"], json!(["a", "b"]));
    assert_eq!(tables[0]["name"], "JohnDoe:Sales:Q1");
}

#[test]
fn table_download_returns_the_bytes_as_uploaded() {
    let emulator = start();
    let csv = "name,note\r\n\"Smith, J\",\"two\nlines\"\r\nLi,\"\"\"quoted\"\"\"\r\n";
    let id = upload_table(&emulator, "Admin.People.People", csv);
    let answer = api(&emulator, "GET", &format!("/public/v1/tables/{id}")).send();
    assert_eq!(answer.ok().text(), csv);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(emulator.inspect()["tables"][0]["rows"], 2);
}

#[test]
fn table_upload_rejects_bad_csv_and_stores_nothing() {
    let emulator = start();
    for (body, expected) in [
        (&b""[..], "empty"),
        (b"a,b\n1,2\n3\n", "line 3"),
        (b"a,b\n\xff\xfe,1\n", "UTF-8"),
    ] {
        let message = api(&emulator, "POST", "/public/v1/tables/Bad")
            .body(body)
            .send()
            .api_error();
        assert!(message.contains(expected), "{message}");
    }
    assert_eq!(emulator.inspect()["tables"], json!([]));
    let leftovers = std::fs::read_dir(emulator.data_dir().join("tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0, "rejected uploads leave no temp files");
}

// ---- dashboards ----

#[test]
fn dashboards_are_created_from_table_ids_with_a_new_id_every_time() {
    let emulator = start();
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
    let emulator = start();
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

// ---- shares ----

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
    let emulator = start();
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
    let emulator = start();
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

// ---- functions ----

#[test]
fn functions_answer_scalars_bare_on_both_paths() {
    let emulator = start();
    let call = |path: &str, body: &str| api(&emulator, "POST", path).body(body.to_owned()).send();
    assert_eq!(
        call("/public/v1/functions/Sin/call", r#"{"x":0}"#)
            .ok()
            .text(),
        "0"
    );
    assert_eq!(call("/public/v1/Abs/call", r#"{"x":-4}"#).ok().text(), "4");
    assert_eq!(
        call("/public/v1/functions/Echo/call", r#"{"a":[1,"b"]}"#)
            .ok()
            .json(),
        json!({"a": [1, "b"]})
    );
    let id = upload_table(&emulator, "Admin.S.A", "x\n1\n2\n");
    assert_eq!(
        call(
            "/public/v1/functions/Demo.RefreshCaches/call",
            &json!({"table": id}).to_string()
        )
        .ok()
        .json(),
        json!({"refreshed": id, "rows": 2})
    );
    call(
        "/public/v1/functions/Demo.RefreshCaches/call",
        r#"{"table":"Admin.S.A"}"#,
    )
    .api_error();
    let calls = emulator.inspect()["calls"].clone();
    let names: Vec<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["function"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sin", "Abs", "Echo", "Demo:RefreshCaches"]);
    assert_eq!(calls[0]["params"], json!({"x": 0}));
}

#[test]
fn an_unknown_function_is_an_api_error_and_bad_params_too() {
    let emulator = start();
    let message = api(&emulator, "POST", "/public/v1/functions/Nope.Missing/call")
        .body("{}")
        .send()
        .api_error();
    assert!(message.contains("Nope.Missing"), "{message}");
    api(&emulator, "POST", "/public/v1/functions/Sin/call")
        .body("[1]")
        .send()
        .api_error();
    api(&emulator, "POST", "/public/v1/functions/Sin/call")
        .body("{}")
        .send()
        .api_error();
    assert_eq!(emulator.inspect()["calls"], json!([]));
}

#[test]
fn registered_functions_can_be_called() {
    let emulator = start();
    emulator.register_function("Chem:Weight", |params| {
        let atoms = params
            .get("atoms")
            .and_then(|v| v.as_u64())
            .ok_or("`atoms` is required")?;
        Ok(json!(atoms * 12))
    });
    let answer = api(&emulator, "POST", "/public/v1/functions/chem.weight/call")
        .body(r#"{"atoms":3}"#)
        .send();
    assert_eq!(answer.ok().text(), "36");
    let message = api(&emulator, "POST", "/public/v1/functions/Chem.Weight/call")
        .body("{}")
        .send()
        .api_error();
    assert!(message.contains("`atoms` is required"), "{message}");
}

// ---- inspection ----

#[test]
fn the_request_log_keeps_arrival_order_and_statuses() {
    let emulator = start();
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
    let emulator = start();
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
