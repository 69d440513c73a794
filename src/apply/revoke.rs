//! Revoking a grant (`lifecycle.shares: authoritative`): the rows the server holds for the
//! group are read, each revoked once through the internal permissions route, then read again.
//! Success is recorded only when the read-back shows the grant gone; otherwise the share stays
//! in the state and the error carries what the server answered or still holds. A revoke is
//! never sent twice: whether an unanswered one happened is for the next plan's read to say.

use super::error::{client_error, refused};
use super::{ApplyError, Context};
use crate::address::Address;
use crate::client::Permission;
use crate::plan::Change;

/// Which of the group's grants to revoke.
#[derive(Clone, Copy)]
pub(super) enum Revoke<'a> {
    /// Every grant of the group: the share left the manifest.
    All,
    /// Only grants of this access (`Edit`, before `View` is granted).
    Access(&'a str),
}

impl Context {
    /// Revokes the grant `change` records and proves it gone by reading the grants back.
    pub(super) async fn revoke_grant(
        &self,
        change: &Change,
        which: Revoke<'_>,
    ) -> Result<(), ApplyError> {
        let address = &change.address;
        let (dashboard_id, group) = (change.recorded("dashboard_id"), change.recorded("group"));
        if dashboard_id.is_empty() || group.is_empty() {
            return Err(refused(
                address,
                "the state records no dashboard ID or group for this grant, so it cannot be revoked; it stays in the state",
            ));
        }
        let rows = self
            .client
            .permissions(&dashboard_id)
            .await
            .map_err(|e| client_error(address, e))?;
        for row in rows.iter().filter(|r| held(r, &group, which)) {
            self.client
                .revoke(&row.id)
                .await
                .map_err(|e| kept(address, &group, &dashboard_id, e))?;
        }
        let after = self
            .client
            .permissions(&dashboard_id)
            .await
            .map_err(|e| client_error(address, e))?;
        let left: Vec<&str> = after
            .iter()
            .filter(|r| held(r, &group, which))
            .filter_map(Permission::permission_name)
            .collect();
        if !left.is_empty() {
            return Err(refused(
                address,
                &format!(
                    "the server accepted the revoke, but reading the grants of `/p/{dashboard_id}` back still shows `{group}` with {} access; the share stays in the state",
                    left.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// Whether `row` is one of the group's grants to revoke.
fn held(row: &Permission, group: &str, which: Revoke<'_>) -> bool {
    let is_group = row.user_group.as_ref().is_some_and(|g| {
        [&g.name, &g.friendly_name]
            .into_iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(group))
    });
    is_group
        && match which {
            Revoke::All => true,
            Revoke::Access(access) => row
                .permission_name()
                .is_some_and(|p| p.eq_ignore_ascii_case(access)),
        }
}

/// A revoke the server did not take: the share stays in the state, with the server's answer.
fn kept(
    address: &Address,
    group: &str,
    dashboard_id: &str,
    error: crate::client::ClientError,
) -> ApplyError {
    refused(
        address,
        &format!(
            "the server did not revoke `{group}`'s grant on `/p/{dashboard_id}` ({error}); the share stays in the state: set `lifecycle.shares: additive` to forget it instead, or remove the grant in Datagrok"
        ),
    )
}
