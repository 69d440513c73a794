//! The internal routes Datagrok's own CLI uses (`datagrok-api.md`, "Reading back, deleting and
//! revoking"), after `/api` but outside `/public/v1`: reading projects, layouts, views,
//! entities, permissions and tables back, deleting and revoking, saving in place. They answer
//! with the same envelopes as the real server: a missing entity is HTTP 200 with an ApiError.
//! Each route belongs to an [`InternalRoute`] group that can be refused as a whole, so a
//! client's fallbacks can be tested.

mod catalog;
mod layouts;
mod permissions;
mod projects;
pub mod shapes;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use crate::emulator::answer::{self, ApiError};
use crate::emulator::app::App;
use crate::emulator::names::as_uuid;
use crate::emulator::refusal::InternalRoute;

/// The query string as a map (a repeated key keeps its last value).
type Query = BTreeMap<String, String>;

/// Answers an internal route (`path` is split after `/api`); unknown routes get the HTML 404.
pub async fn handle(app: &Arc<App>, req: Request<Body>, path: &[&str]) -> Response {
    let method = req.method().clone();
    let Some(route) = route_of(path, &method) else {
        return match allowed(path) {
            Some(allow) => answer::method_not_allowed(allow),
            None => answer::not_found(),
        };
    };
    if let Some(refusal) = app.refusals().get(route) {
        return refusal.answer(route);
    }
    let query: Query = match axum::extract::Query::try_from_uri(req.uri()) {
        Ok(query) => query.0,
        Err(e) => {
            return ApiError::new(format!("the query string cannot be read: {e}")).into_response();
        }
    };
    let result = match (route, path) {
        (InternalRoute::ServerInfo, _) => Ok(catalog::server_info()),
        (InternalRoute::ProjectsRead, ["projects"]) => projects::list(app, &query),
        (InternalRoute::ProjectsRead, ["projects", "relations"]) => {
            projects::relations(app, &query)
        }
        (InternalRoute::ProjectsRead, ["projects", id]) => projects::get(app, id),
        (InternalRoute::ProjectsSave, _) => projects::save(app, req, &query).await,
        (InternalRoute::ProjectsDelete, ["projects", id]) => projects::delete(app, id).await,
        (InternalRoute::LayoutsRead, _) => layouts::list(app, &query),
        (InternalRoute::LayoutsSave, _) => layouts::save(app, req).await,
        (InternalRoute::ViewsRead, _) => layouts::views(app, &query),
        (InternalRoute::EntitiesRead, ["entities"]) => catalog::find_entities(app, &query),
        (InternalRoute::EntitiesRead, ["entities", id]) => catalog::entity(app, id),
        (InternalRoute::PermissionsRead, _) => permissions::list(app, &query),
        (InternalRoute::PermissionsGrant, _) => permissions::grant(app, req).await,
        (InternalRoute::PermissionsRevoke, [.., id]) => permissions::revoke(app, id).await,
        (InternalRoute::TablesRead, ["tables"]) => catalog::search_tables(app, &query),
        (InternalRoute::TablesRead, ["tables", id]) => catalog::table(app, id),
        (InternalRoute::TablesDelete, ["tables", id]) => catalog::delete_table(app, id).await,
        _ => return answer::not_found(),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Which internal route `method path` is, if any.
fn route_of(path: &[&str], method: &Method) -> Option<InternalRoute> {
    use InternalRoute as R;
    let route = match (path, method) {
        (["info", "server"], &Method::GET) => R::ServerInfo,
        (["projects"], &Method::GET) => R::ProjectsRead,
        (["projects"], &Method::POST) => R::ProjectsSave,
        (["projects", "relations"], &Method::GET) => R::ProjectsRead,
        (["projects", _], &Method::GET) => R::ProjectsRead,
        (["projects", _], &Method::DELETE) => R::ProjectsDelete,
        (["layouts"], &Method::GET) => R::LayoutsRead,
        (["layouts"], &Method::POST) => R::LayoutsSave,
        (["views"], &Method::GET) => R::ViewsRead,
        (["entities"] | ["entities", _], &Method::GET) => R::EntitiesRead,
        (["privileges", "permissions"], &Method::GET) => R::PermissionsRead,
        (["privileges", "permissions"], &Method::POST) => R::PermissionsGrant,
        (["privileges", "permissions", _], &Method::DELETE) => R::PermissionsRevoke,
        (["tables"] | ["tables", _], &Method::GET) => R::TablesRead,
        (["tables", _], &Method::DELETE) => R::TablesDelete,
        _ => return None,
    };
    Some(route)
}

/// The methods a known internal path answers, for a 405.
fn allowed(path: &[&str]) -> Option<&'static str> {
    Some(match path {
        ["info", "server"] | ["views"] | ["entities"] | ["entities", _] | ["tables"] => "GET",
        ["projects", "relations"] => "GET",
        ["projects"] | ["layouts"] | ["privileges", "permissions"] => "GET, POST",
        ["projects", _] | ["tables", _] => "GET, DELETE",
        ["privileges", "permissions", _] => "DELETE",
        _ => return None,
    })
}

/// Decodes an id segment: a UUID, else the ApiError a missing entity gets.
fn id_segment(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    let decoded = super::segment(raw)?;
    as_uuid(&decoded).ok_or_else(|| ApiError::new(format!("{what} `{decoded}` not found")))
}

/// A required UUID query parameter.
fn id_param(query: &Query, key: &str) -> Result<Uuid, ApiError> {
    let value = query
        .get(key)
        .ok_or_else(|| ApiError::new(format!("`{key}` is required")))?;
    as_uuid(value).ok_or_else(|| ApiError::new(format!("`{key}` `{value}` is not an id")))
}

/// An optional whole-number query parameter.
fn number_param(query: &Query, key: &str) -> Result<Option<u64>, ApiError> {
    query
        .get(key)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| ApiError::new(format!("`{key}` must be a whole number, not `{v}`")))
        })
        .transpose()
}

/// Whether a boolean query parameter is `true`.
fn flag(query: &Query, key: &str) -> bool {
    query
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}
