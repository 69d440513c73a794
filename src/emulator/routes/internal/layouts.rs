//! A dashboard's layout and view: `GET /layouts?projectId=` (with the server-owned fields a
//! real server adds), `POST /layouts` (in-place save by the layout's id), `GET /views`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::shapes;
use super::{Query, id_param};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::names::as_uuid;
use crate::emulator::routes::blocking;
use crate::emulator::routes::body::read_json;

/// `GET /layouts?projectId=`: the project's layouts (none, or one); an unknown project has none.
pub fn list(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let id = id_param(query, "projectId")?;
    let layouts: Vec<Value> = app
        .store
        .dashboard(id)
        .and_then(|d| shapes::served_layout(&d))
        .into_iter()
        .collect();
    Ok(axum::Json(layouts).into_response())
}

/// `GET /views?projectId=`: the view a dashboard with a layout opens in.
pub fn views(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let id = id_param(query, "projectId")?;
    let views: Vec<Value> = app
        .store
        .dashboard(id)
        .filter(|d| d.layout.is_some())
        .map(|d| shapes::view(&d))
        .into_iter()
        .collect();
    Ok(axum::Json(views).into_response())
}

/// `POST /layouts` with a layout whose `id` is a dashboard's layout id: replaces that layout in
/// place (the dashboard keeps its id and URL). The emulator keeps layouts only as part of a
/// dashboard, so any other id is an ApiError. Answers the layout as `GET /layouts` serves it.
pub async fn save(app: &Arc<App>, req: Request<Body>) -> Result<Response, ApiError> {
    let mut body = read_json(req.into_body(), "layout")
        .await?
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::new("the layout must be a JSON object"))?;
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .and_then(as_uuid)
        .ok_or_else(|| ApiError::new("a layout save needs the `id` of a dashboard's layout"))?;
    let dashboard = app
        .store
        .with_dashboards(|dashboards| {
            dashboards
                .iter()
                .find(|d| d.layout_id() == id)
                .map(|d| d.id)
        })
        .ok_or_else(|| {
            ApiError::new(format!(
                "layout `{id}` not found: the emulator saves the layouts of existing dashboards only"
            ))
        })?;
    // the id is the entity's, not part of what was sent to lay the dashboard out
    if let Value::Object(map) = &mut body {
        map.remove("id");
    }
    let store_app = Arc::clone(app);
    let saved = blocking(move || store_app.store.set_layout(dashboard, body))
        .await?
        .ok_or_else(|| ApiError::new(format!("layout `{id}` not found")))?;
    let served = shapes::served_layout(&saved).unwrap_or(Value::Null);
    Ok(axum::Json(served).into_response())
}
