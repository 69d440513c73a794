//! `/public/v1/tables`: CSV uploads (validated while streamed from a temp file, same name →
//! same ID) and downloads by ID or name.

use std::path::Path;
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
use crate::emulator::directory::ADMIN;
use crate::emulator::names::{TableName, as_uuid};

/// What a valid CSV holds.
#[derive(Debug, PartialEq)]
pub struct CsvSummary {
    pub columns: Vec<String>,
    pub rows: u64,
}

/// Reads the CSV at `path` as a stream: UTF-8, a header row, every row as wide as the header.
/// Quoted fields may hold newlines; a row is a record, not a line.
pub fn check_csv(path: &Path) -> Result<CsvSummary, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_path(path)
        .map_err(|e| format!("cannot read the upload: {e}"))?;
    let explain = |e: csv::Error| -> String {
        let line = e.position().map(|p| p.line());
        match (e.kind(), line) {
            (csv::ErrorKind::Utf8 { .. }, Some(line)) => {
                format!("the CSV is not valid UTF-8 (line {line})")
            }
            (csv::ErrorKind::Utf8 { .. }, None) => "the CSV is not valid UTF-8".to_owned(),
            (
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                },
                Some(line),
            ) => format!(
                "the CSV row at line {line} has {len} fields, but the header has {expected_len}"
            ),
            _ => format!("the CSV cannot be read: {e}"),
        }
    };
    let columns: Vec<String> = reader
        .headers()
        .map_err(explain)?
        .iter()
        .map(str::to_owned)
        .collect();
    if columns.is_empty() || columns.iter().all(String::is_empty) {
        return Err("the CSV has no header row".to_owned());
    }
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    while reader.read_record(&mut record).map_err(explain)? {
        rows += 1;
    }
    Ok(CsvSummary { columns, rows })
}

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
        let summary = check_csv(&temp.0)
            .map_err(|reason| format!("table `{}` was not stored: {reason}", name.grok_name()))?;
        app.store
            .put_table(&name, &temp.0, summary.rows, summary.columns, received.size)
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
    let file = tokio::fs::File::open(app.store.table_path(table.id))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &[u8]) -> Result<CsvSummary, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        check_csv(&path)
    }

    #[test]
    fn counts_records_not_lines() {
        let summary = check(b"name,note\na,\"two\nlines\"\nb,plain\n").unwrap();
        assert_eq!(summary.rows, 2);
        assert_eq!(summary.columns, ["name", "note"]);
        assert_eq!(check(b"a,b\n").unwrap().rows, 0);
    }

    #[test]
    fn rejects_ragged_non_utf8_and_headerless_csv() {
        let ragged = check(b"a,b\n1,2\n3\n").unwrap_err();
        assert!(ragged.contains("line 3"), "{ragged}");
        assert!(check(b"a,b\n\xff,1\n").unwrap_err().contains("UTF-8"));
        assert!(check(b"\n\n").is_err());
    }
}
