//! Bad input (path traversal, malformed bodies, wrong methods, huge headers, invalid UTF-8),
//! persistence across restarts, and concurrent uploads.

use std::path::Path;

use serde_json::json;

use crate::support::http::{api, upload_table};
use crate::support::{Server, wait_until};

fn start() -> grokform::emulator::Emulator {
    Server::new().start()
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    found.sort();
    found
}

#[test]
fn path_traversal_never_writes_outside_the_data_folder() {
    let sandbox = tempfile::tempdir().unwrap();
    let data = sandbox.path().join("data");
    let emulator = Server::new().data(&data).start();
    let attempts = [
        "/public/v1/files/System.AppData/../../../escaped.txt",
        "/public/v1/files/System.AppData/a/../../escaped.txt",
        "/public/v1/files/System.AppData/%2e%2e/%2e%2e/escaped.txt",
        "/public/v1/files/System.AppData/%2E%2E%2F%2E%2E%2Fescaped.txt",
        "/public/v1/files/System.AppData/..%5C..%5Cescaped.txt",
        "/public/v1/files/System.AppData//etc/escaped.txt",
        "/public/v1/files/System.AppData/%2Fetc%2Fescaped.txt",
        "/public/v1/files/System.AppData/C:%5Cescaped.txt",
        "/public/v1/files/System.AppData/a%00b.txt",
        "/public/v1/files/../escaped.txt",
        "/public/v1/files/%2e%2e/escaped.txt",
        "/public/v1/files/System.AppData/./escaped.txt",
        "/public/v1/tables/..%2F..%2Fescaped",
    ];
    for path in attempts {
        let answer = api(&emulator, "POST", path).body("a\n1\n").send();
        assert!(
            answer.status == 404 || answer.header("api-error").is_some(),
            "{path} was accepted: {} {}",
            answer.status,
            answer.text()
        );
        assert!(
            api(&emulator, "GET", path).send().status != 200
                || api(&emulator, "GET", path)
                    .send()
                    .header("api-error")
                    .is_some()
        );
    }
    // sync keys cannot reach out either
    api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/in/ok.txt",
    )
    .body("x")
    .send()
    .ok();
    let answer = api(&emulator, "POST", "/public/v1/files/sync/System.AppData/in")
        .body(r#"{"../../state.json":"1","/etc/passwd":"2"}"#)
        .send();
    answer.ok();
    assert!(!answer.text().contains("state.json") && !answer.text().contains("passwd"));
    drop(emulator);
    let outside: Vec<String> = tree(sandbox.path())
        .into_iter()
        .filter(|p| !p.starts_with("data"))
        .collect();
    assert_eq!(outside, Vec::<String>::new());
    // the one file stored is one blob; nothing else was written
    let inside = tree(&data);
    assert_eq!(inside.len(), 3, "{inside:?}");
    assert!(inside[0].starts_with("blobs/"), "{inside:?}");
    assert_eq!(inside[1..], ["emulator.lock", "state.json"]);
}

#[test]
fn malformed_bodies_and_wrong_methods_get_clean_answers() {
    let emulator = start();
    let table = upload_table(&emulator, "Cars", "a\n1\n");
    for (path, body) in [
        (format!("/public/v1/dashboards/D/{table}"), "{not json"),
        ("/public/v1/functions/Echo/call".to_owned(), "{\"a\": "),
        (
            "/public/v1/functions/Echo/call".to_owned(),
            "\"just a string\"",
        ),
        ("/public/v1/files/sync/System.AppData/x".to_owned(), "[1,2]"),
        (
            "/public/v1/files/sync/System.AppData/x".to_owned(),
            "{\"a\": 1}",
        ),
        (
            "/public/v1/tables/Broken".to_owned(),
            "a,b\n\"unclosed,2\n3,4",
        ),
    ] {
        let answer = api(&emulator, "POST", &path).body(body).send();
        answer.api_error();
    }
    for (method, path, allowed) in [
        ("PUT", "/public/v1/tables/Cars", "GET, POST"),
        ("DELETE", "/public/v1/healthcheck", "GET"),
        ("GET", "/public/v1/functions/Sin/call", "POST"),
        (
            "PATCH",
            "/public/v1/files/System.AppData/x",
            "GET, POST, DELETE",
        ),
        ("GET", "/public/v1/files/sync/System.AppData/x", "POST"),
    ] {
        let answer = api(&emulator, method, path).send();
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.header("allow"), Some(allowed));
    }
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();
}

