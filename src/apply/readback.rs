//! Read-backs after writes (verify-after-write, as Datagrok's own `grok s push` does): each
//! table upload and dashboard create is read back by the ID the server answered, off the
//! critical path. The action counts as done once its record is saved, so what depends on it
//! starts at once; the read-back runs beside the rest of the run (bounded like the actions)
//! and its fingerprint is recorded in one save at the end. A read-back that finds nothing
//! turns the action into a failure with the server's answer; a refused or failed read records
//! no fingerprint, and the next refresh compares that object the expensive way.

use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::address::{Address, Kind};
use crate::client::Client;
use crate::refresh::{ReadBackError, read_back};
use crate::state::{Fingerprint, ResourceState};

/// How one read-back ended.
pub(super) struct Finished {
    pub address: Address,
    /// The ID that was read back (the entry may have changed since, if a later action of
    /// the run wrote it again).
    pub remote_id: String,
    pub result: Result<Option<Fingerprint>, ReadBackError>,
}

/// The read-backs of one apply.
pub(super) struct ReadBacks {
    client: Client,
    limit: Arc<Semaphore>,
    running: Mutex<JoinSet<Finished>>,
}

impl ReadBacks {
    /// At most `parallelism` read-backs run at once.
    pub(super) fn new(client: Client, parallelism: usize) -> Self {
        ReadBacks {
            client,
            limit: Arc::new(Semaphore::new(parallelism.max(1))),
            running: Mutex::new(JoinSet::new()),
        }
    }

    /// Whether a write at `address` is read back: the kinds the server gives an ID to.
    pub(super) fn wanted(address: &Address) -> bool {
        matches!(address.kind, Kind::Table | Kind::Dashboard)
    }

    /// Starts reading back `entry`, just recorded at `address`. Must be called inside the
    /// runtime.
    pub(super) fn start(&self, address: Address, entry: ResourceState) {
        let Some(remote_id) = entry.remote_id.clone() else {
            return;
        };
        let client = self.client.clone();
        let limit = self.limit.clone();
        self.running
            .lock()
            .expect("never left poisoned")
            .spawn(async move {
                // The semaphore is never closed.
                let _permit = limit.acquire_owned().await.ok();
                // Probed once per run (the client keeps the answer); the first read-back pays.
                let capabilities = client.probe_capabilities().await;
                let result = read_back(&client, &capabilities, &address, &entry).await;
                Finished {
                    address,
                    remote_id,
                    result,
                }
            });
    }

    /// Waits for every read-back started; sorted by address for a deterministic record.
    pub(super) async fn finish(self) -> Vec<Finished> {
        let mut running = self.running.into_inner().expect("never left poisoned");
        let mut finished = Vec::with_capacity(running.len());
        while let Some(joined) = running.join_next().await {
            // A panicking read-back records nothing; the write itself stands.
            if let Ok(done) = joined {
                finished.push(done);
            }
        }
        finished.sort_by(|a, b| a.address.cmp(&b.address));
        finished
    }
}
