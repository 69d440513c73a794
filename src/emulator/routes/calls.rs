//! `/public/v1/functions/{name}/call` (and the older `/public/v1/{name}/call`): runs a
//! registered function on a JSON object of named parameters.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::body::read_json;
use super::{blocking, segment};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::directory::ADMIN;
use crate::emulator::names::as_uuid;

/// Calls the function; its result is the JSON answer (a scalar comes back bare).
pub async fn call(
    app: &Arc<App>,
    req: Request<Body>,
    raw_name: &str,
) -> Result<Response, ApiError> {
    let name = segment(raw_name)?;
    let canonical = app
        .functions
        .canonical(&name)
        .ok_or_else(|| ApiError::new(format!("function `{name}` not found")))?;
    let params = match read_json(req.into_body(), "parameter object").await? {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ApiError::new(
                "the parameters must be a JSON object of named values",
            ));
        }
    };
    let store = &app.store;
    let result = app
        .functions
        .call(&canonical, &params, &|ident| {
            // functions take table IDs, not names
            as_uuid(ident)?;
            store
                .find_table(ident, ADMIN.name)
                .map(|t| (t.id.to_string(), t.rows))
        })
        .map_err(|reason| ApiError::new(format!("`{canonical}` failed: {reason}")))?;
    let app = Arc::clone(app);
    blocking(move || app.store.record_call(canonical, Value::Object(params))).await?;
    Ok(axum::Json(result).into_response())
}