#[test]
fn invalid_utf8_in_paths_and_bodies_is_an_api_error() {
    let emulator = start();
    for path in [
        "/public/v1/tables/%FF%FE",
        "/public/v1/files/System.AppData/%C3%28.txt",
        "/public/v1/functions/%FF/call",
    ] {
        api(&emulator, "POST", path)
            .body("a\n1\n")
            .send()
            .api_error();
    }
    api(&emulator, "POST", "/public/v1/functions/Echo/call")
        .body(&b"{\"a\":\"\xff\"}"[..])
        .send()
        .api_error();
    assert_eq!(emulator.inspect()["files"], json!([]));
}

#[test]
fn huge_headers_are_refused_without_harm() {
    let emulator = start();
    let answer = api(&emulator, "GET", "/public/v1/healthcheck")
        .header("X-Huge", &"a".repeat(2 * 1024 * 1024))
        .try_send();
    if let Some(answer) = answer {
        assert_eq!(answer.status, 431);
    }
    let long_path = format!("/public/v1/tables/{}", "x".repeat(100_000));
    let answer = api(&emulator, "GET", &long_path).try_send();
    assert!(answer.is_none_or(|a| a.status != 200 || a.header("api-error").is_some()));
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();
}

#[test]
fn everything_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new().data(data.path());
    let (before, table) = {
        let emulator = server.start();
        let table = upload_table(&emulator, "JohnDoe.Sales.Q1", "a,b\n1,2\n");
        api(
            &emulator,
            "POST",
            "/public/v1/files/System.AppData/dir/f.bin",
        )
        .body(vec![7u8; 10_000])
        .send()
        .ok();
        let dashboard = api(
            &emulator,
            "POST",
            &format!("/public/v1/dashboards/D/{table}"),
        )
        .body(r##"{"#type":"ViewLayout"}"##)
        .send()
        .json()["ID"]
            .as_str()
            .unwrap()
            .to_owned();
        api(
            &emulator,
            "POST",
            &format!("/public/v1/entities/{dashboard}/shares?groups=Analysts"),
        )
        .send()
        .ok();
        api(&emulator, "POST", "/public/v1/functions/Sin/call")
            .body(r#"{"x":0}"#)
            .send()
            .ok();
        (emulator.inspect(), table)
    };
    let emulator = server.start();
    assert_eq!(emulator.inspect(), before);
    let answer = api(&emulator, "GET", "/public/v1/tables/JohnDoe.Sales.Q1").send();
    assert_eq!(answer.ok().text(), "a,b\n1,2\n");
    let answer = api(
        &emulator,
        "GET",
        "/public/v1/files/system.appdata/dir/f.bin",
    )
    .send();
    assert_eq!(answer.ok().body, vec![7u8; 10_000]);
    // same name after restart, same ID
    assert_eq!(upload_table(&emulator, "JohnDoe.Sales.Q1", "a\n1\n"), table);
    // re-sharing after restart is remembered
    let dashboard = before["dashboards"][0]["id"].as_str().unwrap();
    let answer = api(
        &emulator,
        "POST",
        &format!("/public/v1/entities/{dashboard}/shares?groups=Analysts"),
    )
    .send();
    assert_eq!(answer.json()["alreadyShared"], json!(["Analysts"]));
}

#[test]
fn a_corrupt_state_file_is_a_clear_start_error() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("state.json"), "{ not json").unwrap();
    let error = Server::new().data(data.path()).try_start().unwrap_err();
    assert!(error.to_string().contains("state.json"), "{error}");
}

