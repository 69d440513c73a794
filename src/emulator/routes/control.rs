//! Routes outside `/api`, for tests, demos and people (same Bearer key, never logged):
//! inspection, the request log, faults, refused internal routes, and the `ui` routes that
//! change what the server holds the way a person in Datagrok's web UI would (edit a layout,
//! rename or delete a dashboard, delete a table or replace its data, replace or delete a
//! file, add or remove a grant), so drift can be made on purpose. Failures here are plain
//! HTTP statuses with a text message: these are not Datagrok routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::body::{TempFile, read_json, receive};
use super::internal::shapes::{self, index};
use crate::emulator::answer;
use crate::emulator::app::App;
use crate::emulator::csv_check::check_csv;
use crate::emulator::fault::FaultRule;
use crate::emulator::names::{Connector, FilePath, as_uuid, decode_segment};
use crate::emulator::refusal::RefusalRule;
use crate::emulator::store::Access;

/// A control failure: a status and a message.
struct Failure(StatusCode, String);

impl Failure {
    fn missing(what: &str, id: impl std::fmt::Display) -> Self {
        Self(StatusCode::NOT_FOUND, format!("{what} `{id}` not found"))
    }

    fn bad(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = answer::bad_request(&self.1);
        *response.status_mut() = self.0;
        response
    }
}

type Answer = Result<Response, Failure>;

