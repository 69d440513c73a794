//! Conformance of the files routes: raw bytes up and down, replace, delete, and `sync` with its
//! multipart answer, ETags and statuses.

use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, multipart};

#[test]
fn files_upload_download_and_replace_raw_bytes() {
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
    let emulator = Server::new().start();
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
