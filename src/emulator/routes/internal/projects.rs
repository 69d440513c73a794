//! Dashboards as projects: read one (with its relations), list and search, read relations,
//! save in place (`POST /projects`, `?saveRelations=true`), delete.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::shapes::{self, index};
use super::{Query, flag, id_param, id_segment, number_param};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::ids::timestamp;
use crate::emulator::names::as_uuid;
use crate::emulator::routes::blocking;
use crate::emulator::routes::body::read_json;
use crate::emulator::store::{DashboardMeta, DashboardSave};

/// The page size when `limit` is absent.
const DEFAULT_LIMIT: u64 = 50;

/// `GET /projects/{id}`: the project with its `relations[]`; a missing one is an ApiError.
pub fn get(app: &Arc<App>, raw_id: &str) -> Result<Response, ApiError> {
    let id = id_segment(raw_id, "project")?;
    let dashboard = found(app, id)?;
    let tables = index(app.store.tables_by_id(&dashboard.table_ids));
    Ok(axum::Json(shapes::project(&dashboard, &tables, true)).into_response())
}

fn found(app: &App, id: Uuid) -> Result<DashboardMeta, ApiError> {
    app.store
        .dashboard(id)
        .ok_or_else(|| ApiError::new(format!("project `{id}` not found")))
}

/// What `text` asks for: free text matched against names, or the one smart filter clients
/// use, `updatedOn > "DATE"`.
enum TextFilter {
    All,
    Contains(String),
    UpdatedAfter(String),
}

impl TextFilter {
    fn parse(text: Option<&String>) -> Self {
        let text = text.map(|t| t.trim()).unwrap_or_default();
        if text.is_empty() {
            return Self::All;
        }
        if let Some(rest) = text.strip_prefix("updatedOn")
            && let Some(date) = rest.trim_start().strip_prefix('>')
        {
            return Self::UpdatedAfter(date.trim().trim_matches('"').to_owned());
        }
        Self::Contains(text.to_lowercase())
    }

    fn matches(&self, dashboard: &DashboardMeta) -> bool {
        match self {
            Self::All => true,
            Self::Contains(text) => {
                dashboard.name.to_lowercase().contains(text)
                    || dashboard.friendly_name().to_lowercase().contains(text)
            }
            // both sides are ISO dates, so text order is time order
            Self::UpdatedAfter(date) => timestamp(dashboard.updated_on).as_str() > date.as_str(),
        }
    }
}

/// `GET /projects?text=&includeRoot=&limit=&page=`: projects in creation order, one page of
/// `limit` (default 50). Pages start at 1; `page=0` or none is the first page too, so a client
/// counting from 0 reads the first page twice, as on the real server. Name filtering is by free
/// text (substring of `name` or `friendlyName`): clients must match exactly themselves.
/// `includeRoot` is accepted; the emulator has no root projects.
pub fn list(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let filter = TextFilter::parse(query.get("text"));
    let limit = number_param(query, "limit")?
        .filter(|l| *l > 0)
        .unwrap_or(DEFAULT_LIMIT);
    let page = number_param(query, "page")?.unwrap_or(1).max(1);
    let skip = (page - 1).saturating_mul(limit);
    let no_tables = index(Vec::new());
    let found: Vec<Value> = app.store.with_dashboards(|dashboards| {
        dashboards
            .iter()
            .filter(|d| filter.matches(d))
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|d| shapes::project(d, &no_tables, false))
            .collect()
    });
    Ok(axum::Json(found).into_response())
}

/// `GET /projects/relations?projectId=&include=entity`: the project's relations, each with its
/// entity hydrated when `include=entity`; a missing project is an ApiError.
pub fn relations(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let id = id_param(query, "projectId")?;
    let dashboard = found(app, id)?;
    let hydrate = query
        .get("include")
        .is_some_and(|i| i.split(',').any(|p| p.trim() == "entity"));
    let tables = index(app.store.tables_by_id(&dashboard.table_ids));
    Ok(axum::Json(shapes::project_relations(&dashboard, &tables, hydrate)).into_response())
}

/// Reads the relation set of a save body: the entity id of each relation.
fn relation_ids(body: &Value) -> Result<Vec<Uuid>, ApiError> {
    let Some(relations) = body.get("relations") else {
        return Ok(Vec::new());
    };
    let Value::Array(relations) = relations else {
        return Err(ApiError::new("`relations` must be an array"));
    };
    let mut ids = Vec::new();
    for relation in relations {
        let id = relation
            .pointer("/entity/id")
            .or_else(|| relation.get("entityId"))
            .and_then(Value::as_str)
            .and_then(as_uuid)
            .ok_or_else(|| ApiError::new("every relation needs an `entity.id`"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// `POST /projects[?saveRelations=true]` with a project JSON: saves in place when `id` names
/// an existing project, else creates one (with that id when given). A name another project
/// holds is saved as `Name_1`. With `saveRelations=true`, `relations[]` replaces the project's
/// whole relation set (every entity must be a stored table); without it, relations are left
/// alone. Answers the project as `GET /projects/{id}` does.
pub async fn save(app: &Arc<App>, req: Request<Body>, query: &Query) -> Result<Response, ApiError> {
    let save_relations = flag(query, "saveRelations");
    let body = read_json(req.into_body(), "project")
        .await?
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::new("the project must be a JSON object"))?;
    let id = match body.get("id") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_str()
                .and_then(as_uuid)
                .ok_or_else(|| ApiError::new(format!("the project id `{value}` is not an id")))?,
        ),
    };
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let save = DashboardSave {
        id,
        name: text("name"),
        friendly_name: text("friendlyName"),
        relations: if save_relations {
            Some(relation_ids(&body)?)
        } else {
            None
        },
    };
    let store_app = Arc::clone(app);
    let dashboard = blocking(move || store_app.store.save_dashboard(save)).await?;
    let tables = index(app.store.tables_by_id(&dashboard.table_ids));
    Ok(axum::Json(shapes::project(&dashboard, &tables, true)).into_response())
}

/// `DELETE /projects/{id}`: deletes the dashboard, its layout and its grants (not its tables).
pub async fn delete(app: &Arc<App>, raw_id: &str) -> Result<Response, ApiError> {
    let id = id_segment(raw_id, "project")?;
    let store_app = Arc::clone(app);
    if !blocking(move || store_app.store.delete_dashboard(id)).await? {
        return Err(ApiError::new(format!("project `{id}` not found")));
    }
    Ok(StatusCode::OK.into_response())
}
