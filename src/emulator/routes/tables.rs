//! `/public/v1/tables`: CSV uploads (validated while streamed from a temp file, same name →
//! same ID) and downloads by ID or name.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio_util::io::ReaderStream;

use super::body::{TempFile, receive};
use super::{blocking, segment, web_base};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::csv_check::check_csv;
use crate::emulator::directory::ADMIN;
use crate::emulator::names::{TableName, as_uuid};

/// `POST /tables/{name}`: stores the CSV body as the named table.
pub async fn upload(
    app: &Arc<App>,
    req: Request<Body>,
    raw_name: &str,
) -> Result<Response, ApiError> {
    let name = TableName::parse(&segment(raw_name)?, ADMIN.name).map_err(ApiError::new)?;
    let base = web_base(&req);
    let temp = TempFile(app.store.temp_path());
    let received = receive(req.into_body(), &temp.0)
        .await
        .map_err(ApiError::new)?;
    if received.size == 0 {
        return Err(ApiError::new(format!(
            "the upload of table `{}` is empty: send CSV with a header row",
            name.grok_name()
        )));
    }
    let app = Arc::clone(app);
    let table = blocking(move || {
        let temp = temp;
        let summary = check_csv(&temp.0).map_err(|reason| {
            ApiError::new(format!(
                "table `{}` was not stored: {reason}",
                name.grok_name()
            ))
        })?;
        app.store
            .put_table(&name, &temp.0, summary, received.size)
            .map_err(ApiError::from)
    })
    .await?;
    Ok(axum::Json(json!({
        "ID": table.id,
        "Grok name": table.grok_name(),
        "Name": table.table,
        "URL": format!("{base}/p/{}.{}/{}", table.namespace, table.project, table.table),
    }))
    .into_response())
}

/// `GET /tables/{id-or-name}`: the CSV as uploaded.
pub async fn download(app: &Arc<App>, raw_name: &str) -> Result<Response, ApiError> {
    let ident = segment(raw_name)?;
    let table = app.store.find_table(&ident, ADMIN.name).ok_or_else(|| {
        let shown = TableName::parse(&ident, ADMIN.name)
            .ok()
            .filter(|_| as_uuid(&ident).is_none())
            .map_or_else(|| ident.clone(), |name| name.grok_name());
        ApiError::new(format!("table `{shown}` not found"))
    })?;
    let file = crate::emulator::store::bytes::open(&app.store.table_data_path(&table))
        .await
        .map_err(|e| ApiError::new(format!("cannot read table `{}`: {e}", table.grok_name())))?;
    let mut response =
        Body::from_stream(ReaderStream::with_capacity(file, 256 * 1024)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(response)
}