/// Answers a control route.
pub async fn handle(app: &Arc<App>, req: Request<Body>, path: &str) -> Response {
    let method = req.method().clone();
    let trimmed = path.trim_end_matches('/');
    let result = match (trimmed, &method) {
        ("/_emulator/inspect", &Method::GET) => Ok(axum::Json(app.store.inspect()).into_response()),
        ("/_emulator/requests", &Method::GET) => {
            Ok(axum::Json(app.requests().snapshot()).into_response())
        }
        ("/_emulator/requests", &Method::DELETE) => {
            app.requests().clear();
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        ("/_emulator/faults", &Method::GET) => Ok(axum::Json(app.faults().rules()).into_response()),
        ("/_emulator/faults", &Method::POST) => add_fault(app, req).await,
        ("/_emulator/faults", &Method::DELETE) => {
            app.faults().clear();
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        ("/_emulator/refusals", &Method::GET) => {
            Ok(axum::Json(app.refusals().to_json()).into_response())
        }
        ("/_emulator/refusals", &Method::POST) => add_refusal(app, req).await,
        ("/_emulator/refusals", &Method::DELETE) => {
            app.refusals().clear();
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (
            "/_emulator/inspect"
            | "/_emulator/requests"
            | "/_emulator/faults"
            | "/_emulator/refusals",
            _,
        ) => return answer::method_not_allowed("GET, POST, DELETE"),
        _ => match trimmed.strip_prefix("/_emulator/ui/") {
            Some(rest) => {
                let segments: Vec<String> = rest.split('/').map(str::to_owned).collect();
                ui(app, req, &segments).await
            }
            None => return answer::not_found(),
        },
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A small JSON control body, capped at 1 MiB.
async fn small_json<T: serde::de::DeserializeOwned>(
    req: Request<Body>,
    what: &str,
) -> Result<T, Failure> {
    let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
        .await
        .map_err(|_| Failure::bad(format!("the {what} is larger than 1 MiB")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::bad(format!("the {what} is not valid: {e}")))
}

async fn add_fault(app: &Arc<App>, req: Request<Body>) -> Answer {
    let rule: FaultRule = small_json(req, "fault rule").await?;
    rule.validate().map_err(Failure::bad)?;
    let mut faults = app.faults();
    faults.add(rule);
    Ok(axum::Json(faults.rules()).into_response())
}

/// `POST /_emulator/refusals` with `{"routes": [...], "answer": "404"|"403"|"api-error"}`.
async fn add_refusal(app: &Arc<App>, req: Request<Body>) -> Answer {
    let rule: RefusalRule = small_json(req, "refusal").await?;
    if rule.routes.is_empty() {
        return Err(Failure::bad("the refusal names no route group"));
    }
    let mut refusals = app.refusals();
    refusals.add(&rule);
    Ok(axum::Json(refusals.to_json()).into_response())
}

/// Runs blocking store work off the async workers; a store failure is a 500.
async fn blocking<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

fn id(raw: &str, what: &str) -> Result<Uuid, Failure> {
    let decoded = decode_segment(raw).map_err(Failure::bad)?;
    as_uuid(&decoded).ok_or_else(|| Failure::missing(what, decoded))
}

/// The `ui` routes: changes a person makes in the web UI.
async fn ui(app: &Arc<App>, req: Request<Body>, path: &[String]) -> Answer {
    let method = req.method().clone();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    match (path.as_slice(), &method) {
        (["dashboards", raw, "layout"], &Method::POST) => edit_layout(app, req, raw).await,
        (["dashboards", raw, "rename"], &Method::POST) => rename(app, req, raw).await,
        (["dashboards", raw], &Method::DELETE) => {
            let dashboard = id(raw, "dashboard")?;
            let store_app = Arc::clone(app);
            if !blocking(move || store_app.store.delete_dashboard(dashboard)).await? {
                return Err(Failure::missing("dashboard", dashboard));
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (["tables", raw], &Method::DELETE) => {
            let table = id(raw, "table")?;
            let store_app = Arc::clone(app);
            if !blocking(move || store_app.store.delete_table(table)).await? {
                return Err(Failure::missing("table", table));
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (["tables", raw, "data"], &Method::POST) => replace_table(app, req, raw).await,
        (["files", connector, rest @ ..], &Method::POST) if !rest.is_empty() => {
            replace_file(app, req, connector, rest).await
        }
        (["files", connector, rest @ ..], &Method::DELETE) if !rest.is_empty() => {
            let (connector, path) = file_target(connector, rest)?;
            let shown = path.as_string();
            let store_app = Arc::clone(app);
            if !blocking(move || store_app.store.delete_file(&connector, &path)).await? {
                return Err(Failure::missing("file", shown));
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (["shares", raw], &Method::POST | &Method::DELETE) => grant_or_revoke(app, req, raw).await,
        _ => Err(Failure(
            StatusCode::NOT_FOUND,
            "unknown ui route: see the README's emulator section".to_owned(),
        )),
    }
}

/// `POST /_emulator/ui/dashboards/{id}/layout` with the new layout JSON: replaces the layout
/// (the dashboard keeps its id); answers the layout as `/layouts` serves it.
async fn edit_layout(app: &Arc<App>, req: Request<Body>, raw: &str) -> Answer {
    let dashboard = id(raw, "dashboard")?;
    let mut layout = read_json(req.into_body(), "layout")
        .await
        .map_err(|e| Failure::bad(e.0))?
        .ok_or_else(|| Failure::bad("send the new layout as the JSON body"))?;
    // an edited copy of a served layout brings the server's ids along; the UI makes new ones
    shapes::strip_server_ids(&mut layout);
    let store_app = Arc::clone(app);
    let saved = blocking(move || store_app.store.set_layout(dashboard, layout))
        .await?
        .ok_or_else(|| Failure::missing("dashboard", dashboard))?;
    Ok(axum::Json(shapes::served_layout(&saved)).into_response())
}

/// `POST /_emulator/ui/dashboards/{id}/rename` with `{"name": "…"}`.
async fn rename(app: &Arc<App>, req: Request<Body>, raw: &str) -> Answer {
    let dashboard = id(raw, "dashboard")?;
    let body: Value = small_json(req, "rename").await?;
    let name = body["name"]
        .as_str()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Failure::bad("send `{\"name\": \"…\"}`"))?
        .to_owned();
    let store_app = Arc::clone(app);
    let renamed = blocking(move || store_app.store.rename_dashboard(dashboard, &name))
        .await?
        .ok_or_else(|| Failure::missing("dashboard", dashboard))?;
    let tables = index(app.store.tables_by_id(&renamed.table_ids));
    Ok(axum::Json(shapes::project(&renamed, &tables, true)).into_response())
}

/// `POST /_emulator/ui/tables/{id}/data` with CSV: new data under the same id.
async fn replace_table(app: &Arc<App>, req: Request<Body>, raw: &str) -> Answer {
    let table = id(raw, "table")?;
    if app.store.table(table).is_none() {
        return Err(Failure::missing("table", table));
    }
    let temp = TempFile(app.store.temp_path());
    let received = receive(req.into_body(), &temp.0)
        .await
        .map_err(Failure::bad)?;
    let store_app = Arc::clone(app);
    let replaced = tokio::task::spawn_blocking(move || {
        let temp = temp;
        let summary = check_csv(&temp.0).map_err(Failure::bad)?;
        store_app
            .store
            .replace_table_data(table, &temp.0, summary, received.size)
            .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    })
    .await
    .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??
    .ok_or_else(|| Failure::missing("table", table))?;
    Ok(axum::Json(shapes::table_info(&replaced, true)).into_response())
}

fn file_target(raw_connector: &str, raw_path: &[&str]) -> Result<(Connector, FilePath), Failure> {
    let connector = decode_segment(raw_connector)
        .and_then(|c| Connector::parse(&c))
        .map_err(Failure::bad)?;
    let path = FilePath::from_raw_segments(raw_path, false).map_err(Failure::bad)?;
    Ok((connector, path))
}

/// `POST /_emulator/ui/files/{connector}/{path}` with the new bytes (creates or replaces).
async fn replace_file(
    app: &Arc<App>,
    req: Request<Body>,
    raw_connector: &str,
    raw_path: &[&str],
) -> Answer {
    let (connector, path) = file_target(raw_connector, raw_path)?;
    let temp = TempFile(app.store.temp_path());
    let received = receive(req.into_body(), &temp.0)
        .await
        .map_err(Failure::bad)?;
    let (size, etag) = (received.size, received.sha256.clone());
    let store_app = Arc::clone(app);
    let shown = path.as_string();
    blocking(move || {
        let temp = temp;
        store_app
            .store
            .put_file(&connector, &path, &temp.0, received.size, received.sha256)
    })
    .await?;
    Ok(axum::Json(json!({"path": shown, "size": size, "etag": etag})).into_response())
}

/// `POST /_emulator/ui/shares/{entity}?group=G&access=View|Edit` grants (answering the
/// permission row); `DELETE …?group=G` removes the group's grant.
async fn grant_or_revoke(app: &Arc<App>, req: Request<Body>, raw: &str) -> Answer {
    let entity_id = id(raw, "entity")?;
    let entity = app
        .store
        .entity(
            &entity_id.to_string(),
            crate::emulator::directory::ADMIN.name,
        )
        .ok_or_else(|| Failure::missing("entity", entity_id))?;
    let query: BTreeMap<String, String> = axum::extract::Query::try_from_uri(req.uri())
        .map(|q| q.0)
        .map_err(|e| Failure::bad(e.to_string()))?;
    let name = query
        .get("group")
        .ok_or_else(|| Failure::bad("`group` is required"))?;
    let group = app
        .directory
        .group_or_named(app.directory.resolve(name).as_deref().unwrap_or(name));
    let store_app = Arc::clone(app);
    if req.method() == Method::DELETE {
        let row = app
            .store
            .shares_of(entity)
            .into_iter()
            .find(|s| s.group.eq_ignore_ascii_case(&group.name))
            .ok_or_else(|| Failure::missing("grant to", &group.name))?;
        blocking(move || store_app.store.revoke(row.id)).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if app.directory.resolve(name).is_none() {
        return Err(Failure::missing("group", name));
    }
    let access = match query.get("access") {
        None => Access::View,
        Some(a) => Access::parse(a)
            .ok_or_else(|| Failure::bad(format!("access `{a}` is not `View` or `Edit`")))?,
    };
    let group_name = group.name.clone();
    let (_, row) = blocking(move || store_app.store.grant(entity, &group_name, access)).await?;
    Ok(axum::Json(shapes::permission(&row, &group, true)).into_response())
}
