//! One file per area of the API, each holding the typed methods of its routes: the public
//! `/public/v1` routes grokform writes through, and the internal routes (the ones Datagrok's
//! own `grok` CLI uses) it reads the server back with. This module holds what they share:
//! how a read by id and a read of a list treat "nothing there", and how a delete ends.

mod dashboards;
mod entities;
mod files;
mod functions;
mod health;
mod layouts;
mod projects;
mod shares;
mod tables;

use serde_json::Value;

use crate::client::capabilities::Capability;
use crate::client::envelope::{is_api_not_found, unexpected};
use crate::client::names::encode_segment;
use crate::client::observed::{Deletion, Record, parse_list, parse_one};
use crate::client::request::Request;
use crate::client::{Client, ClientError};

impl Client {
    /// Reads one record. `None` when the server says there is none: an `ApiError` saying
    /// "not found", or an empty answer (`null`, `[]`, `{}`, 204). An array of one (the
    /// shape of `GET /entities/{id}`) is that one.
    async fn read_one<T: Record>(&self, request: &Request<'_>) -> Result<Option<T>, ClientError> {
        let answer = match self.send(request).await {
            Ok(answer) => answer,
            Err(error) if is_api_not_found(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        if answer.is_nothing() {
            return Ok(None);
        }
        let value = answer.json(request, self.base_url())?;
        let one = match &value {
            Value::Array(items) if items.len() == 1 => &items[0],
            Value::Array(items) => {
                let detail = format!("{} records for one id", items.len());
                return Err(unexpected(request, &detail, &value));
            }
            other => other,
        };
        parse_one(one)
            .map(Some)
            .map_err(|e| unexpected(request, &e, &value))
    }

    /// Reads a list of records; an answer that says "not found" or nothing is an empty list.
    async fn read_list<T: Record>(&self, request: &Request<'_>) -> Result<Vec<T>, ClientError> {
        let answer = match self.send(request).await {
            Ok(answer) => answer,
            Err(error) if is_api_not_found(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        if answer.is_nothing() {
            return Ok(Vec::new());
        }
        let value = answer.json(request, self.base_url())?;
        parse_list(&value).map_err(|e| unexpected(request, &e, &value))
    }

    /// Sends a delete of one entity; "not found" means it was already gone. What the server
    /// answered is recorded against `capability`.
    async fn delete_entity(
        &self,
        request: &Request<'_>,
        capability: Capability,
    ) -> Result<Deletion, ClientError> {
        let result = match self.send(request).await {
            Ok(_) => Ok(Deletion::Deleted),
            Err(error) if is_api_not_found(&error) => Ok(Deletion::AlreadyGone),
            Err(error) => Err(error),
        };
        self.note_write(capability, &result);
        result
    }
}

/// An entity id as a path segment.
fn id_segment(id: &str) -> Result<String, ClientError> {
    Ok(encode_segment(checked_id(id)?))
}

/// An entity id that can be sent. An empty id would turn a route on one entity into the
/// route on all of them (or a filter into none), so it is refused before anything is sent.
fn checked_id(id: &str) -> Result<&str, ClientError> {
    if id.trim().is_empty() || id.chars().any(char::is_control) {
        return Err(ClientError::BadName {
            name: id.to_string(),
            reason: "an id cannot be empty or hold control characters".into(),
        });
    }
    Ok(id)
}
