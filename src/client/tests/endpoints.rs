//! The public routes: what goes on the wire, how answers and failures are read.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{KEY, Server, client_for, ok};
use crate::client::{ApiKey, Client, ClientError, ClientOptions, Progress};
use crate::model::Access;

#[test]
fn base_urls_are_normalised_and_checked() {
    let c = client_for("https://example.com/api///");
    assert_eq!(c.base_url(), "https://example.com/api");
    let key = || ApiKey::new(KEY.into()).unwrap();
    for bad in ["ftp://x/api", "not a url", "https://x/api?a=1"] {
        assert!(matches!(
            Client::new(bad, key(), ClientOptions::default()),
            Err(ClientError::BadUrl { .. })
        ));
    }
    let err = Client::new("https://me:pw@x/api", key(), ClientOptions::default()).unwrap_err();
    assert!(!err.to_string().contains("pw"), "{err}");
    assert!(!format!("{c:?}").contains(KEY));
}

#[tokio::test]
async fn healthcheck_sends_the_bearer_key_and_reads_the_answer() {
    let server = Server::start(vec![ok(
        r#"{"status":"ok","server":"s","version":"1.0","services":[]}"#,
    )])
    .await;
    let health = server.client().healthcheck().await.unwrap();
    assert!(health.is_ok());
    let seen = server.seen();
    assert_eq!(seen[0].uri, "/api/public/v1/healthcheck");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer test-key-0123")
    );
}

#[tokio::test]
async fn healthcheck_names_the_cause_of_each_failure() {
    let server = Server::start(vec![
        (
            200,
            vec![("content-type", "text/html".into())],
            "<!DOCTYPE html><html>web ui</html>".into(),
        ),
        (404, vec![], "<html>not found</html>".into()),
        (401, vec![], "".into()),
        ok(r#"{"hello":"world"}"#),
    ])
    .await;
    let client = server.client();
    for expected in [
        "not_datagrok",
        "not_datagrok",
        "unauthorized",
        "not_datagrok",
    ] {
        let err = client.healthcheck().await.unwrap_err();
        let code = miette::Diagnostic::code(&err).unwrap().to_string();
        assert_eq!(code, format!("grokform::client::{expected}"), "{err}");
        assert!(!err.to_string().contains(KEY));
    }

    // Nothing listens: a network error naming the URL, after the retries.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let err = client_for(&url).healthcheck().await.unwrap_err();
    assert!(matches!(err, ClientError::Network { .. }), "{err:?}");
    assert!(err.to_string().contains(&url), "{err}");
    assert!(!err.may_have_committed());
}

#[tokio::test]
async fn api_errors_on_http_200_are_errors() {
    let server = Server::start(vec![
        (
            200,
            vec![("api-error", "true".into())],
            r##"{"#type":"ApiError","message":"Table `X` not found","errorCode":"NotFound"}"##
                .into(),
        ),
        ok(r##""{\"#type\":\"ApiError\",\"message\":\"Function not found\"}""##),
    ])
    .await;
    let client = server.client();
    let err = client.download_table("JohnDoe:X").await.unwrap_err();
    match &err {
        ClientError::Api {
            status,
            message,
            error_code,
            request,
            ..
        } => {
            assert_eq!(*status, 200);
            assert_eq!(message, "Table `X` not found");
            assert_eq!(error_code.as_deref(), Some("NotFound"));
            assert_eq!(request, "GET /public/v1/tables/JohnDoe.X");
        }
        other => panic!("{other:?}"),
    }
    let err = client
        .call_function("Demo:Missing", &serde_json::Map::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server refused `POST /public/v1/functions/Demo.Missing/call`: \"Function not found\""
    );
    assert!(!err.may_have_committed());
}

#[tokio::test]
async fn uploads_stream_the_file_with_its_length_and_retry_overload() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("data.bin");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &content).unwrap();
    let server = Server::start(vec![
        (503, vec![("retry-after", "0".into())], "busy".into()),
        (429, vec![], "slow down".into()),
        ok(""),
    ])
    .await;
    let reported = Arc::new(Mutex::new(0u64));
    let sink = reported.clone();
    let progress: Progress = Some(Arc::new(move |n| *sink.lock().unwrap() = n));
    server
        .client()
        .upload_file("System:AppData", "Sales/raw data/q1.bin", &source, progress)
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "two overload answers were retried");
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.uri,
            "/api/public/v1/files/System.AppData/Sales/raw%20data/q1.bin"
        );
        assert_eq!(s.content_type.as_deref(), Some("application/octet-stream"));
        assert_eq!(s.content_length.as_deref(), Some("300000"));
        assert_eq!(s.body, content, "every attempt sends the whole file again");
    }
    assert_eq!(*reported.lock().unwrap(), 300_000);
}

