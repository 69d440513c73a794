//! Grants: sharing through the public route, and reading, granting and revoking single grants
//! through the internal permissions routes.

use reqwest::Method;
use serde_json::{Value, json};

use super::{checked_id, id_segment};
use crate::client::capabilities::Capability;
use crate::client::envelope::unexpected;
use crate::client::names::encode_segment;
use crate::client::observed::{Deletion, Permission};
use crate::client::request::Request;
use crate::client::{Client, ClientError, ShareOutcome, answers};
use crate::model::Access;

impl Client {
    /// Shares an entity with groups. Uses `POST /entities/{id}/shares` and falls back to the
    /// older `GET /dashboards/{id}/shares` only when that answers 404. Retried (re-sharing is
    /// harmless: it lands in `already_shared`).
    pub async fn share(
        &self,
        entity_id: &str,
        groups: &[String],
        access: Access,
    ) -> Result<ShareOutcome, ClientError> {
        if groups.is_empty() {
            return Ok(ShareOutcome {
                status: "success".into(),
                ..ShareOutcome::default()
            });
        }
        for group in groups {
            if group.is_empty() || group.contains(',') {
                return Err(ClientError::BadName {
                    name: group.clone(),
                    reason: "a group name cannot be empty or contain `,`".into(),
                });
            }
        }
        let groups = groups
            .iter()
            .map(|g| encode_segment(g))
            .collect::<Vec<_>>()
            .join(",");
        let id = encode_segment(entity_id);
        let current = Request::post(format!("/public/v1/entities/{id}/shares"))
            .idempotent()
            .query_encoded("groups", &groups)
            .query("access", access.as_str());
        let older = current.on_route(Method::GET, format!("/public/v1/dashboards/{id}/shares"));
        let (request, answer) = self.send_or_older(current, older).await?;
        let value = answer.json(&request, self.base_url())?;
        answers::share_outcome(&value)
            .ok_or_else(|| unexpected(&request, "no `status` in the answer", &value))
    }

    /// The grants held on the entity itself:
    /// `GET /privileges/permissions?entityId=…&all=true`, keeping only rows whose `entityId`
    /// is `entity_id` (`all=true` adds rows inherited from containing entities, which are
    /// granted there, not here). Sorted by group name, then permission, then id.
    pub async fn permissions(&self, entity_id: &str) -> Result<Vec<Permission>, ClientError> {
        let request = Request::get("/privileges/permissions")
            .query("entityId", checked_id(entity_id)?)
            .query("all", "true");
        let rows: Vec<Permission> = self.read_list(&request).await?;
        let mut own: Vec<Permission> = rows
            .into_iter()
            .filter(|p| p.entity_id.as_deref() == Some(entity_id))
            .collect();
        own.sort_by(|a, b| {
            (a.group_name(), a.permission_name(), &a.id).cmp(&(
                b.group_name(),
                b.permission_name(),
                &b.id,
            ))
        });
        Ok(own)
    }

    /// `POST /privileges/permissions`: grants `access` on `entity_id` to the group with id
    /// `group_id`. The row's id is chosen here, so a retried grant saves the same row.
    /// Returns the grant's id (the server's, when it answers with another).
    pub async fn grant(
        &self,
        entity_id: &str,
        group_id: &str,
        access: Access,
    ) -> Result<String, ClientError> {
        checked_id(entity_id)?;
        checked_id(group_id)?;
        let id = uuid::Uuid::new_v4().to_string();
        let body = json!({
            "id": id,
            "entityId": entity_id,
            "userGroup": {"id": group_id},
            "permission": {"name": access.as_str()},
        });
        let request = Request::post("/privileges/permissions").json(&body);
        let answer = self.send(&request).await?;
        if answer.is_nothing() {
            return Ok(id);
        }
        let value = answer.json(&request, self.base_url())?;
        Ok(match value.get("id").or(value.get("ID")) {
            Some(Value::String(server_id)) if !server_id.is_empty() => server_id.clone(),
            _ => id,
        })
    }

    /// `DELETE /privileges/permissions/{permId}`: revokes one grant. Not repeated after an
    /// answer that leaves open whether it happened; read the grants back to know.
    pub async fn revoke(&self, permission_id: &str) -> Result<Deletion, ClientError> {
        let request = Request::delete(format!(
            "/privileges/permissions/{}",
            id_segment(permission_id)?
        ));
        self.delete_entity(&request, Capability::Revoke).await
    }
}
