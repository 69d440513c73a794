//! What each kind of change sends to the server, and what it records once the server
//! answered (through the journal).

use std::sync::Arc;

use super::error::{client_error, refused};
use super::revoke::Revoke;
use super::uncertain::{CallResolution, Resolution};
use super::{ApplyError, Completed, Context, Event};
use crate::address::{Address, Kind};
use crate::client::{ExpectedUpload, Progress};
use crate::model::Source;
use crate::plan::{Action, Change};

impl Context {
    /// Makes one change on the server and records it; the per-kind rules follow.
    pub(super) async fn perform(&self, change: &Change) -> Result<Completed, ApplyError> {
        let address = &change.address;
        let mut note = None;
        let mut action = change.action;
        let remote_id = match (address.kind, change.action) {
            (_, Action::NoOp) => None,
            (_, Action::Forget) => {
                self.journal.record(address, None).await?;
                None
            }
            (Kind::File, Action::Delete) => {
                let (connector, path) = recorded_file(change);
                self.delete_file(address, &connector, &path).await?;
                self.journal.record(address, None).await?;
                None
            }
            (Kind::Table | Kind::Dashboard, Action::Delete) => {
                self.delete_verified(change).await?;
                self.journal.record(address, None).await?;
                None
            }
            (Kind::Share, Action::Delete) => {
                self.revoke_grant(change, Revoke::All).await?;
                self.journal.record(address, None).await?;
                None
            }
            (Kind::File, _) => {
                self.upload_file(change).await?;
                None
            }
            (Kind::Table, _) => Some(self.upload_table(change).await?),
            // only old dashboards to delete (`lifecycle.on_replace`): done after the executor
            (Kind::Dashboard, Action::Update) if change.save_in_place => {
                let updated = self.update_in_place(change).await?;
                note = updated.note;
                action = updated.action;
                Some(updated.id)
            }
            (Kind::Dashboard, Action::Update) => change.remote_id.clone(),
            (Kind::Dashboard, _) => {
                let (id, adopted) = self.create_dashboard(change).await?;
                note = adopted;
                Some(id)
            }
            (Kind::Share, _) => {
                self.share(change).await?;
                None
            }
            (Kind::Call, _) => {
                note = self.call(change).await?;
                None
            }
        };
        Ok(Completed {
            address: address.clone(),
            action,
            remote_id,
            note,
        })
    }

    /// Uploads a file; a replacement (new connector or path) deletes the old copy afterwards.
    async fn upload_file(&self, change: &Change) -> Result<(), ApplyError> {
        let address = &change.address;
        let file = &self.model.files[&address.key];
        let progress = self.progress(address, file.source.size);
        self.client
            .upload_file_checked(
                &file.connector,
                &file.path,
                &file.source.path,
                Some(&expected(&file.source)),
                progress,
            )
            .await
            .map_err(|e| client_error(address, e))?;
        if change.action == Action::Replace {
            // Uploaded first, then the old copy deleted: never a moment with neither.
            let (connector, path) = recorded_file(change);
            if !(connector.eq_ignore_ascii_case(&file.connector) && path == file.path) {
                self.delete_file(address, &connector, &path).await?;
            }
        }
        self.journal.record_applied(&self.model, change, None).await
    }

    /// Uploads a table's CSV and returns the ID the server gave it.
    async fn upload_table(&self, change: &Change) -> Result<String, ApplyError> {
        let address = &change.address;
        let table = &self.model.tables[&address.key];
        let progress = self.progress(address, table.source.size);
        let info = self
            .client
            .upload_table_checked(
                &table.name,
                &table.source.path,
                Some(&expected(&table.source)),
                progress,
            )
            .await
            .map_err(|e| client_error(address, e))?;
        let previous = self.journal.remote_id(address).await;
        if change.action == Action::Update && previous.as_deref().is_some_and(|p| p != info.id) {
            self.reporter.event(Event::Warning(format!(
                "{address}: the server answered the re-upload with a new ID ({} instead of {}); dashboards \
                 showing the old table will be replaced by the next plan",
                info.id,
                previous.unwrap_or_default()
            )));
        }
        self.journal
            .record_applied(&self.model, change, Some(info.id.clone()))
            .await?;
        Ok(info.id)
    }

