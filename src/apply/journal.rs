//! The state while an apply runs: the one place that records results and saves them. Actions
//! never touch the state themselves; they ask the journal, so the rule "no action counts as
//! done before its record is saved" is kept in one type.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::ApplyError;
use super::error::refused;
use crate::address::Address;
use crate::model::{Model, template};
use crate::plan::{self, Change};
use crate::state::{Fingerprint, ResourceState, ResourceStatus, State, StateStore};

/// The state being applied to, and how much of it the store already holds.
pub(super) struct Journal {
    store: StateStore,
    state: Mutex<State>,
    /// How many records were made in `state`; bumped under the `state` lock.
    recorded: AtomicU64,
    /// How many of those the store holds. Its lock lets one save run at a time: records made
    /// while a save runs are written together by the next one (group commit), so concurrent
    /// actions share saves instead of each writing the whole state in turn.
    saved: Mutex<u64>,
}

impl Journal {
    pub(super) fn new(store: StateStore, state: State) -> Self {
        Journal {
            store,
            state: Mutex::new(state),
            recorded: AtomicU64::new(0),
            saved: Mutex::new(0),
        }
    }

    /// The state as recorded (and saved) so far.
    pub(super) fn into_state(self) -> State {
        self.state.into_inner()
    }

    /// The entry recorded for `address`, whatever its status.
    pub(super) async fn entry(&self, address: &Address) -> Option<ResourceState> {
        self.state.lock().await.resources.get(address).cloned()
    }

    /// The remote ID of an applied `address`.
    pub(super) async fn remote_id(&self, address: &Address) -> Option<String> {
        let state = self.state.lock().await;
        state
            .resources
            .get(address)
            .filter(|r| r.status.is_applied())
            .and_then(|r| r.remote_id.clone())
    }

    /// Every remote ID the state records (any status), lowercased: objects on the server
    /// that are already someone's.
    pub(super) async fn remote_ids(&self) -> std::collections::BTreeSet<String> {
        let state = self.state.lock().await;
        state
            .resources
            .values()
            .filter_map(|r| r.remote_id.as_deref())
            .map(str::to_ascii_lowercase)
            .collect()
    }

    /// Fills `${table.X.id}` / `${dashboard.X.id}` in `text` from the state, for the change
    /// at `address`; a missing ID is an error.
    pub(super) async fn fill(&self, address: &Address, text: &str) -> Result<String, ApplyError> {
        let state = self.state.lock().await;
        let mut missing = None;
        let filled = template::substitute(text, |a| {
            let id = state.resources.get(a).and_then(|r| r.remote_id.clone());
            if id.is_none() {
                missing.get_or_insert_with(|| a.clone());
            }
            id
        });
        match missing {
            Some(a) => Err(refused(
                address,
                &format!("`${{{a}.id}}` has no ID in the state"),
            )),
            None => Ok(filled),
        }
    }

    /// Records a successful change: the attributes the planner will compare against next time.
    pub(super) async fn record_applied(
        &self,
        model: &Model,
        change: &Change,
        remote_id: Option<String>,
    ) -> Result<(), ApplyError> {
        let address = &change.address;
        let mut state = self.state.lock().await;
        let ids = |a: &Address| {
            if a == address {
                return remote_id.clone();
            }
            state.resources.get(a).and_then(|r| r.remote_id.clone())
        };
        let attributes = plan::desired_attributes(model, address, &ids);
        let entry = ResourceState {
            kind: address.kind,
            remote_id: remote_id.clone(),
            inputs_hash: change.inputs_hash.clone(),
            attributes,
            applied_serial: state.serial + 1,
            status: ResourceStatus::Applied,
            observed: None,
        };
        state.resources.insert(address.clone(), entry);
        let record = self.recorded.fetch_add(1, Ordering::SeqCst) + 1;
        drop(state);
        self.persist(address, record).await
    }

    /// Sets (or, with `None`, removes) one entry and saves.
    pub(super) async fn record(
        &self,
        address: &Address,
        entry: Option<ResourceState>,
    ) -> Result<(), ApplyError> {
        let mut state = self.state.lock().await;
        match entry {
            Some(mut entry) => {
                entry.applied_serial = state.serial + 1;
                state.resources.insert(address.clone(), entry);
            }
            None => {
                state.resources.remove(address);
            }
        }
        let record = self.recorded.fetch_add(1, Ordering::SeqCst) + 1;
        drop(state);
        self.persist(address, record).await
    }

    /// Records the fingerprints read back after writes, in one save. An entry written again
    /// since its read-back (another ID, or no longer applied) keeps none.
    pub(super) async fn record_fingerprints(
        &self,
        fingerprints: Vec<(Address, String, Fingerprint)>,
    ) -> Result<(), ApplyError> {
        let mut state = self.state.lock().await;
        let mut last = None;
        for (address, remote_id, fingerprint) in fingerprints {
            let current = state.resources.get(&address).is_some_and(|entry| {
                entry.status.is_applied() && entry.remote_id.as_deref() == Some(&remote_id)
            });
            if current && let Some(entry) = state.resources.get_mut(&address) {
                entry.observed = Some(fingerprint);
                last = Some(address);
            }
        }
        let Some(address) = last else {
            return Ok(());
        };
        let record = self.recorded.fetch_add(1, Ordering::SeqCst) + 1;
        drop(state);
        self.persist(&address, record).await
    }

    /// Returns once the store holds `record` (and every record before it): at once when a
    /// save that began after it was made has finished, else by saving the state now. No
    /// action counts as done before its record is saved, so every successful action is in
    /// the saved state before anything that depends on it starts.
    async fn persist(&self, address: &Address, record: u64) -> Result<(), ApplyError> {
        let mut saved = self.saved.lock().await;
        if *saved >= record {
            return Ok(());
        }
        let mut state = self.state.lock().await;
        // read under the state lock: exactly the records this save writes
        let covers = self.recorded.load(Ordering::SeqCst);
        self.store
            .save(&mut state)
            .await
            .map_err(|source| ApplyError::State {
                address: address.clone(),
                source,
            })?;
        *saved = covers;
        Ok(())
    }
}
