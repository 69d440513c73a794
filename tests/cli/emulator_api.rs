//! Conformance with `datagrok-api.md`, one test per documented behaviour, over real HTTP against
//! the real emulator: connection and keys, the HTTP 200 `api-error` envelope, identifiers. The
//! routes of each kind have their own `emulator_*` file.

use crate::support::Server;
use crate::support::http::{api, raw, upload_table};

#[test]
fn healthcheck_answers_ok_with_its_fields() {
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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

#[test]
fn failures_use_the_http_200_api_error_envelope() {
    let emulator = Server::new().start();
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

#[test]
fn tables_are_addressed_by_uuid_or_grok_name_in_either_form() {
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
