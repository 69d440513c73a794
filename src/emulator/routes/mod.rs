//! Request handling: the entry point every connection calls, which authenticates, logs,
//! injects faults and dispatches on the raw path. The emulator routes by hand, not with a
//! router, because Datagrok's routes carry user text in percent-encoded segments (`%2F`,
//! `%2e%2e`) that must be decoded one segment at a time and validated, never normalised.

mod body;
mod calls;
mod control;
mod dashboards;
mod files;
mod internal;
mod tables;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Notify;

use super::answer::{self, ApiError};
use super::app::{App, RequestRecord};
use super::directory::ADMIN;
use super::fault::FaultAction;

/// Answers one request. `kill` closes the request's connection without an answer.
pub async fn handle(app: Arc<App>, kill: Arc<Notify>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let authorized = app.authorized(auth);
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        if !authorized {
            return answer::unauthorized();
        }
        return control::handle(&app, req, &path).await;
    }
    let Some(api_path) = path
        .strip_prefix("/api")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(str::to_owned)
    else {
        return answer::not_found();
    };
    let sequence = app.requests().push(RequestRecord {
        method: req.method().to_string(),
        path: api_path.clone(),
        query: req.uri().query().map(str::to_owned),
        status: 0,
    });
    let response = if authorized {
        faulted(&app, kill, req, &api_path).await
    } else {
        answer::unauthorized()
    };
    app.requests()
        .set_status(sequence, response.status().as_u16());
    response
}

/// Applies the fault rules to an authorised API request, then answers it.
async fn faulted(
    app: &Arc<App>,
    kill: Arc<Notify>,
    req: Request<Body>,
    api_path: &str,
) -> Response {
    let decision = app.faults().decide(req.method().as_str(), api_path);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    match decision.action {
        None => api(app, req, api_path).await,
        Some(FaultAction::Status {
            status,
            retry_after_secs,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = answer::html(status, status.canonical_reason().unwrap_or("Error"));
            if let Some(secs) = retry_after_secs {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
        Some(FaultAction::Drop) => {
            kill.notify_one();
            // the connection task drops this future with the connection; nothing is answered
            std::future::pending().await
        }
        Some(FaultAction::CommitThenFail) => {
            let _stored = api(app, req, api_path).await;
            answer::html(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// The API, after `/api`: the public routes under `/public/v1`, the internal ones beside them.
async fn api(app: &Arc<App>, req: Request<Body>, api_path: &str) -> Response {
    let segments: Vec<&str> = api_path.trim_start_matches('/').split('/').collect();
    let ["public", "v1", rest @ ..] = segments.as_slice() else {
        return internal::handle(app, req, &segments).await;
    };
    let method = req.method().clone();
    let result = match (rest, &method) {
        (["healthcheck"], &Method::GET) => Ok(healthcheck()),
        (["healthcheck"], _) => return answer::method_not_allowed("GET"),
        (["users", "current"], &Method::GET) => Ok(current_user()),
        (["files", "sync", connector, dir @ ..], &Method::POST) => {
            files::sync(app, req, connector, dir).await
        }
        (["files", "sync", _, ..], _) => return answer::method_not_allowed("POST"),
        (["files", connector, path @ ..], _) if !path.is_empty() => match method {
            Method::GET => files::download(app, connector, path).await,
            Method::POST => files::upload(app, req, connector, path).await,
            Method::DELETE => files::delete(app, connector, path).await,
            _ => return answer::method_not_allowed("GET, POST, DELETE"),
        },
        (["tables", name], &Method::GET) => tables::download(app, name).await,
        (["tables", name], &Method::POST) => tables::upload(app, req, name).await,
        (["tables", _], _) => return answer::method_not_allowed("GET, POST"),
        (["dashboards", id, "shares"], &Method::GET) => dashboards::share(app, req.uri(), id).await,
        (["dashboards", name, table_ids], &Method::POST) => {
            dashboards::create(app, req, name, table_ids).await
        }
        (["dashboards", _, _], _) => return answer::method_not_allowed("GET, POST"),
        (["entities", id, "shares"], &Method::POST) => dashboards::share(app, req.uri(), id).await,
        (["entities", _, "shares"], _) => return answer::method_not_allowed("POST"),
        (["functions", name, "call"], &Method::POST) | ([name, "call"], &Method::POST) => {
            calls::call(app, req, name).await
        }
        (["functions", _, "call"], _) | ([_, "call"], _) => {
            return answer::method_not_allowed("POST");
        }
        _ => return answer::not_found(),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn healthcheck() -> Response {
    let time = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    axum::Json(json!({
        "status": "ok",
        "server": "grokform-emulator",
        "version": env!("CARGO_PKG_VERSION"),
        "time": time,
        "services": [
            {"name": "database", "status": "ok"},
            {"name": "storage", "status": "ok"},
        ],
    }))
    .into_response()
}

fn current_user() -> Response {
    axum::Json(json!({
        "#type": "User",
        "id": "878c42b0-9a50-11e6-c537-6bf8e9ab02ee",
        "login": ADMIN.login,
        "friendlyName": ADMIN.name,
        "firstName": ADMIN.name,
        "lastName": "",
        "status": "active",
    }))
    .into_response()
}

/// Decodes a path segment, failing as Datagrok does.
fn segment(raw: &str) -> Result<String, ApiError> {
    super::names::decode_segment(raw).map_err(ApiError::new)
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(format!("the emulator failed internally: {e}")))?
        .map_err(Into::into)
}

/// `http://host` of the request, for URLs in answers.
fn web_base(req: &Request<Body>) -> String {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("localhost");
    format!("http://{host}")
}
