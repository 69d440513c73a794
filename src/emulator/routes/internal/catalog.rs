//! Server info, entities by id or name, and tables (`TableInfo` by id, search by text, delete).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::shapes::{self, index};
use super::{Query, id_segment, number_param};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::routes::blocking;

/// `GET /info/server`.
pub fn server_info() -> Response {
    axum::Json(json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "Commit": "grokform-emulator",
    }))
    .into_response()
}

/// `GET /entities/{id}`: an array of one entity (a project, a layout or a table); a missing
/// one is an ApiError.
pub fn entity(app: &Arc<App>, raw_id: &str) -> Result<Response, ApiError> {
    let id = id_segment(raw_id, "entity")?;
    let found = if let Some(dashboard) = app.store.dashboard(id) {
        Some(shapes::project(&dashboard, &index(Vec::new()), false))
    } else if let Some(table) = app.store.table(id) {
        Some(shapes::table_info(&table, false))
    } else {
        app.store.with_dashboards(|dashboards| {
            dashboards
                .iter()
                .find(|d| d.layout.is_some() && d.layout_id() == id)
                .map(shapes::layout_entity)
        })
    };
    let found = found.ok_or_else(|| ApiError::new(format!("entity `{id}` not found")))?;
    Ok(axum::Json(json!([found])).into_response())
}

/// `GET /entities?namespace=X:&name=Y`: every entity with that name (case-insensitive) in that
/// namespace (`X:` and `X` alike; an absent `namespace` matches every namespace). Several may
/// match: names are not unique.
pub fn find_entities(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let name = query
        .get("name")
        .ok_or_else(|| ApiError::new("`name` is required"))?
        .trim()
        .to_owned();
    let namespace = query
        .get("namespace")
        .map(|n| n.trim().trim_end_matches(':').to_lowercase());
    let wanted = |entity: &Value| {
        entity["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&name))
            && namespace.as_ref().is_none_or(|wanted| {
                entity["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_end_matches(':')
                    .to_lowercase()
                    == *wanted
            })
    };
    let no_tables = index(Vec::new());
    let mut matches: Vec<Value> = app.store.with_dashboards(|dashboards| {
        dashboards
            .iter()
            .flat_map(|d| {
                let layout = d.layout.as_ref().map(|_| shapes::layout_entity(d));
                std::iter::once(shapes::project(d, &no_tables, false)).chain(layout)
            })
            .filter(|e| wanted(e))
            .collect()
    });
    matches.extend(
        app.store
            .tables()
            .iter()
            .map(|t| shapes::table_info(t, false))
            .filter(|e| wanted(e)),
    );
    Ok(axum::Json(matches).into_response())
}

/// `GET /tables/{id}`: the table's `TableInfo` with its columns (name and type).
pub fn table(app: &Arc<App>, raw_id: &str) -> Result<Response, ApiError> {
    let id = id_segment(raw_id, "table")?;
    let table = app
        .store
        .table(id)
        .ok_or_else(|| ApiError::new(format!("table `{id}` not found")))?;
    Ok(axum::Json(shapes::table_info(&table, true)).into_response())
}

/// `GET /tables?text=&limit=`: tables whose name or Grok name contains `text`
/// (case-insensitive), by name, at most `limit` (default 50).
pub fn search_tables(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let text = query
        .get("text")
        .map(|t| t.trim().to_lowercase())
        .unwrap_or_default();
    let limit = number_param(query, "limit")?.unwrap_or(50).max(1);
    let found: Vec<Value> = app
        .store
        .tables()
        .iter()
        .filter(|t| {
            t.table.to_lowercase().contains(&text) || t.grok_name().to_lowercase().contains(&text)
        })
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|t| shapes::table_info(t, true))
        .collect();
    Ok(axum::Json(found).into_response())
}

/// `DELETE /tables/{id}`: deletes the table everywhere (its data, grants and dashboard places).
pub async fn delete_table(app: &Arc<App>, raw_id: &str) -> Result<Response, ApiError> {
    let id = id_segment(raw_id, "table")?;
    let store_app = Arc::clone(app);
    if !blocking(move || store_app.store.delete_table(id)).await? {
        return Err(ApiError::new(format!("table `{id}` not found")));
    }
    Ok(StatusCode::OK.into_response())
}