#[tokio::test]
async fn retries_give_up_after_the_configured_count() {
    let server = Server::start(vec![(503, vec![], "busy".into()); 10]).await;
    let err = server
        .client()
        .download_file("System:AppData", "a.csv")
        .await
        .unwrap_err();
    assert_eq!(server.seen().len(), 4, "1 attempt + 3 retries");
    assert!(
        matches!(err, ClientError::Http { status: 503, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn dashboard_creates_are_never_retried_after_reaching_the_server() {
    let server = Server::start(vec![
        (503, vec![], "busy".into()),
        (500, vec![], "boom".into()),
        (400, vec![], "bad".into()),
        ok(r#"{"ID":"d-1"}"#),
    ])
    .await;
    let client = server.client();
    let ids = vec!["t-1".to_string(), "t 2".to_string()];
    let err = client
        .create_dashboard("Sales Overview", &ids, None)
        .await
        .unwrap_err();
    assert!(err.may_have_committed(), "{err:?}");
    assert_eq!(server.seen().len(), 1);
    let err = client
        .create_dashboard("Sales Overview", &ids, None)
        .await
        .unwrap_err();
    assert!(err.may_have_committed());
    let err = client
        .create_dashboard("Sales Overview", &ids, None)
        .await
        .unwrap_err();
    assert!(
        !err.may_have_committed(),
        "a 4xx was refused, not carried out"
    );
    let info = client
        .create_dashboard("Sales Overview", &ids, Some(r##"{"#type":"ViewLayout"}"##))
        .await
        .unwrap();
    assert_eq!(info.id, "d-1");
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(
        seen[0].uri,
        "/api/public/v1/dashboards/Sales%20Overview/t-1,t%202"
    );
    assert_eq!(seen[0].body, b"");
    assert_eq!(seen[3].content_type.as_deref(), Some("application/json"));
    assert_eq!(seen[3].body, br##"{"#type":"ViewLayout"}"##);
}

#[tokio::test]
async fn fallbacks_happen_only_on_404() {
    let server = Server::start(vec![
        (404, vec![], "<html>no such route</html>".into()),
        ok("0"),
        (404, vec![], "<html>no such route</html>".into()),
        ok(r#"{"status":"success","shared":["Analysts"],"alreadyShared":["Team A"],"failed":[]}"#),
        (500, vec![], "boom".into()),
    ])
    .await;
    let client = server.client();
    let mut params = serde_json::Map::new();
    params.insert("x".into(), 0.into());
    assert_eq!(
        client.call_function("Sin", &params).await.unwrap(),
        serde_json::json!(0)
    );
    let groups = vec!["Analysts".to_string(), "Team A".to_string()];
    let outcome = client.share("d-1", &groups, Access::Edit).await.unwrap();
    assert_eq!(outcome.shared, ["Analysts"]);
    assert_eq!(outcome.already_shared, ["Team A"]);
    let err = client.call_function("Sin", &params).await.unwrap_err();
    assert!(err.may_have_committed());
    let seen: Vec<String> = server
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.uri))
        .collect();
    assert_eq!(
        seen,
        [
            "POST /api/public/v1/functions/Sin/call",
            "POST /api/public/v1/Sin/call",
            "POST /api/public/v1/entities/d-1/shares?groups=Analysts,Team%20A&access=Edit",
            "GET /api/public/v1/dashboards/d-1/shares?groups=Analysts,Team%20A&access=Edit",
            "POST /api/public/v1/functions/Sin/call",
        ]
    );
    assert_eq!(server.seen()[0].body, br#"{"x":0}"#);
}

#[tokio::test]
async fn missing_files_are_none_and_deleting_them_is_fine() {
    let server = Server::start(vec![
        (404, vec![], "".into()),
        ok("a,b\n1,2\n"),
        (404, vec![], "".into()),
    ])
    .await;
    let client = server.client();
    assert_eq!(
        client
            .download_file("System:AppData", "x.csv")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        client
            .download_file("System:AppData", "x.csv")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"a,b\n1,2\n"[..])
    );
    client.delete_file("System:AppData", "x.csv").await.unwrap();
    assert_eq!(server.seen()[2].method, "DELETE");
}

#[tokio::test]
async fn bad_names_are_refused_before_any_request() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a\n1\n").unwrap();
    let err = client
        .upload_table("JohnDoe:Sales.v2:Q1", &csv, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::BadName { .. }));
    let err = client
        .upload_table("JohnDoe:Sales:Q1", &dir.path().join("missing.csv"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Io { .. }));
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn the_key_never_appears_in_errors() {
    let server = Server::start(vec![(500, vec![], format!("echo: Bearer {KEY}"))]).await;
    let err = server.client().download_table("x").await;
    let err = err.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("Bearer ***"), "{shown}");
}

#[tokio::test]
async fn a_hanging_server_times_out_and_creates_report_ambiguity() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    // Accepts and reads, never answers.
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let _keep = socket;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let options = ClientOptions {
        timeout_json: Duration::from_millis(200),
        retries: 0,
        ..ClientOptions::default()
    };
    let client = Client::new(&url, ApiKey::new(KEY.into()).unwrap(), options).unwrap();
    let err = client
        .create_dashboard("D", &["t".into()], None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(err.may_have_committed());
}
