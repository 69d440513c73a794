//! `/public/v1/files`: upload, download, delete, and the sync route that lists a folder with
//! ETags.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;

use crate::client::envelope::{is_not_found, unexpected};
use crate::client::multipart::MultipartReader;
use crate::client::names::{file_path_segments, grok_name_segment};
use crate::client::observed::{FileStatus, SyncedFile};
use crate::client::request::Request;
use crate::client::transport::Received;
use crate::client::verified_body::Expected;
use crate::client::{Client, ClientError, Progress};

impl Client {
    /// Uploads `source` to `path` inside `connector`, streamed from disk. Replaces an existing
    /// file. Retried (the upload is idempotent).
    pub async fn upload_file(
        &self,
        connector: &str,
        path: &str,
        source: &Path,
        progress: Progress,
    ) -> Result<(), ClientError> {
        self.upload_file_checked(connector, path, source, None, progress)
            .await
    }

    /// [`Client::upload_file`], checking the bytes sent against `expected` in the same read
    /// (see [`Client::upload_table_checked`]).
    pub async fn upload_file_checked(
        &self,
        connector: &str,
        path: &str,
        source: &Path,
        expected: Option<&Expected>,
        progress: Progress,
    ) -> Result<(), ClientError> {
        let request = Request::post(file_route(connector, path)?)
            .idempotent()
            .transfer()
            .file(source, "application/octet-stream", &progress)
            .expecting(expected);
        self.send(&request).await.map(|_| ())
    }

    /// Downloads a file; `None` when the server says it does not exist (a 404, or an
    /// `ApiError` saying "not found").
    pub async fn download_file(
        &self,
        connector: &str,
        path: &str,
    ) -> Result<Option<Bytes>, ClientError> {
        let request = Request::get(file_route(connector, path)?).transfer();
        match self.send(&request).await {
            Ok(answer) => Ok(Some(answer.body)),
            Err(error) if is_not_found(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes a file. A file that is already gone counts as deleted (so a retried delete
    /// whose first attempt succeeded is not an error).
    pub async fn delete_file(&self, connector: &str, path: &str) -> Result<(), ClientError> {
        let request = Request::delete(file_route(connector, path)?).idempotent();
        match self.send(&request).await {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The files of folder `dir` in `connector` (`""` for its root) compared with `known`
    /// (`{relPath: eTag}`): `POST /public/v1/files/sync/{connector}/{dir}`. Only files whose
    /// name ends in `.{ext}` when `ext` is given; subfolders when `recursive`. Changed files
    /// come with their content, which is hashed as it streams by and never held whole.
    /// A file of `known` within that scope the answer does not mention is gone (an empty
    /// folder answers 204 without listing anything), so it is reported as deleted.
    pub async fn file_etags(
        &self,
        connector: &str,
        dir: &str,
        recursive: bool,
        ext: Option<&str>,
        known: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, SyncedFile>, ClientError> {
        let mut route = format!("/public/v1/files/sync/{}", grok_name_segment(connector)?);
        if !dir.trim_matches('/').is_empty() {
            route = format!("{route}/{}", file_path_segments(dir)?);
        }
        let ext = ext
            .map(|e| e.trim_start_matches('.').to_lowercase())
            .filter(|e| !e.is_empty());
        let in_scope = |path: &str| {
            (recursive || !path.contains('/'))
                && ext
                    .as_ref()
                    .is_none_or(|e| path.to_lowercase().ends_with(&format!(".{e}")))
        };
        let mut request = Request::post(route)
            .idempotent()
            .transfer()
            .query("recursive", if recursive { "true" } else { "false" })
            .json(&serde_json::to_value(known).expect("a map of strings is JSON"));
        if let Some(ext) = &ext {
            request = request.query("ext", ext);
        }
        let mut files = match self.send_streaming(&request).await? {
            Received::Whole(answer) if answer.is_nothing() => BTreeMap::new(),
            Received::Whole(answer) => {
                let value = answer.json(&request, self.base_url())?;
                return Err(unexpected(
                    &request,
                    "JSON instead of a multipart listing",
                    &value,
                ));
            }
            Received::Stream(streamed) => {
                let content_type = streamed.content_type().unwrap_or_default();
                let broken = |detail: String| ClientError::Unexpected {
                    request: request.label(),
                    detail,
                    may_have_committed: false,
                };
                let mut reader = MultipartReader::new(&content_type).map_err(broken)?;
                self.stream_body(&request, streamed, |chunk| {
                    reader.feed(chunk).map_err(broken)
                })
                .await?;
                reader.finish().map_err(broken)?
            }
        };
        for path in known.keys().filter(|p| in_scope(p)) {
            files.entry(path.clone()).or_insert(SyncedFile {
                status: FileStatus::Deleted,
                etag: None,
                content: None,
            });
        }
        Ok(files)
    }
}

/// `/public/v1/files/{connector}/{path}`.
fn file_route(connector: &str, path: &str) -> Result<String, ClientError> {
    Ok(format!(
        "/public/v1/files/{}/{}",
        grok_name_segment(connector)?,
        file_path_segments(path)?
    ))
}
