//! Deleting a table or dashboard that left the manifest (`lifecycle.deletion: allowed`): one
//! delete through the internal route, never repeated, then a read-back by ID. Success is
//! recorded only when the read-back finds nothing; otherwise the entry stays in the state
//! with what the server answered, so nothing grokform applied becomes untracked.

use super::error::{client_error, refused};
use super::{ApplyError, Context};
use crate::address::{Address, Kind};
use crate::client::ClientError;
use crate::plan::Change;

impl Context {
    /// Deletes the recorded table or dashboard of `change` and proves it gone.
    pub(super) async fn delete_verified(&self, change: &Change) -> Result<(), ApplyError> {
        let address = &change.address;
        let Some(id) = change.remote_id.as_deref().filter(|id| !id.is_empty()) else {
            return Err(refused(
                address,
                "the state records no ID for it, so it cannot be deleted; it stays in the state",
            ));
        };
        let deleted = match address.kind {
            Kind::Dashboard => self.client.delete_project(id).await.map(drop),
            _ => self.client.delete_table(id).await.map(drop),
        };
        deleted.map_err(|e| kept(address, id, &e))?;
        let still_there = match address.kind {
            Kind::Dashboard => self.client.project(id).await.map(|p| p.is_some()),
            _ => self.client.table(id).await.map(|t| t.is_some()),
        }
        .map_err(|e| client_error(address, e))?;
        if still_there {
            return Err(refused(
                address,
                &format!(
                    "the server accepted the delete, but reading `{id}` back still finds it; it stays in the state"
                ),
            ));
        }
        Ok(())
    }
}

/// A delete the server did not take: the entry stays in the state, with the server's answer.
fn kept(address: &Address, id: &str, error: &ClientError) -> ApplyError {
    refused(
        address,
        &format!(
            "the server did not delete `{id}` ({error}); it stays in the state: set `lifecycle.deletion: forget` to stop managing it instead, or delete it in Datagrok"
        ),
    )
}
