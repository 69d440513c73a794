//! What is sent again and what a failure says happened: a request that must not be repeated
//! (a dashboard create, a function call) is retried only after an answer proving it was not
//! processed, and any other failure names exactly what came back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::{Reply, Server, client_for};
use crate::client::{ClientError, Outcome};

fn ids() -> Vec<String> {
    vec!["t-1".to_string()]
}

#[tokio::test]
async fn a_429_is_retried_for_a_dashboard_create() {
    let server = Server::replies(vec![
        Reply::new(429, "slow down"),
        Reply::new(429, "slow down").header("retry-after", "0"),
        Reply::new(200, r#"{"ID":"d-1"}"#),
    ])
    .await;
    let info = server
        .client()
        .create_dashboard("D", &ids(), None)
        .await
        .unwrap();
    assert_eq!(info.id, "d-1");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_503_with_retry_after_is_retried_for_a_function_call() {
    let server = Server::replies(vec![
        Reply::new(503, "busy").header("retry-after", "0"),
        Reply::new(503, "busy").header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
        Reply::new(200, "0"),
    ])
    .await;
    let result = server
        .client()
        .call_function("Sin", &serde_json::Map::new())
        .await
        .unwrap();
    assert_eq!(result, serde_json::json!(0));
    assert_eq!(
        server.requests(),
        ["POST /public/v1/functions/Sin/call"; 3],
        "the same route each time"
    );
}

#[tokio::test]
async fn unprocessed_answers_that_outlast_the_retries_are_not_ambiguous() {
    let server = Server::replies(vec![Reply::new(429, "slow down"); 10]).await;
    let err = server
        .client()
        .create_dashboard("D", &ids(), None)
        .await
        .unwrap_err();
    assert_eq!(server.seen().len(), 4, "1 attempt + 3 retries");
    assert!(!err.is_ambiguous(), "{err:?}");
    assert_eq!(err.outcome().to_string(), "answered 429 Too Many Requests");
}

#[tokio::test]
async fn answers_that_may_hide_a_create_are_ambiguous_and_named() {
    let api_500 = Reply::new(500, r##"{"#type":"ApiError","message":"Internal error"}"##);
    let server = Server::replies(vec![
        Reply::new(502, "<html><body>Bad gateway</body></html>"),
        Reply::new(503, "busy"),
        api_500,
        Reply::new(400, "bad"),
    ])
    .await;
    let client = server.client();
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        let err = client
            .create_dashboard("D", &ids(), None)
            .await
            .unwrap_err();
        outcomes.push((err.is_ambiguous(), err.outcome().to_string()));
    }
    assert_eq!(
        outcomes,
        [
            (true, "answered 502 Bad Gateway".to_string()),
            (true, "answered 503 Service Unavailable".to_string()),
            (
                true,
                "answered 500 Internal Server Error with an ApiError".to_string()
            ),
            (false, "answered 400 Bad Request".to_string()),
        ]
    );
    assert_eq!(server.seen().len(), 4, "none of them was sent twice");
}

/// A server that reads each request and closes the connection without answering; counts
/// the requests.
async fn dropping_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => received.extend_from_slice(&buffer[..n]),
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                // Dropping the socket closes the connection with no answer.
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_dropped_connection_is_retried_only_when_safe() {
    let (url, count) = dropping_server().await;
    let client = client_for(&url);
    let err = client
        .create_dashboard("D", &ids(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Dropped { .. }), "{err:?}");
    assert!(err.is_ambiguous());
    assert_eq!(
        err.outcome().to_string(),
        "lost its connection after the request was sent"
    );
    assert_eq!(
        err.to_string(),
        "`POST /public/v1/dashboards/D/t-1`: the connection dropped after the request was sent"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1, "a create is sent once");

    let err = client.healthcheck().await.unwrap_err();
    assert!(matches!(err, ClientError::Dropped { .. }), "{err:?}");
    assert!(!err.is_ambiguous(), "a read is never ambiguous");
    assert_eq!(count.load(Ordering::SeqCst), 1 + 4, "a read is retried");
}

#[tokio::test]
async fn a_create_that_never_connected_is_retried_and_not_ambiguous() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let err = client_for(&url)
        .create_dashboard("D", &ids(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Network { .. }), "{err:?}");
    assert!(!err.is_ambiguous());
    assert_eq!(err.outcome(), Outcome::NotConnected);
}

#[tokio::test]
async fn a_read_that_hits_its_deadline_is_not_tried_again() {
    let server = Server::replies(vec![Reply::hang(); 4]).await;
    let client = server.client_with_read_deadline(Duration::from_millis(200));
    let err = client.project("p-1").await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(!err.is_ambiguous());
    assert_eq!(err.outcome().to_string(), "got no answer within 200ms");
    assert_eq!(server.seen().len(), 1);
}
