//! `/public/v1/files`: download, upload (streamed to disk), delete, and the sync route that
//! answers a folder's changes as multipart.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde_json::Value;
use tokio_util::io::ReaderStream;

use super::body::{TempFile, read_json, receive};
use super::{blocking, segment};
use crate::emulator::answer::ApiError;
use crate::emulator::app::App;
use crate::emulator::names::{Connector, FilePath};

fn connector(raw: &str) -> Result<Connector, ApiError> {
    Connector::parse(&segment(raw)?).map_err(ApiError::new)
}

fn file_path(raw: &[&str]) -> Result<FilePath, ApiError> {
    FilePath::from_raw_segments(raw, false).map_err(ApiError::new)
}

/// `GET /files/{connector}/{path}`: the bytes, streamed from disk.
pub async fn download(
    app: &Arc<App>,
    raw_connector: &str,
    raw_path: &[&str],
) -> Result<Response, ApiError> {
    let connector = connector(raw_connector)?;
    let path = file_path(raw_path)?;
    let (meta, location) = app.store.get_file(&connector, &path).ok_or_else(|| {
        ApiError::new(format!(
            "file `{}` not found in `{}`",
            path.as_string(),
            connector.display
        ))
    })?;
    let file = crate::emulator::store::bytes::open(&location)
        .await
        .map_err(|e| ApiError::new(format!("cannot read `{}`: {e}", meta.path)))?;
    let mut response =
        Body::from_stream(ReaderStream::with_capacity(file, 256 * 1024)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", meta.etag)) {
        headers.insert(header::ETAG, etag);
    }
    Ok(response)
}

/// `POST /files/{connector}/{path}`: streams the body to a temp file, then moves it in place.
pub async fn upload(
    app: &Arc<App>,
    req: Request<Body>,
    raw_connector: &str,
    raw_path: &[&str],
) -> Result<Response, ApiError> {
    let connector = connector(raw_connector)?;
    let path = file_path(raw_path)?;
    let temp = TempFile(app.store.temp_path());
    let received = receive(req.into_body(), &temp.0)
        .await
        .map_err(ApiError::new)?;
    let app = Arc::clone(app);
    blocking(move || {
        let temp = temp;
        app.store
            .put_file(&connector, &path, &temp.0, received.size, received.sha256)
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /files/{connector}/{path}`.
pub async fn delete(
    app: &Arc<App>,
    raw_connector: &str,
    raw_path: &[&str],
) -> Result<Response, ApiError> {
    let connector = connector(raw_connector)?;
    let path = file_path(raw_path)?;
    let shown = path.as_string();
    let display = connector.display.clone();
    let app = Arc::clone(app);
    let deleted = blocking(move || app.store.delete_file(&connector, &path)).await?;
    if !deleted {
        return Err(ApiError::new(format!(
            "file `{shown}` not found in `{display}`"
        )));
    }
    Ok(StatusCode::OK.into_response())
}

enum Piece {
    Bytes(Bytes),
    File(std::path::PathBuf),
}

/// `POST /files/sync/{connector}/{dir}?recursive=&ext=` with `{relPath: eTag}`: 204 for an
/// empty folder, else one multipart part per file (content when new or changed,
/// `X-File-Status: not-modified` when the ETag matches) and per known file now gone
/// (`X-File-Status: deleted`).
pub async fn sync(
    app: &Arc<App>,
    req: Request<Body>,
    raw_connector: &str,
    raw_dir: &[&str],
) -> Result<Response, ApiError> {
    let connector = connector(raw_connector)?;
    let dir = FilePath::from_raw_segments(raw_dir, true).map_err(ApiError::new)?;
    let query: BTreeMap<String, String> = axum::extract::Query::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let recursive = match query.get("recursive").map(|v| v.to_ascii_lowercase()) {
        None => true,
        Some(v) if v == "true" => true,
        Some(v) if v == "false" => false,
        Some(v) => {
            return Err(ApiError::new(format!(
                "`recursive` must be `true` or `false`, not `{v}`"
            )));
        }
    };
    let ext = query
        .get("ext")
        .map(|e| format!(".{}", e.trim_start_matches('.').to_lowercase()))
        .filter(|e| e.len() > 1);
    let known = match read_json(req.into_body(), "sync listing").await? {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => {
            let mut known = BTreeMap::new();
            for (path, etag) in map {
                let Value::String(etag) = etag else {
                    return Err(ApiError::new(format!(
                        "the sync listing maps `{path}` to a non-string ETag"
                    )));
                };
                known.insert(path, etag);
            }
            known
        }
        Some(_) => {
            return Err(ApiError::new(
                "the sync listing must be a JSON object `{relPath: eTag}`",
            ));
        }
    };
    let in_scope = |relative: &str| {
        (recursive || !relative.contains('/'))
            && ext
                .as_ref()
                .is_none_or(|e| relative.to_lowercase().ends_with(e.as_str()))
    };
    let files: Vec<_> = app
        .store
        .list_files(&connector, &dir, recursive)
        .into_iter()
        .filter(|(relative, _, _)| in_scope(relative))
        .collect();
    if files.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let boundary = format!("grokform-{}", uuid::Uuid::new_v4().simple());
    let mut pieces = Vec::new();
    let part_head = |relative: &str, etag: Option<&str>, status: Option<&str>| {
        let mut head = format!(
            "--{boundary}\r\nContent-Disposition: attachment; filename=\"{}\"\r\n\
             Content-Type: application/octet-stream\r\n",
            relative.replace('"', "%22")
        );
        if let Some(etag) = etag {
            head.push_str(&format!("X-File-E-Tag: {etag}\r\n"));
        }
        if let Some(status) = status {
            head.push_str(&format!("X-File-Status: {status}\r\n"));
        }
        head.push_str("\r\n");
        Piece::Bytes(Bytes::from(head))
    };
    for (relative, meta, location) in &files {
        let same = known
            .get(relative)
            .is_some_and(|etag| etag.trim_matches('"') == meta.etag);
        if same {
            pieces.push(part_head(relative, Some(&meta.etag), Some("not-modified")));
        } else {
            pieces.push(part_head(relative, Some(&meta.etag), None));
            pieces.push(Piece::File(location.clone()));
        }
        pieces.push(Piece::Bytes(Bytes::from_static(b"\r\n")));
    }
    for relative in known.keys() {
        let valid = FilePath::from_relative(relative).is_ok();
        if valid && in_scope(relative) && !files.iter().any(|(r, _, _)| r == relative) {
            pieces.push(part_head(relative, None, Some("deleted")));
            pieces.push(Piece::Bytes(Bytes::from_static(b"\r\n")));
        }
    }
    pieces.push(Piece::Bytes(Bytes::from(format!("--{boundary}--\r\n"))));
    let body =
        stream::iter(pieces).flat_map(|piece| -> BoxStream<'static, std::io::Result<Bytes>> {
            match piece {
                Piece::Bytes(bytes) => stream::once(async move { Ok(bytes) }).boxed(),
                Piece::File(path) => {
                    stream::once(async move { crate::emulator::store::bytes::open(&path).await })
                        .map_ok(|file| ReaderStream::with_capacity(file, 256 * 1024))
                        .try_flatten()
                        .boxed()
                }
            }
        });
    let mut response = Body::from_stream(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("multipart/mixed; boundary={boundary}"))
            .map_err(|e| ApiError::new(e.to_string()))?,
    );
    Ok(response)
}
