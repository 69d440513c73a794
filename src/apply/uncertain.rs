//! Requests that must not be repeated: a dashboard create (every POST makes a new dashboard)
//! and a function call. Each is recorded as uncertain in the saved state *before* it is sent,
//! so that a crash, a kill or an ambiguous answer never leaves a request the state does not
//! know about; this module holds that rule and how the next apply resolves what it left:
//! a dashboard by looking it up on the server (adopt a single match, create when there is
//! none, refuse when several), a call by re-running it only when the manifest declares it
//! `idempotent: true` or the user confirms. Kept apart from `actions` because it is the one
//! place that decides whether a request may be sent again.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use super::error::client_error;
use super::{ApplyError, Context};
use crate::address::Address;
use crate::client::{Availability, Capability, ClientError};
use crate::plan::Change;
use crate::state::{NO_ANSWER_RECORDED, REQUEST_OUTCOME, ResourceState, ResourceStatus};

/// What to do about an uncertain dashboard create.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Resolution {
    /// Exactly one dashboard on the server is the one the interrupted create made: record it.
    Adopt(String),
    /// The server holds none (or the user confirmed): create it.
    Create,
}

/// What to do about a call.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum CallResolution {
    /// Run it: it is not uncertain, it is idempotent, or the user confirmed it.
    Send,
    /// The user checked that it ran: record it as run without sending it.
    Accept,
}

impl Context {
    /// Sends `request` with `address` recorded as uncertain in the saved state while it is out
    /// (with `name` among its attributes, to say what to look for). A definite failure (the
    /// request was not carried out) puts back what was recorded before; an ambiguous one
    /// leaves the entry uncertain with what the request got, for the next run to say.
    pub(super) async fn send_once<T>(
        &self,
        change: &Change,
        name: Option<&str>,
        request: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ApplyError> {
        let address = &change.address;
        let previous = self.journal.entry(address).await;
        let mut pending = previous.clone().unwrap_or_else(|| ResourceState {
            kind: address.kind,
            remote_id: None,
            inputs_hash: String::new(),
            attributes: BTreeMap::new(),
            applied_serial: 0,
            status: ResourceStatus::Uncertain,
            observed: None,
        });
        pending.status = ResourceStatus::Uncertain;
        // what is being sent: an adopted dashboard is recorded with the hash of what made it
        pending.inputs_hash = change.inputs_hash.clone();
        pending.attributes.remove(REQUEST_OUTCOME);
        if let Some(name) = name {
            pending.attributes.insert("name".into(), name.into());
        }
        self.journal.record(address, Some(pending.clone())).await?;
        match request.await {
            Ok(answer) => Ok(answer),
            Err(error) => {
                if error.is_ambiguous() {
                    pending
                        .attributes
                        .insert(REQUEST_OUTCOME.into(), error.outcome().to_string().into());
                    self.journal.record(address, Some(pending)).await?;
                } else {
                    // Not carried out: what was recorded before still holds.
                    self.journal.record(address, previous).await?;
                }
                Err(client_error(address, error))
            }
        }
    }

    /// Decides what to do about a dashboard create an earlier apply left uncertain: confirmed
    /// by the user → create; else look for it among the server's projects of that exact name
    /// that the state does not record and whose relations hold `table_ids` (the tables the
    /// create sends). On a server that refuses those reads, or when they fail, refuse as
    /// before the lookup existed.
    pub(super) async fn resolve_uncertain_dashboard(
        &self,
        change: &Change,
        table_ids: &[String],
    ) -> Result<Resolution, ApplyError> {
        let address = &change.address;
        if self.confirm_uncertain.contains(address) {
            return Ok(Resolution::Create);
        }
        let name = self.model.dashboards[&address.key].name.to_string();
        let happened = self.what_happened(address).await;
        let refuse = |lookup: String| ApplyError::Uncertain {
            address: address.clone(),
            name: name.clone(),
            happened: happened.clone(),
            lookup,
        };
        let capabilities = self.client.probe_capabilities().await;
        if let Availability::Refused { reason } =
            capabilities.availability(Capability::ReadProjects)
        {
            return Err(refuse(format!(
                "it cannot be looked up: {} ({reason})",
                Capability::ReadProjects.consequence()
            )));
        }
        let looking = |error: ClientError| refuse(format!("looking it up failed: {error}"));
        let recorded = self.journal.remote_ids().await;
        let named = self.client.projects_named(&name).await.map_err(looking)?;
        let mut matches = Vec::new();
        for project in named {
            if recorded.contains(&project.id.to_ascii_lowercase()) {
                continue;
            }
            let Some(relations) = self
                .client
                .project_relations(&project.id)
                .await
                .map_err(looking)?
            else {
                continue; // deleted since the search
            };
            let held: BTreeSet<String> = relations
                .entity_ids()
                .iter()
                .map(|id| id.to_ascii_lowercase())
                .collect();
            if table_ids
                .iter()
                .all(|t| held.contains(&t.to_ascii_lowercase()))
            {
                matches.push(project.id);
            }
        }
        match matches.len() {
            0 => Ok(Resolution::Create),
            1 => Ok(Resolution::Adopt(matches.remove(0))),
            count => {
                matches.sort();
                Err(ApplyError::UncertainCandidates {
                    address: address.clone(),
                    name,
                    happened,
                    count,
                    candidates: matches
                        .iter()
                        .map(|id| format!("`/p/{id}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        }
    }

    /// Records `id` as the dashboard the interrupted create made. The hash recorded is the one
    /// of what that create sent, so that a manifest edited since is planned as a change.
    pub(super) async fn adopt(&self, change: &Change, id: &str) -> Result<(), ApplyError> {
        let sent = self
            .journal
            .entry(&change.address)
            .await
            .map(|entry| entry.inputs_hash)
            .filter(|hash| !hash.is_empty());
        let mut adopted = change.clone();
        if let Some(sent) = sent {
            adopted.inputs_hash = sent;
        }
        self.journal
            .record_applied(&self.model, &adopted, Some(id.to_string()))
            .await
    }

    /// Refuses to send again a call an earlier apply left uncertain, unless the manifest
    /// declares it `idempotent: true` or the user confirmed it; one the user says did run
    /// (`--accept-uncertain`) is recorded without sending.
    pub(super) async fn check_uncertain_call(
        &self,
        change: &Change,
    ) -> Result<CallResolution, ApplyError> {
        let address = &change.address;
        let call = &self.model.calls[&address.key];
        if !change.uncertain {
            return Ok(CallResolution::Send);
        }
        if self.accept_uncertain.contains(address) {
            return Ok(CallResolution::Accept);
        }
        if call.idempotent || self.confirm_uncertain.contains(address) {
            return Ok(CallResolution::Send);
        }
        Err(ApplyError::UncertainCall {
            address: address.clone(),
            key: address.key.to_string(),
            function: call.function.to_string(),
            happened: self.what_happened(address).await,
        })
    }

    /// What the request recorded as uncertain at `address` got.
    async fn what_happened(&self, address: &Address) -> String {
        match self.journal.entry(address).await {
            Some(entry) => entry.what_happened(),
            None => NO_ANSWER_RECORDED.to_string(),
        }
    }
}
