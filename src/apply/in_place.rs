//! A dashboard's layout saved in place (a `~ update` the planner made because only the layout
//! changed and the server allows `Capability::SaveInPlace`). The save goes to the layout entity
//! the server already holds, by its id, as `grok s push` saves entities; it counts only once
//! the project and its layout are read back by the same ids and the layout means what was
//! sent. Until then the state keeps the old record. When the server refuses the route or the
//! read-back contradicts the save, the capability is turned off for the run and this one
//! dashboard is replaced as without it (new dashboard, its shares granted again, the old
//! `/p/<id>` deleted under `on_replace: delete`, else left on the server and named).

use serde_json::Value;

use super::error::{client_error, refused};
use super::{ApplyError, Context, Event};
use crate::address::Address;
use crate::client::{Capability, route_refusal};
use crate::model::OnReplace;
use crate::plan::{Action, Change};

/// How an in-place update ended: the dashboard's ID, the action really taken, and a note.
pub(super) struct Updated {
    pub id: String,
    pub action: Action,
    pub note: Option<String>,
}

impl Context {
    /// Saves the manifest's layout over dashboard `change.remote_id`'s own, reads it back,
    /// and records it; falls back to a replacement when the server will not do it.
    pub(super) async fn update_in_place(&self, change: &Change) -> Result<Updated, ApplyError> {
        let address = &change.address;
        let id = change
            .remote_id
            .clone()
            .ok_or_else(|| refused(address, "the dashboard has no ID in the state"))?;
        let expected = self.filled_layout(change).await?;
        match self.save_and_verify(address, &id, &expected).await? {
            None => {
                self.journal
                    .record_applied(&self.model, change, Some(id.clone()))
                    .await?;
                Ok(Updated {
                    id,
                    action: Action::Update,
                    note: Some("layout saved in place, read back, same URL".into()),
                })
            }
            Some(reason) => {
                self.client
                    .record_refused(Capability::SaveInPlace, reason.clone());
                self.replace_instead(change, &id, &reason).await
            }
        }
    }

    /// The manifest's layout for `change`, its table names and IDs filled in as a create
    /// sends it.
    async fn filled_layout(&self, change: &Change) -> Result<String, ApplyError> {
        let address = &change.address;
        let dashboard = &self.model.dashboards[&address.key];
        let key = dashboard
            .layout
            .as_ref()
            .ok_or_else(|| refused(address, "the dashboard has no layout to save in place"))?;
        let named = crate::layout::with_table_names(&self.model.layouts[key].text, &self.model);
        self.journal.fill(address, &named).await
    }

    /// Saves `expected` over the layout of dashboard `id` and reads both back: `Ok(None)` when
    /// the server holds it under the same ids, `Ok(Some(reason))` when the server refused or
    /// contradicted the save (replace instead), `Err` when it cannot be known now (a network
    /// or server failure: nothing is recorded, the next plan offers the update again).
    async fn save_and_verify(
        &self,
        address: &Address,
        id: &str,
        expected: &str,
    ) -> Result<Option<String>, ApplyError> {
        let read = |e| client_error(address, e);
        let layout: Value = serde_json::from_str(expected)
            .map_err(|e| refused(address, &format!("the filled layout is not JSON: {e}")))?;
        let before = self.client.layouts(id).await.map_err(read)?;
        let Some(layout_id) = before.first().map(|l| l.id.clone()) else {
            return Ok(Some(format!(
                "the server holds no layout for `/p/{id}` to save over"
            )));
        };
        if let Err(error) = self.client.save_layout(&layout_id, &layout).await {
            return match route_refusal(&error) {
                Some(reason) => Ok(Some(format!("the server refused the save ({reason})"))),
                None => Err(read(error)),
            };
        }
        if self.client.project(id).await.map_err(read)?.is_none() {
            return Ok(Some(format!(
                "after the save, `/p/{id}` is gone from the server"
            )));
        }
        let after = self.client.layouts(id).await.map_err(read)?;
        let Some(served) = after.iter().find(|l| l.id == layout_id) else {
            return Ok(Some(format!(
                "after the save, `/p/{id}` no longer holds layout `{layout_id}`"
            )));
        };
        Ok(
            crate::refresh::compare_layout(Some(expected), Some(&served.raw)).map(|drift| {
                format!(
                    "the save reported success but the layout read back differs ({})",
                    drift.seen
                )
            }),
        )
    }

    /// Whether the old dashboard of a fallback replacement is deleted, as a planned
    /// replacement's would be: `on_replace: delete` (its own, else the manifest's), not
    /// `prevent_destroy`, the server not refusing deletes, and no earlier orphans that the
    /// run deletes after the executor (which records what is left of those).
    async fn deletes_replaced(&self, change: &Change) -> bool {
        let dashboard = &self.model.dashboards[&change.address.key];
        let on_replace = dashboard
            .on_replace
            .unwrap_or(self.model.lifecycle.on_replace);
        on_replace == OnReplace::Delete
            && !dashboard.prevent_destroy
            && change.delete_replaced.is_empty()
            && self
                .client
                .probe_capabilities()
                .await
                .allows(Capability::DeleteProject)
    }

    /// The fallback: a new dashboard as a replacement creates it, recorded, and the
    /// manifest's shares of it granted again (the plan had left them alone); the old one stays
    /// on the server, named in a warning.
    async fn replace_instead(
        &self,
        change: &Change,
        old: &str,
        reason: &str,
    ) -> Result<Updated, ApplyError> {
        let address = &change.address;
        self.reporter.event(Event::Warning(format!(
            "{address}: the layout could not be updated in place: {reason}; the dashboard is replaced instead (new URL, shares granted again) and `/p/{old}` is left as after any replacement"
        )));
        let (id, _) = self.create_dashboard(change).await?;
        let dashboard = &address.key;
        for ((d, group), share) in &self.model.shares {
            if d != dashboard {
                continue;
            }
            let share_address = Address::share(d, group);
            let outcome = self
                .client
                .share(&id, std::slice::from_ref(&share.group), share.access)
                .await
                .map_err(|e| client_error(&share_address, e))?;
            if outcome.status == "failed"
                || outcome
                    .failed
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(&share.group))
            {
                return Err(refused(
                    &share_address,
                    &format!(
                        "the server could not share the new `/p/{id}` with `{}`",
                        share.group
                    ),
                ));
            }
            // A share this plan changes records itself when it runs (after this dashboard);
            // one it left alone is recorded here, on the new dashboard's ID.
            if !self.changes.contains_key(&share_address)
                && let Some(entry) = self.journal.entry(&share_address).await
            {
                let mut recorded = change.clone();
                recorded.address = share_address;
                recorded.inputs_hash = entry.inputs_hash;
                self.journal
                    .record_applied(&self.model, &recorded, None)
                    .await?;
            }
        }
        let fate = if self.deletes_replaced(change).await {
            // the new dashboard and its shares are in place: as after any replacement
            let left = self.delete_each(address, &[old.to_string()]).await;
            self.record_orphans(address, &left).await?;
            if left.is_empty() {
                "is deleted (`lifecycle.on_replace: delete`)"
            } else {
                "could not be deleted and is kept in the state as `orphaned`; the next plan offers the delete again"
            }
        } else {
            "stays on the server"
        };
        Ok(Updated {
            note: Some(format!(
                "replaced: not updated in place ({reason}); `/p/{old}` {fate}"
            )),
            id,
            action: Action::Replace,
        })
    }
}
