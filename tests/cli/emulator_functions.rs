//! Conformance of function calls: scalars answered bare on both paths, unknown functions and bad
//! parameters as API errors, and functions a test registers.

use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, upload_table};

#[test]
fn functions_answer_scalars_bare_on_both_paths() {
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