    /// Shares the dashboard with the group; a group the server could not share with fails.
    async fn share(&self, change: &Change) -> Result<(), ApplyError> {
        let address = &change.address;
        // Looked up by key (`dashboard.group`, as the planner does; any split that finds one
        // names this address): a scan building every share's address per share made apply
        // quadratic in the number of shares.
        let by_key = address
            .key
            .split_once('.')
            .and_then(|(d, g)| self.model.shares.get(&(d.to_string(), g.to_string())));
        let share = by_key
            .or_else(|| {
                self.model
                    .shares
                    .iter()
                    .find(|((d, g), _)| Address::share(d, g) == *address)
                    .map(|(_, s)| s)
            })
            .cloned()
            .ok_or_else(|| refused(address, "the share is no longer in the manifest"))?;
        let dashboard = Address::dashboard(&share.dashboard);
        let id = self
            .journal
            .remote_id(&dashboard)
            .await
            .ok_or_else(|| refused(address, &format!("{dashboard} has no ID in the state")))?;
        if change.revoke_first {
            // One grant row per group: the Edit row must go before View can be granted.
            self.revoke_grant(change, Revoke::Access("Edit")).await?;
        }
        let outcome = self
            .client
            .share(&id, std::slice::from_ref(&share.group), share.access)
            .await
            .map_err(|e| client_error(address, e))?;
        if outcome
            .failed
            .iter()
            .any(|g| g.eq_ignore_ascii_case(&share.group))
            || outcome.status == "failed"
        {
            return Err(refused(
                address,
                &format!(
                    "the server could not share `{}` with `{}` (is the group or user name right?)",
                    self.model.dashboards[&share.dashboard].name, share.group
                ),
            ));
        }
        self.journal.record_applied(&self.model, change, None).await
    }

    /// Calls the function with its params filled from the state. Its result is not kept:
    /// the state records that it ran with these inputs, which is what the next plan compares.
    /// One an earlier apply left uncertain is checked first (`uncertain`); the note says when
    /// it was recorded without running.
    async fn call(&self, change: &Change) -> Result<Option<String>, ApplyError> {
        let address = &change.address;
        let call = &self.model.calls[&address.key];
        let text = serde_json::to_string(&call.params).expect("JSON values serialise");
        let filled = self.journal.fill(address, &text).await?;
        let params: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&filled)
            .map_err(|e| refused(address, &format!("the filled params are not JSON: {e}")))?;
        if self.check_uncertain_call(change).await? == CallResolution::Accept {
            self.journal
                .record_applied(&self.model, change, None)
                .await?;
            return Ok(Some(
                "recorded as run without running it again (--accept-uncertain)".into(),
            ));
        }
        self.send_once(
            change,
            None,
            self.client.call_function(&call.function, &params),
        )
        .await?;
        self.journal
            .record_applied(&self.model, change, None)
            .await?;
        Ok(None)
    }

    /// Creates (or re-creates) a dashboard, marking it uncertain in the saved state while the
    /// request is out, so an interrupted create is never silently duplicated; one an earlier
    /// apply left uncertain is looked up first (`uncertain`). Returns its ID and, for an
    /// adopted one, a note saying so.
    pub(super) async fn create_dashboard(
        &self,
        change: &Change,
    ) -> Result<(String, Option<String>), ApplyError> {
        let address = &change.address;
        let dashboard = &self.model.dashboards[&address.key];
        let mut table_ids = Vec::with_capacity(dashboard.tables.len());
        for table in &dashboard.tables {
            let table = Address::table(table);
            let id = self
                .journal
                .remote_id(&table)
                .await
                .ok_or_else(|| refused(address, &format!("{table} has no ID in the state")))?;
            table_ids.push(id);
        }
        if change.uncertain
            && let Resolution::Adopt(id) =
                self.resolve_uncertain_dashboard(change, &table_ids).await?
        {
            self.adopt(change, &id).await?;
            return Ok((
                id.clone(),
                Some(format!("adopted `/p/{id}` created by an interrupted apply")),
            ));
        }
        let layout = match &dashboard.layout {
            Some(key) => {
                let layout = &self.model.layouts[key];
                let named = crate::layout::with_table_names(&layout.text, &self.model);
                Some(self.journal.fill(address, &named).await?)
            }
            None => None,
        };
        let create = self
            .client
            .create_dashboard(&dashboard.name, &table_ids, layout.as_deref());
        let info = self
            .send_once(change, Some(dashboard.name.as_str()), create)
            .await?;
        self.journal
            .record_applied(&self.model, change, Some(info.id.clone()))
            .await?;
        Ok((info.id, None))
    }

    async fn delete_file(
        &self,
        address: &Address,
        connector: &str,
        path: &str,
    ) -> Result<(), ApplyError> {
        self.client
            .delete_file(connector, path)
            .await
            .map_err(|e| client_error(address, e))
    }

    /// Announces an upload of `total` bytes and reports its progress.
    fn progress(&self, address: &Address, total: u64) -> Progress {
        self.reporter.event(Event::Upload {
            address: address.clone(),
            total,
        });
        let reporter = self.reporter.clone();
        let address = address.clone();
        Some(Arc::new(move |sent| {
            reporter.event(Event::Progress {
                address: address.clone(),
                sent,
            })
        }))
    }
}

/// What the upload of `source` must send: the bytes the model hashed (and the plan shows).
fn expected(source: &Source) -> ExpectedUpload {
    ExpectedUpload {
        size: source.size,
        sha256: source.sha256.clone(),
    }
}

/// The connector and path a file change's state entry recorded.
fn recorded_file(change: &Change) -> (String, String) {
    (change.recorded("connector"), change.recorded("path"))
}
