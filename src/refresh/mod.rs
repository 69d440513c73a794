//! The refresh pass: reads every object the state records back from the server and says what
//! changed outside grokform, as [`Observed`]. It is the only part of planning that does I/O,
//! kept apart so the planner stays a pure function of `(Model, State, Observed)`.
//!
//! It never writes to the server. Capabilities are probed once; a refused internal route makes
//! its kind `Unverified` with one note, never a failure. Reads run in parallel (bounded by
//! `--parallelism`), each object under a deadline, cheap checks first (the table's columns,
//! row count and `updatedOn` against the fingerprint apply recorded, the file's ETag) and
//! bodies (CSV digests, layout comparisons) only when needed.

mod columns;
mod dashboards;
mod files;
mod fingerprint;
mod grants;
mod ignore;
mod layout;
mod report;
mod tables;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::StreamExt;

use crate::address::{Address, Kind};
use crate::client::{Capabilities, Capability, Client, ClientError};
use crate::plan::{Observation, Observed, UnmanagedGrant};
use crate::state::{ResourceState, State};

pub use columns::missing_columns;
pub use fingerprint::{ReadBackError, read_back};
pub use ignore::{apply_ignore_rules, ignore_rules};
pub(crate) use layout::compare as compare_layout;
pub use report::RefreshReport;
#[cfg(test)]
pub(crate) use report::sample as sample_report;

/// How the refresh reads.
#[derive(Clone, Debug)]
pub struct RefreshOptions {
    /// At most this many objects are read at once (`--parallelism`).
    pub parallelism: usize,
    /// The longest one object's reads may take before it is reported unverified.
    pub deadline: Duration,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        RefreshOptions {
            parallelism: 8,
            deadline: Duration::from_secs(60),
        }
    }
}

/// What one read task found.
#[derive(Default)]
struct Found {
    resources: Vec<(Address, Observation)>,
    unmanaged: Vec<UnmanagedGrant>,
}

impl Found {
    fn one(address: Address, observation: Observation) -> Found {
        Found {
            resources: vec![(address, observation)],
            unmanaged: vec![],
        }
    }
}

type Reading<'a> = Pin<Box<dyn Future<Output = Found> + Send + 'a>>;

/// One unit of reading: the addresses it answers for (reported unverified if it runs out of
/// time) and the reads.
struct Task<'a> {
    addresses: Vec<Address>,
    reading: Reading<'a>,
}

/// Reads back everything `state` records and compares it with the record. Never fails: what
/// cannot be read is `Unverified` with its reason.
pub async fn refresh(client: &Client, state: &State, options: &RefreshOptions) -> Observed {
    let capabilities = client.probe_capabilities().await;
    let mut tasks: Vec<Task<'_>> = Vec::new();
    let mut observed = Observed::default();

    let applied = || {
        state
            .resources
            .iter()
            .filter(|(_, r)| r.status.is_applied())
    };
    for (address, recorded) in applied() {
        match address.kind {
            Kind::Table => tasks.push(Task {
                addresses: vec![address.clone()],
                reading: Box::pin(tables::check(
                    client,
                    &capabilities,
                    address.clone(),
                    recorded,
                )),
            }),
            Kind::Dashboard => tasks.push(Task {
                addresses: vec![address.clone()],
                reading: Box::pin(dashboards::check(
                    client,
                    &capabilities,
                    address.clone(),
                    recorded,
                )),
            }),
            Kind::File | Kind::Share | Kind::Call => {}
        }
    }
    for group in files::groups(applied()) {
        tasks.push(Task {
            addresses: group.addresses(),
            reading: Box::pin(files::check(client, group)),
        });
    }
    for group in grants::groups(applied()) {
        tasks.push(Task {
            addresses: group.shares.iter().map(|(a, _)| a.clone()).collect(),
            reading: Box::pin(grants::check(client, &capabilities, group)),
        });
    }

    let deadline = options.deadline;
    let mut results = futures_util::stream::iter(tasks.into_iter().map(|task| async move {
        match tokio::time::timeout(deadline, task.reading).await {
            Ok(found) => found,
            Err(_) => Found {
                resources: task
                    .addresses
                    .into_iter()
                    .map(|a| {
                        (
                            a,
                            Observation::Unverified {
                                reason: format!(
                                    "no answer within {}",
                                    humantime::format_duration(deadline)
                                ),
                            },
                        )
                    })
                    .collect(),
                unmanaged: vec![],
            },
        }
    }))
    .buffer_unordered(options.parallelism.max(1));
    while let Some(found) = results.next().await {
        observed.resources.extend(found.resources);
        observed.unmanaged_grants.extend(found.unmanaged);
    }
    observed.unmanaged_grants.sort();
    observed.notes = notes(&capabilities, state);
    observed.refreshed = true;
    observed
}

/// One note per read capability the server refused, for the kinds the state holds. Tables
/// are still compared through the public download, so their note says what is lost; the
/// layout note goes without saying when dashboards cannot be read at all.
fn notes(capabilities: &Capabilities, state: &State) -> Vec<String> {
    let holds = |kind: Kind| state.resources.values().any(|r| r.kind == kind);
    let refusal = |capability: Capability| match capabilities.availability(capability) {
        crate::client::Availability::Refused { reason } => Some(reason.clone()),
        _ => None,
    };
    let projects_refused = refusal(Capability::ReadProjects).is_some();
    let mut notes = Vec::new();
    for capability in Capability::ALL.into_iter().filter(|c| !c.is_write()) {
        let Some(reason) = refusal(capability) else {
            continue;
        };
        let consequence = match capability {
            Capability::ReadTables if holds(Kind::Table) => {
                "table columns on this server cannot be verified; table data is compared through the public download"
            }
            Capability::ReadProjects | Capability::ReadPermissions if holds(Kind::Dashboard) => {
                capability.consequence()
            }
            Capability::ReadLayouts if holds(Kind::Dashboard) && !projects_refused => {
                capability.consequence()
            }
            _ => continue,
        };
        notes.push(format!("{consequence} ({reason})"));
    }
    notes.sort();
    notes
}

/// The reason an object is unverified after a failed read.
fn unverified(error: &ClientError) -> Observation {
    Observation::Unverified {
        reason: error.to_string(),
    }
}

/// The reason given when a capability is refused.
fn refused(capabilities: &Capabilities, capability: Capability) -> Option<Observation> {
    match capabilities.availability(capability) {
        crate::client::Availability::Refused { reason } => Some(Observation::Unverified {
            reason: format!("{} ({reason})", capability.consequence()),
        }),
        _ => None,
    }
}

/// The server ID the state records, or the observation that nothing can be read without it.
fn recorded_id(recorded: &ResourceState) -> Result<&str, Observation> {
    recorded
        .remote_id
        .as_deref()
        .ok_or_else(|| Observation::Unverified {
            reason: "the state records no ID for it".into(),
        })
}

/// A recorded attribute as text.
fn attribute<'r>(recorded: &'r ResourceState, key: &str) -> Option<&'r str> {
    recorded.attributes.get(key).and_then(|v| v.as_str())
}

/// A list of values in backticks, `a`, `b`.
fn listed<'s>(items: impl IntoIterator<Item = &'s str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
