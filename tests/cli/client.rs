//! The client against the real emulator over real HTTP: every route, the failure modes the
//! healthcheck must tell apart, and retries under injected faults, asserting on what the
//! server holds afterwards (not only on what the client says).

use std::sync::{Arc, Mutex};

use grokform::client::{ClientError, Progress};
use grokform::emulator::{DEFAULT_API_KEY, FaultKind, FaultRule};
use grokform::model::Access;

use crate::support::Server;
// Moved to `support`; re-exported for test files written against `crate::client`.
#[allow(unused_imports)]
pub use crate::support::{fast_options, start_with_client as start};

fn fault(method: &str, prefix: &str, kind: FaultKind, count: u32) -> FaultRule {
    FaultRule {
        method: Some(method.into()),
        path_prefix: Some(prefix.into()),
        kind,
        count: Some(count),
    }
}

#[tokio::test]
async fn healthcheck_passes_with_the_right_url_and_key() {
    let (_emulator, client) = start().await;
    let health = client.healthcheck().await.unwrap();
    assert_eq!(health.status, "ok");
}

#[tokio::test]
async fn healthcheck_tells_a_wrong_key_from_a_wrong_url() {
    let (emulator, _) = start().await;
    let wrong_key = crate::support::client_for(&emulator.url(), "not-the-key");
    let err = wrong_key.healthcheck().await.unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized { .. }), "{err:?}");
    assert!(!err.to_string().contains("not-the-key"));

    let without_api = emulator.url().trim_end_matches("/api").to_string();
    let wrong_url = crate::support::client_for(&without_api, DEFAULT_API_KEY);
    let err = wrong_url.healthcheck().await.unwrap_err();
    assert!(matches!(err, ClientError::NotDatagrok { .. }), "{err:?}");
    assert!(err.to_string().contains("does it end in `/api`?"), "{err}");
}

#[tokio::test]
async fn files_round_trip_with_names_that_need_encoding() {
    let (emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("sales.csv");
    let content = "région,total\nÎle-de-France,10\n".repeat(5000);
    std::fs::write(&source, &content).unwrap();
    let seen = Arc::new(Mutex::new(0u64));
    let sink = seen.clone();
    let progress: Progress = Some(Arc::new(move |n| *sink.lock().unwrap() = n));
    let path = "Sales 2026/raw #1/sales.csv";
    client
        .upload_file("System:AppData", path, &source, progress)
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), content.len() as u64);
    let back = client
        .download_file("System:AppData", path)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, content.as_bytes());
    let files = emulator.inspect()["files"].clone();
    assert_eq!(files[0]["path"], path, "{files}");

    client.delete_file("System:AppData", path).await.unwrap();
    assert_eq!(
        client.download_file("System:AppData", path).await.unwrap(),
        None
    );
    // Deleting what is gone is not an error (a retried delete may find it gone).
    client.delete_file("System:AppData", path).await.unwrap();
}

#[tokio::test]
async fn tables_dashboards_shares_and_calls() {
    let (emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("q1.csv");
    std::fs::write(&csv, "region,total\nEast,10\nWest,20\n").unwrap();
    let table = client
        .upload_table("JohnDoe:Sales:Q1", &csv, None)
        .await
        .unwrap();
    // Re-uploading the same name keeps the ID.
    let again = client
        .upload_table("JohnDoe:Sales:Q1", &csv, None)
        .await
        .unwrap();
    assert_eq!(table.id, again.id);
    let data = client.download_table(&table.id).await.unwrap();
    assert!(String::from_utf8_lossy(&data).contains("East"));

    let dashboard = client
        .create_dashboard(
            "Sales Overview",
            std::slice::from_ref(&table.id),
            Some(r#"{"columns":[]}"#),
        )
        .await
        .unwrap();
    let groups = vec!["Analysts".to_string(), "Managers".to_string()];
    let outcome = client
        .share(&dashboard.id, &groups, Access::View)
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    let outcome = client
        .share(&dashboard.id, &groups, Access::View)
        .await
        .unwrap();
    assert_eq!(outcome.already_shared.len(), 2, "{outcome:?}");

    let mut params = serde_json::Map::new();
    params.insert("x".into(), 0.into());
    assert_eq!(
        client.call_function("Sin", &params).await.unwrap(),
        serde_json::json!(0)
    );
    let err = client
        .call_function("Demo:NoSuchThing", &params)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Api { .. }), "{err:?}");
    assert!(!err.may_have_committed());

    let held = emulator.inspect();
    assert_eq!(held["dashboards"].as_array().unwrap().len(), 1);
    assert_eq!(held["shares"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn idempotent_requests_survive_transient_faults() {
    let (emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a\n1\n").unwrap();
    emulator.add_fault(fault(
        "POST",
        "/public/v1/tables",
        FaultKind::Status {
            status: 503,
            retry_after_secs: Some(0),
        },
        1,
    ));
    emulator.add_fault(fault("POST", "/public/v1/tables", FaultKind::Drop, 1));
    emulator.add_fault(fault(
        "POST",
        "/public/v1/tables",
        FaultKind::Status {
            status: 429,
            retry_after_secs: None,
        },
        1,
    ));
    client.upload_table("JohnDoe:T", &csv, None).await.unwrap();
    let posts = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 4, "{:?}", emulator.requests());
    assert_eq!(emulator.inspect()["tables"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_dashboard_create_that_may_have_committed_is_not_repeated() {
    let (emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a\n1\n").unwrap();
    let table = client.upload_table("JohnDoe:T", &csv, None).await.unwrap();
    emulator.add_fault(fault(
        "POST",
        "/public/v1/dashboards",
        FaultKind::CommitThenFail,
        1,
    ));
    let err = client
        .create_dashboard("D", std::slice::from_ref(&table.id), None)
        .await
        .unwrap_err();
    assert!(err.may_have_committed(), "{err:?}");
    assert_eq!(
        emulator.inspect()["dashboards"].as_array().unwrap().len(),
        1
    );

    emulator.add_fault(fault("POST", "/public/v1/dashboards", FaultKind::Drop, 1));
    let err = client
        .create_dashboard("D", &[table.id], None)
        .await
        .unwrap_err();
    assert!(err.may_have_committed(), "{err:?}");
    let creates = emulator
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/public/v1/dashboards"))
        .count();
    assert_eq!(creates, 2, "one attempt each, never retried");
}

/// The peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Uploads stream from disk: a 256 MiB upload to an emulator in another process raises this
/// process's peak memory by far less than the file. Ignored by default (it moves 256 MiB);
/// run with `cargo test --test cli upload_memory -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn upload_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    // Killed when dropped, however the test ends.
    let server = Server::new().data(dir.path().join("data")).spawn();
    let client = crate::support::client_for(&server.url(), server.key());
    let source = dir.path().join("big.bin");
    let size: u64 = 256 << 20;
    std::fs::File::create(&source)
        .unwrap()
        .set_len(size)
        .unwrap();
    client.healthcheck().await.unwrap();
    let before = peak_rss_kib();
    let started = std::time::Instant::now();
    client
        .upload_file("System:AppData", "big.bin", &source, None)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let after = peak_rss_kib();
    drop(server);
    println!(
        "uploaded {} MiB in {:.2?}; peak RSS {} MiB → {} MiB",
        size >> 20,
        elapsed,
        before / 1024,
        after / 1024
    );
    assert!(
        after - before < 64 * 1024,
        "peak grew by {} KiB",
        after - before
    );
}
