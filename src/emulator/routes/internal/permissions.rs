//! Grants as permission rows: list those of an entity (`all=true` adds the rows a table inherits
//! from the dashboards holding it), grant (`POST`), revoke (`DELETE` by row id).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::shapes;
use super::{Query, flag, id_param, id_segment};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::directory::{ADMIN, GroupInfo};
use crate::emulator::names::as_uuid;
use crate::emulator::routes::blocking;
use crate::emulator::routes::body::read_json;
use crate::emulator::store::{Access, ShareMeta};

fn row(app: &App, share: &ShareMeta, hydrate: bool) -> Value {
    shapes::permission(share, &app.directory.group_or_named(&share.group), hydrate)
}

/// `GET /privileges/permissions?entityId=&all=true`: the grants on the entity, by group. With
/// `all=true` the rows it inherits follow (for a table, those of every dashboard holding it,
/// with that dashboard's `entityId`), and only then is `permission.name` filled in; clients
/// keep the rows whose `entityId` is the one they asked for. An unknown entity has none.
pub fn list(app: &Arc<App>, query: &Query) -> Result<Response, ApiError> {
    let entity = id_param(query, "entityId")?;
    let all = flag(query, "all");
    let mut rows: Vec<Value> = app
        .store
        .shares_of(entity)
        .iter()
        .map(|s| row(app, s, all))
        .collect();
    if all {
        let holders: Vec<Uuid> = app.store.with_dashboards(|dashboards| {
            dashboards
                .iter()
                .filter(|d| d.table_ids.contains(&entity))
                .map(|d| d.id)
                .collect()
        });
        for holder in holders {
            rows.extend(
                app.store
                    .shares_of(holder)
                    .iter()
                    .map(|s| row(app, s, true)),
            );
        }
    }
    Ok(axum::Json(rows).into_response())
}

/// One grant asked for in a `POST` body.
struct Wanted {
    entity: Uuid,
    group: GroupInfo,
    access: Access,
}

/// Reads `{entityId | entity.id, userGroup{id | name | friendlyName} | group, permission{name}
/// | permission}`.
fn wanted(app: &App, value: &Value) -> Result<Wanted, ApiError> {
    let entity_text = value
        .get("entityId")
        .or_else(|| value.pointer("/entity/id"))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::new("a permission needs an `entityId`"))?;
    let entity = as_uuid(entity_text)
        .and_then(|id| app.store.entity(&id.to_string(), ADMIN.name))
        .ok_or_else(|| ApiError::new(format!("entity `{entity_text}` not found")))?;
    let group = match value.get("userGroup") {
        Some(Value::Object(group)) => {
            if let Some(id) = group.get("id").and_then(Value::as_str) {
                as_uuid(id)
                    .and_then(|id| app.directory.group_by_id(id))
                    .ok_or_else(|| ApiError::new(format!("group `{id}` not found")))?
            } else {
                let name = group
                    .get("name")
                    .or_else(|| group.get("friendlyName"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::new("`userGroup` needs an `id` or a `name`"))?;
                app.directory
                    .group(name)
                    .ok_or_else(|| ApiError::new(format!("group `{name}` not found")))?
            }
        }
        _ => {
            let name = value
                .get("group")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::new("a permission needs a `userGroup`"))?;
            app.directory
                .group(name)
                .ok_or_else(|| ApiError::new(format!("group `{name}` not found")))?
        }
    };
    let permission = value
        .pointer("/permission/name")
        .or_else(|| value.get("permission"))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::new("a permission needs a `permission.name`"))?;
    let access = Access::parse(permission).ok_or_else(|| {
        ApiError::new(format!("permission `{permission}` is not `View` or `Edit`"))
    })?;
    Ok(Wanted {
        entity,
        group,
        access,
    })
}

/// `POST /privileges/permissions` with one permission object (or an array of them): grants
/// each, answering the rows as they now are (an array for an array). Everything is checked
/// before anything is granted.
pub async fn grant(app: &Arc<App>, req: Request<Body>) -> Result<Response, ApiError> {
    let body = read_json(req.into_body(), "permission")
        .await?
        .ok_or_else(|| ApiError::new("the permission must be a JSON object"))?;
    let (items, many) = match &body {
        Value::Array(items) => (items.iter().collect::<Vec<_>>(), true),
        Value::Object(_) => (vec![&body], false),
        _ => return Err(ApiError::new("the permission must be a JSON object")),
    };
    let wanted = items
        .into_iter()
        .map(|v| wanted(app, v))
        .collect::<Result<Vec<_>, _>>()?;
    let store_app = Arc::clone(app);
    let rows = blocking(move || {
        wanted
            .iter()
            .map(|w| {
                store_app
                    .store
                    .grant(w.entity, &w.group.name, w.access)
                    .map(|(_, row)| (row, w.group.clone()))
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let mut answered: Vec<Value> = rows
        .iter()
        .map(|(share, group)| shapes::permission(share, group, true))
        .collect();
    if many {
        Ok(axum::Json(answered).into_response())
    } else {
        Ok(axum::Json(answered.pop().unwrap_or(Value::Null)).into_response())
    }
}

/// `DELETE /privileges/permissions/{id}`: revokes the grant; a missing row is an ApiError.
pub async fn revoke(app: &Arc<App>, raw_id: &str) -> Result<Response, ApiError> {
    let id = id_segment(raw_id, "permission")?;
    let store_app = Arc::clone(app);
    if blocking(move || store_app.store.revoke(id))
        .await?
        .is_none()
    {
        return Err(ApiError::new(format!("permission `{id}` not found")));
    }
    Ok(StatusCode::OK.into_response())
}