#[test]
fn sixty_four_concurrent_uploads_complete_correctly() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new().data(data.path());
    let emulator = server.start();
    let results: Vec<(usize, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let emulator = &emulator;
                scope.spawn(move || {
                    let mut csv = String::from("i,square\n");
                    for row in 0..(i * 50) {
                        csv.push_str(&format!("{row},{}\n", row * row));
                    }
                    let id = upload_table(emulator, &format!("Admin.Load.T{i:02}"), &csv);
                    api(
                        emulator,
                        "POST",
                        &format!("/public/v1/files/System.AppData/load/{i}.csv"),
                    )
                    .body(csv)
                    .send()
                    .ok();
                    (i, id)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let inspected = emulator.inspect();
    let tables = inspected["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 64);
    assert_eq!(inspected["files"].as_array().unwrap().len(), 64);
    for (i, id) in &results {
        let table = tables
            .iter()
            .find(|t| t["id"] == id.as_str())
            .expect("every ID is listed");
        assert_eq!(table["name"], format!("Admin:Load:T{i:02}"));
        assert_eq!(table["rows"], i * 50);
        let answer = api(&emulator, "GET", &format!("/public/v1/tables/{id}")).send();
        assert_eq!(answer.ok().text().lines().count(), i * 50 + 1);
    }
    // the saved state agrees with memory
    drop(emulator);
    let restarted = server.start();
    assert_eq!(restarted.inspect(), inspected);
}

#[test]
fn dropping_the_handle_stops_the_server_and_removes_its_temp_folder() {
    let emulator = start();
    upload_table(&emulator, "Cars", "a\n1\n");
    let (addr, folder) = (emulator.addr(), emulator.data_dir());
    assert!(folder.exists());
    drop(emulator);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening"
    );
    assert!(!folder.exists(), "the temp folder outlived the emulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_start_serves_inside_a_callers_runtime() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let emulator = Server::new().start_async().await;
    assert!(emulator.url().ends_with("/api"));
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("{}/public/v1/tables/Cars", emulator.url()))
        .bearer_auth(grokform::emulator::DEFAULT_API_KEY)
        .header("Content-Type", "text/csv")
        .body("a\n1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["Grok name"], "Admin:Cars:Cars");
    let addr = emulator.addr();
    drop(emulator);
    // The aborted server task lets go of its listener when the runtime next drops it: soon,
    // but later on a loaded machine, so wait for it (bounded) rather than for a fixed time.
    let deadline = std::time::Instant::now() + crate::support::process::PATIENCE;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "still listening long after the drop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn an_upload_cut_short_by_the_client_stores_nothing() {
    use std::io::Write;
    let emulator = start();
    let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
    write!(
        stream,
        "POST /api/public/v1/files/System.AppData/partial.bin HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer grokform-local\r\nContent-Length: 1000000\r\n\r\n"
    )
    .unwrap();
    stream.write_all(&[1u8; 5000]).unwrap();
    drop(stream);
    // the server notices the closed connection, answers nobody, and cleans up
    wait_until("the server has finished with the cut request", || {
        emulator.requests().last().is_some_and(|r| r.status != 0)
    });
    assert_eq!(emulator.inspect()["files"], json!([]));
    let leftovers = std::fs::read_dir(emulator.data_dir().join("tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0);
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();
}

#[test]
fn two_emulators_cannot_share_a_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::new().data(data.path());
    let first = server.start();
    let error = server.try_start().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("in use by another running emulator"),
        "{error}"
    );
    drop(first);
    server.try_start().expect("the folder is free again");
}

#[test]
fn a_rejected_upload_still_gets_its_error_read_by_the_client() {
    // the error comes before the body is read; a client still sending 8 MiB must get it, not a
    // reset connection
    let emulator = start();
    let message = api(
        &emulator,
        "POST",
        "/public/v1/files/System.AppData/../x.bin",
    )
    .body(vec![0u8; 8 * 1024 * 1024])
    .send()
    .api_error();
    assert!(message.contains("`..`"), "{message}");
    let message = api(&emulator, "POST", "/public/v1/tables/A.B.C.D")
        .body(vec![b'a'; 8 * 1024 * 1024])
        .send()
        .api_error();
    assert!(message.contains("more than three parts"), "{message}");
}
