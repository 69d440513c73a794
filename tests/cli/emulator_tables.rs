//! Conformance of the tables routes: upload answers, Grok names of one to three parts, re-upload
//! under the same name, byte-exact download, and bad CSV stored nowhere.

use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, upload_table};

#[test]
fn table_upload_answers_id_grok_name_and_url() {
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
