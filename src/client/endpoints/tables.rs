//! Tables: the public upload and CSV download, and the internal routes that read a table's
//! description back, find tables by name and delete one.

use std::path::Path;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::id_segment;
use crate::client::capabilities::Capability;
use crate::client::envelope::{is_not_found, unexpected};
use crate::client::names::grok_name_segment;
use crate::client::observed::{ContentDigest, Deletion, Table};
use crate::client::request::Request;
use crate::client::transport::Received;
use crate::client::verified_body::Expected;
use crate::client::{Client, ClientError, Progress, TableInfo, answers};

/// How many tables one name search asks for; duplicates of a name are few.
const SEARCH_LIMIT: &str = "100";

impl Client {
    /// Uploads a CSV as the table `grok_name` (colon form), streamed from disk; replaces the
    /// data of an existing table of that name. Retried (idempotent).
    pub async fn upload_table(
        &self,
        grok_name: &str,
        source: &Path,
        progress: Progress,
    ) -> Result<TableInfo, ClientError> {
        self.upload_table_checked(grok_name, source, None, progress)
            .await
    }

    /// [`Client::upload_table`], checking the bytes sent against `expected` (the size and
    /// hash the plan recorded) in the same read: a source that changed is not stored
    /// (`ClientError::SourceChanged`).
    pub async fn upload_table_checked(
        &self,
        grok_name: &str,
        source: &Path,
        expected: Option<&Expected>,
        progress: Progress,
    ) -> Result<TableInfo, ClientError> {
        let route = format!("/public/v1/tables/{}", grok_name_segment(grok_name)?);
        let request = Request::post(route)
            .idempotent()
            .transfer()
            .file(source, "text/csv; charset=utf-8", &progress)
            .expecting(expected);
        let answer = self.send(&request).await?;
        let value = answer.json(&request, self.base_url())?;
        answers::table_info(&value)
            .ok_or_else(|| unexpected(&request, "no `ID` in the answer", &value))
    }

    /// Downloads a table (by UUID or Grok name) as CSV.
    pub async fn download_table(&self, id_or_name: &str) -> Result<Bytes, ClientError> {
        let route = format!("/public/v1/tables/{}", grok_name_segment(id_or_name)?);
        Ok(self.send(&Request::get(route).transfer()).await?.body)
    }

    /// The SHA-256 and size of a table's CSV (by UUID or Grok name), hashed as it streams
    /// from the server: a table of any size is compared without holding it. `None` when the
    /// server says the table does not exist.
    pub async fn table_digest(
        &self,
        id_or_name: &str,
    ) -> Result<Option<ContentDigest>, ClientError> {
        let route = format!("/public/v1/tables/{}", grok_name_segment(id_or_name)?);
        let request = Request::get(route).transfer();
        let received = match self.send_streaming(&request).await {
            Ok(received) => received,
            Err(error) if is_not_found(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        match received {
            Received::Whole(answer) if answer.is_html() => {
                return Err(answer.not_json(&request, self.base_url()));
            }
            // A table whose CSV came typed as JSON, or empty: hashed all the same.
            Received::Whole(answer) => {
                hasher.update(&answer.body);
                bytes = answer.body.len() as u64;
            }
            Received::Stream(streamed) => {
                let hashed = self
                    .stream_body(&request, streamed, |chunk| {
                        hasher.update(chunk);
                        bytes += chunk.len() as u64;
                        Ok(())
                    })
                    .await;
                match hashed {
                    Ok(()) => {}
                    Err(error) if is_not_found(&error) => return Ok(None),
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(Some(ContentDigest {
            sha256: hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            bytes,
        }))
    }

    /// `GET /tables/{uuid}`: the table's description with its columns; `None` when the
    /// server says there is no such table.
    pub async fn table(&self, id: &str) -> Result<Option<Table>, ClientError> {
        self.read_one(&Request::get(format!("/tables/{}", id_segment(id)?)))
            .await
    }

    /// The tables called exactly `grok_name` (`JohnDoe:Sales:Q1`): `GET /tables?text=…` by
    /// the last part of the name, then an exact match on name and namespace here, because
    /// the server's text search is loose. Several can match: names are not unique.
    pub async fn tables_named(&self, grok_name: &str) -> Result<Vec<Table>, ClientError> {
        let name = grok_name.rsplit(':').next().unwrap_or(grok_name);
        let request = Request::get("/tables")
            .query("text", name)
            .query("limit", SEARCH_LIMIT);
        let tables: Vec<Table> = self.read_list(&request).await?;
        Ok(tables
            .into_iter()
            .filter(|t| t.is_named(grok_name))
            .collect())
    }

    /// `DELETE /tables/{uuid}`. Global: it removes the table for every user and project.
    /// Not repeated after an answer that leaves open whether it happened; read the table
    /// back to know.
    pub async fn delete_table(&self, id: &str) -> Result<Deletion, ClientError> {
        let request = Request::delete(format!("/tables/{}", id_segment(id)?));
        self.delete_entity(&request, Capability::DeleteTable).await
    }
}
