//! Read-backs after writes (verify-after-write, as Datagrok's own `grok s push` does): each
//! table upload and dashboard create is read back by the ID the server answered, off the
//! critical path. The action counts as done once its record is saved, so what depends on it
//! starts at once; the read-back runs beside the rest of the run (bounded like the actions)
//! and its fingerprint is recorded in one save at the end. A read-back that finds nothing
//! turns the action into a failure with the server's answer; a refused or failed read records
//! no fingerprint, and the next refresh compares that object the expensive way.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
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

/// One write to read back: the address and what its entry recorded.
struct Wanted {
    address: Address,
    entry: ResourceState,
}

/// The read-backs of one apply: a queue and a fixed pool of workers, so that a run of
/// thousands of writes holds thousands of small queue items, not thousands of suspended
/// requests.
pub(super) struct ReadBacks {
    queue: Mutex<Option<mpsc::UnboundedSender<Wanted>>>,
    workers: Mutex<JoinSet<Vec<Finished>>>,
}

impl ReadBacks {
    /// At most `parallelism` read-backs run at once. Must be called inside the runtime.
    pub(super) fn new(client: Client, parallelism: usize) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel::<Wanted>();
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let mut workers = JoinSet::new();
        for _ in 0..parallelism.max(1) {
            let (client, receiver) = (client.clone(), receiver.clone());
            workers.spawn(async move {
                let mut finished = Vec::new();
                loop {
                    let next = receiver.lock().await.recv().await;
                    let Some(Wanted { address, entry }) = next else {
                        break;
                    };
                    // Probed once per run (the client keeps the answer); the first one pays.
                    let capabilities = client.probe_capabilities().await;
                    let result = read_back(&client, &capabilities, &address, &entry).await;
                    finished.push(Finished {
                        address,
                        remote_id: entry.remote_id.unwrap_or_default(),
                        result,
                    });
                }
                finished
            });
        }
        ReadBacks {
            queue: Mutex::new(Some(sender)),
            workers: Mutex::new(workers),
        }
    }

    /// Whether a write at `address` is read back: the kinds the server gives an ID to.
    pub(super) fn wanted(address: &Address) -> bool {
        matches!(address.kind, Kind::Table | Kind::Dashboard)
    }

    /// Queues a read-back of `entry`, just recorded at `address`. Only what the read-back
    /// compares is kept (a dashboard's layout text is not).
    pub(super) fn start(&self, address: Address, entry: &ResourceState) {
        if entry.remote_id.is_none() {
            return;
        }
        let compared = ["columns", "rows"];
        let entry = ResourceState {
            kind: entry.kind,
            remote_id: entry.remote_id.clone(),
            inputs_hash: String::new(),
            attributes: entry
                .attributes
                .iter()
                .filter(|(key, _)| compared.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
            applied_serial: entry.applied_serial,
            status: entry.status,
            observed: None,
        };
        if let Some(queue) = self.queue.lock().expect("never left poisoned").as_ref() {
            // The workers outlive the queue; a send fails only after `finish`.
            let _ = queue.send(Wanted { address, entry });
        }
    }

    /// Waits for every queued read-back; sorted by address for a deterministic record.
    pub(super) async fn finish(self) -> Vec<Finished> {
        drop(self.queue.lock().expect("never left poisoned").take());
        let mut workers = self.workers.into_inner().expect("never left poisoned");
        let mut finished = Vec::new();
        while let Some(joined) = workers.join_next().await {
            // A panicking worker loses its fingerprints; the writes themselves stand.
            if let Ok(done) = joined {
                finished.extend(done);
            }
        }
        finished.sort_by(|a, b| a.address.cmp(&b.address));
        finished
    }
}
