//! `/public/v1/dashboards` and `/public/v1/entities/{id}/shares`: creating dashboards from
//! stored tables (a new ID every time) and sharing them (both the current and the older form).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::read_json;
use super::{segment, web_base};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::directory::ADMIN;
use crate::emulator::store::{Access, ShareOutcome};

/// `POST /dashboards/{name}/{table_ids}` with an optional layout JSON body.
pub async fn create(
    app: &Arc<App>,
    req: Request<Body>,
    raw_name: &str,
    raw_table_ids: &str,
) -> Result<Response, ApiError> {
    let name = segment(raw_name)?.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::new("a dashboard needs a name"));
    }
    let listed = segment(raw_table_ids)?;
    let mut table_ids = Vec::new();
    for ident in listed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let table = app
            .store
            .find_table(ident, ADMIN.name)
            .ok_or_else(|| ApiError::new(format!("table `{ident}` not found")))?;
        if !table_ids.contains(&table.id) {
            table_ids.push(table.id);
        }
    }
    if table_ids.is_empty() {
        return Err(ApiError::new(
            "a dashboard needs at least one table ID (comma-separated)",
        ));
    }
    let base = web_base(&req);
    let layout = match read_json(req.into_body(), "layout").await? {
        None | Some(Value::Null) => None,
        Some(layout) => Some(layout),
    };
    let app = Arc::clone(app);
    let dashboard =
        super::blocking(move || app.store.add_dashboard(name, table_ids, layout)).await?;
    Ok(axum::Json(json!({
        "ID": dashboard.id,
        "Name": dashboard.name,
        "URL": format!("{base}/p/{}", dashboard.id),
    }))
    .into_response())
}

/// `POST /entities/{id}/shares?groups=A,B&access=View|Edit` and the older
/// `GET /dashboards/{id}/shares?…`: grants per group, reporting each as shared, already shared
/// or failed (unknown names).
pub async fn share(app: &Arc<App>, uri: &Uri, raw_id: &str) -> Result<Response, ApiError> {
    let ident = segment(raw_id)?;
    let query: BTreeMap<String, String> = axum::extract::Query::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::new(format!("the query string cannot be read: {e}")))?;
    let entity = app
        .store
        .entity(&ident, ADMIN.name)
        .ok_or_else(|| ApiError::new(format!("entity `{ident}` not found")))?;
    let access = match query.get("access").map(|a| a.trim().to_ascii_lowercase()) {
        None => Access::View,
        Some(a) if a == "view" => Access::View,
        Some(a) if a == "edit" => Access::Edit,
        Some(other) => {
            return Err(ApiError::new(format!(
                "access `{other}` is not `View` or `Edit`"
            )));
        }
    };
    let groups: Vec<&str> = query
        .get("groups")
        .map(|g| {
            g.split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if groups.is_empty() {
        return Err(ApiError::new(
            "`groups` is required: comma-separated group or user names",
        ));
    }
    // grants reach the disk: off the async workers, like every other write
    let resolved: Vec<(String, Option<String>)> = groups
        .iter()
        .map(|g| ((*g).to_owned(), app.directory.resolve(g)))
        .collect();
    let store_app = Arc::clone(app);
    let (shared, already, failed) = super::blocking(move || {
        let (mut shared, mut already, mut failed) = (Vec::new(), Vec::new(), Vec::new());
        for (group, canonical) in resolved {
            match canonical {
                None => failed.push(group),
                Some(canonical) => match store_app.store.share(entity, &canonical, access)? {
                    ShareOutcome::Shared => shared.push(canonical),
                    ShareOutcome::AlreadyShared => already.push(canonical),
                },
            }
        }
        Ok::<_, crate::emulator::store::StoreError>((shared, already, failed))
    })
    .await?;
    let status = match (failed.is_empty(), shared.is_empty() && already.is_empty()) {
        (true, _) => "success",
        (false, true) => "failed",
        (false, false) => "partial_success",
    };
    Ok(axum::Json(json!({
        "status": status,
        "shared": shared,
        "alreadyShared": already,
        "failed": failed,
    }))
    .into_response())
}
