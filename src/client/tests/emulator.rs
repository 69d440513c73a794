//! The public routes the read layer uses, against the built-in emulator: the sync route's real
//! multipart answer, a table's CSV hashed as it streams, and a rate-limited create retried.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::fast_options;
use crate::client::{ApiKey, Client, FileStatus};
use crate::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig, FaultKind, FaultRule};

async fn start() -> (Emulator, Client) {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let key = ApiKey::new(DEFAULT_API_KEY.into()).unwrap();
    let client = Client::new(&emulator.url(), key, fast_options()).unwrap();
    (emulator, client)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn file_etags_read_the_emulators_sync_answer() {
    let (_emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    std::fs::write(&a, "x,y\r\n1,2\r\n").unwrap();
    std::fs::write(&b, vec![b'z'; 300_000]).unwrap();
    for (path, source) in [("Sales/a.csv", &a), ("Sales/b.csv", &b)] {
        client
            .upload_file("System:AppData", path, source, None)
            .await
            .unwrap();
    }
    let first = client
        .file_etags(
            "System:AppData",
            "Sales",
            true,
            Some("csv"),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2, "{first:?}");
    let content = first["b.csv"].content.as_ref().unwrap();
    assert_eq!(content.bytes, 300_000);
    assert_eq!(content.sha256, sha256(&std::fs::read(&b).unwrap()));
    assert_eq!(
        first["a.csv"].content.as_ref().unwrap().sha256,
        sha256(b"x,y\r\n1,2\r\n")
    );

    let known: BTreeMap<String, String> = [
        ("a.csv".to_string(), first["a.csv"].etag.clone().unwrap()),
        ("gone.csv".to_string(), "e-old".to_string()),
    ]
    .into();
    let second = client
        .file_etags("System:AppData", "Sales", true, Some("csv"), &known)
        .await
        .unwrap();
    assert_eq!(second["a.csv"].status, FileStatus::NotModified);
    assert_eq!(second["b.csv"].status, FileStatus::Changed);
    assert_eq!(second["gone.csv"].status, FileStatus::Deleted);
}

#[tokio::test]
async fn a_table_digest_matches_its_download() {
    let (_emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    let text: String = (0..20_000).map(|i| format!("{i},v{i}\n")).collect();
    std::fs::write(&csv, format!("n,v\n{text}")).unwrap();
    let table = client.upload_table("JohnDoe:T", &csv, None).await.unwrap();
    let digest = client.table_digest(&table.id).await.unwrap().unwrap();
    let downloaded = client.download_table(&table.id).await.unwrap();
    assert_eq!(digest.sha256, sha256(&downloaded));
    assert_eq!(digest.bytes, downloaded.len() as u64);
    let missing = uuid::Uuid::new_v4().to_string();
    assert_eq!(client.table_digest(&missing).await.unwrap(), None);
}

#[tokio::test]
async fn a_rate_limited_dashboard_create_is_retried_once_created() {
    let (emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a\n1\n").unwrap();
    let table = client.upload_table("JohnDoe:T", &csv, None).await.unwrap();
    emulator.add_fault(FaultRule {
        method: Some("POST".into()),
        path_prefix: Some("/public/v1/dashboards".into()),
        kind: FaultKind::Status {
            status: 429,
            retry_after_secs: Some(0),
        },
        count: Some(2),
    });
    client
        .create_dashboard("D", &[table.id], None)
        .await
        .unwrap();
    assert_eq!(
        emulator.inspect()["dashboards"].as_array().unwrap().len(),
        1
    );
    let creates = emulator
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/public/v1/dashboards"))
        .count();
    assert_eq!(creates, 3, "two 429s, then the create");
}
