//! The client against a scripted local HTTP server: what goes on the wire and how answers,
//! envelopes, faults and retries are handled. (End-to-end tests against the emulator are in
//! `tests/`.) This file is the scripted server; the tests are grouped by area beside it.

mod emulator;
mod endpoints;
mod envelopes;
mod probe;
mod reads;
mod retries;
mod writes;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes as AxumBytes;
use axum::http::{HeaderMap, Method as AxumMethod, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::{ApiKey, Client, ClientOptions};

pub(super) const KEY: &str = "test-key-0123";

/// What the server saw of one request.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub method: String,
    pub uri: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<String>,
    pub body: Vec<u8>,
}

/// One scripted answer: status, headers, body.
pub(super) type Scripted = (u16, Vec<(&'static str, String)>, String);

/// One scripted answer, or a server that never answers.
#[derive(Clone, Debug)]
pub(super) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    hang: bool,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            hang: false,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Accepts the request and never answers.
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::new(200, "")
        }
    }

    /// Datagrok's failure envelope: HTTP 200, an `api-error` header, an `ApiError` body.
    pub fn api_error(message: &str) -> Reply {
        let body = serde_json::json!({"#type": "ApiError", "message": message}).to_string();
        Reply::new(200, &body).header("api-error", "true")
    }

    /// The same `ApiError` as a JSON string, without the header.
    pub fn api_error_string(message: &str) -> Reply {
        let inner = serde_json::json!({"#type": "ApiError", "message": message}).to_string();
        Reply::new(200, &serde_json::Value::String(inner).to_string())
    }

    /// An unknown route: 404 with an HTML page.
    pub fn html_404() -> Reply {
        Reply::new(404, "<!DOCTYPE html><html><body>Not found</body></html>")
            .header("content-type", "text/html")
    }
}

impl From<Scripted> for Reply {
    fn from((status, headers, body): Scripted) -> Reply {
        Reply {
            status,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            body,
            hang: false,
        }
    }
}

pub(super) fn ok(body: &str) -> Scripted {
    (200, vec![], body.into())
}

#[derive(Default)]
struct Script {
    /// Standing answers for `METHOD /path` prefixes (the path after `/api`), checked first.
    routes: Vec<(String, Reply)>,
    /// Answers given in order to requests no route matches.
    answers: VecDeque<Reply>,
    seen: Vec<Seen>,
}

pub(super) struct Server {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Server {
    /// A server that answers `answers` in order, then `200 {}`.
    pub async fn start(answers: Vec<Scripted>) -> Server {
        Self::scripted(Vec::new(), answers.into_iter().map(Reply::from).collect()).await
    }

    /// A server that answers `answers` in order, then `200 {}`.
    pub async fn replies(answers: Vec<Reply>) -> Server {
        Self::scripted(Vec::new(), answers).await
    }

    /// A server with standing answers per `METHOD /path` prefix (first match wins), then
    /// `answers` in order, then `200 {}`.
    pub async fn routed(routes: Vec<(&str, Reply)>, answers: Vec<Reply>) -> Server {
        let routes = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        Self::scripted(routes, answers).await
    }

    async fn scripted(routes: Vec<(String, Reply)>, answers: Vec<Reply>) -> Server {
        let script = Arc::new(Mutex::new(Script {
            routes,
            answers: answers.into(),
            seen: Vec::new(),
        }));
        let shared = script.clone();
        let app = axum::Router::new().fallback(
            move |method: AxumMethod, uri: Uri, headers: HeaderMap, body: AxumBytes| {
                let shared = shared.clone();
                async move {
                    let reply = {
                        let header =
                            |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string());
                        let mut script = shared.lock().unwrap();
                        script.seen.push(Seen {
                            method: method.to_string(),
                            uri: uri.to_string(),
                            authorization: header("authorization"),
                            content_type: header("content-type"),
                            content_length: header("content-length"),
                            body: body.to_vec(),
                        });
                        let target = format!(
                            "{method} {}",
                            uri.to_string().strip_prefix("/api").unwrap_or_default()
                        );
                        let routed = script
                            .routes
                            .iter()
                            .find(|(prefix, _)| target.starts_with(prefix.as_str()))
                            .map(|(_, reply)| reply.clone());
                        routed
                            .or_else(|| script.answers.pop_front())
                            .unwrap_or_else(|| Reply::new(200, "{}"))
                    };
                    if reply.hang {
                        // Dropped with the connection when the client gives up.
                        tokio::time::sleep(Duration::from_secs(600)).await;
                    }
                    let mut response: Response = reply.body.into_response();
                    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
                    for (name, value) in reply.headers {
                        let name: axum::http::HeaderName = name.parse().unwrap();
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    response
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, script }
    }

    pub fn client(&self) -> Client {
        client_for(&self.url)
    }

    /// A client whose reads give up after `read`.
    pub fn client_with_read_deadline(&self, read: Duration) -> Client {
        let options = ClientOptions {
            timeout_read: read,
            ..fast_options()
        };
        Client::new(&self.url, ApiKey::new(KEY.into()).unwrap(), options).unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    /// `METHOD /uri` of every request seen, `/api` dropped.
    pub fn requests(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.uri.strip_prefix("/api").unwrap()))
            .collect()
    }
}

pub(super) fn fast_options() -> ClientOptions {
    ClientOptions {
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        retries: 3,
        timeout_json: Duration::from_secs(5),
        timeout_read: Duration::from_secs(5),
        timeout_transfer: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

pub(super) fn client_for(url: &str) -> Client {
    Client::new(url, ApiKey::new(KEY.into()).unwrap(), fast_options()).unwrap()
}
