//! Runs a plan against a server: every change in dependency order with bounded concurrency,
//! recording each success in the state (and saving it) before anything that depends on it
//! starts. The scheduling rules live in `executor` (generic, tested without a server), what
//! each kind of change sends in `actions`, and the recording of results in `journal`, the only
//! writer of the state while an apply runs.
//!
//! Safety rules, in the order they matter:
//! - the state is saved after every successful action, so a failure or an interrupt loses
//!   nothing that was applied;
//! - a dashboard create (not idempotent: every POST makes a new dashboard) and a function call
//!   are recorded as `Uncertain` *before* they are sent, and only become `Applied` with the
//!   answer; if no answer proves what happened, the next plan shows the ambiguity and the next
//!   apply resolves it (`uncertain`) instead of silently making a second one.
//! - tables and dashboards written are read back by the ID the server answered (`readback`):
//!   one the server cannot find is a failure; what it shows is recorded as the entry's
//!   fingerprint, so the next refresh need not download it.

mod actions;
mod destroy;
mod error;
mod executor;
mod in_place;
mod journal;
mod readback;
mod replaced;
mod report;
mod revoke;
mod uncertain;

pub use error::ApplyError;
pub use report::{ApplyReport, Completed, Event, Reporter};

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::watch;

use crate::address::Address;
use crate::client::Client;
use crate::model::Model;
use crate::plan::{Action, Change, Plan};
use crate::state::{State, StateStore};
use journal::Journal;
use readback::ReadBacks;

/// How to run an apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// At most this many requests in flight.
    pub parallelism: usize,
    /// Uncertain dashboard creates and calls the user confirmed may be sent again.
    pub confirm_uncertain: Vec<Address>,
    /// Uncertain calls the user checked did run: recorded as run without running them again.
    pub accept_uncertain: Vec<Address>,
}

/// Where changes go: the server and the state store that records them.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub client: &'a Client,
    pub store: &'a StateStore,
}

/// Runs the plan's non-NoOp changes. Returns what happened and the final state (already
/// saved after every action).
///
/// The plan is taken, not borrowed: what it holds only to be shown (the new attributes,
/// reasons, diffs, CSV summaries, the inputs' hashes) is dropped before the first request, so
/// a large apply does not carry a second copy of every resource's attributes beside the
/// state it records them in.
pub async fn apply(
    plan: Plan,
    model: &Model,
    state: State,
    target: Target<'_>,
    options: &ApplyOptions,
    reporter: Arc<dyn Reporter>,
    stop: watch::Receiver<bool>,
) -> (ApplyReport, State) {
    let Target { client, store } = target;
    let order = report::PlanOrder::of(&plan);
    let mut nodes: Vec<Address> = Vec::new();
    let mut deps: Vec<(Address, Vec<Address>)> = Vec::new();
    // Collected, not inserted one by one: a map built in one go has full nodes. Boxed (`Arc`)
    // so that a node holds pointers, not whole changes, and a task's copy is a count. The
    // dependencies move to the scheduler, the only reader of them.
    let changes: BTreeMap<Address, Arc<Change>> = plan
        .changes
        .into_iter()
        .filter(|change| change.action != Action::NoOp)
        .map(|mut change| {
            nodes.push(change.address.clone());
            deps.push((
                change.address.clone(),
                std::mem::take(&mut change.depends_on),
            ));
            (change.address.clone(), Arc::new(for_apply(change)))
        })
        .collect();
    let deps: BTreeMap<Address, Vec<Address>> = deps.into_iter().collect();
    let context = Arc::new(Context {
        model: model.clone(),
        client: client.clone(),
        journal: Journal::new(store.clone(), state),
        changes,
        confirm_uncertain: options.confirm_uncertain.clone(),
        accept_uncertain: options.accept_uncertain.clone(),
        reporter: reporter.clone(),
        completed: std::sync::Mutex::new(Vec::new()),
        readbacks: ReadBacks::new(client.clone(), options.parallelism),
    });
    let outcome = executor::execute(&nodes, &deps, options.parallelism, stop, |address| {
        let context = context.clone();
        async move {
            let change = context.changes[&address].clone();
            context.reporter.event(Event::Started {
                address: address.clone(),
                action: change.action,
            });
            let result = context.perform(&change).await;
            match &result {
                Ok(done) => {
                    if done.remote_id.is_some()
                        && ReadBacks::wanted(&address)
                        && let Some(entry) = context.journal.entry(&address).await
                    {
                        context.readbacks.start(address.clone(), &entry);
                    }
                    context
                        .completed
                        .lock()
                        .expect("not poisoned")
                        .push(done.clone());
                    context.reporter.event(Event::Finished(done.clone()))
                }
                Err(error) => context.reporter.event(Event::Failed {
                    address: address.clone(),
                    message: error.to_string(),
                }),
            }
            result.map(|_| ())
        }
    })
    .await;
    let mut outcome = outcome;
    for (address, error) in context.delete_replaced(&outcome).await {
        context.reporter.event(Event::Failed {
            address: address.clone(),
            message: error.to_string(),
        });
        outcome
            .failed
            .push((address, executor::TaskError::Failed(error)));
    }
    let context = Arc::into_inner(context).expect("every task has finished");
    let mut outcome = outcome;
    let mut completed = context.completed.into_inner().expect("not poisoned");
    let mut fingerprints = Vec::new();
    for finished in context.readbacks.finish().await {
        let address = finished.address;
        match finished.result {
            Ok(Some(fingerprint)) => fingerprints.push((address, finished.remote_id, fingerprint)),
            Ok(None) => {}
            Err(source @ crate::refresh::ReadBackError::Missing { .. }) => {
                let error = ApplyError::NotOnServer {
                    address: address.clone(),
                    source,
                };
                reporter.event(Event::Failed {
                    address: address.clone(),
                    message: error.to_string(),
                });
                outcome.succeeded.retain(|a| *a != address);
                completed.retain(|c| c.address != address);
                outcome
                    .failed
                    .push((address, executor::TaskError::Failed(error)));
            }
            Err(error) => reporter.event(Event::Warning(format!(
                "{address}: {error}; the next refresh compares it in full"
            ))),
        }
    }
    if let Err(error) = context.journal.record_fingerprints(fingerprints).await {
        // The fingerprints are an optimisation: without them refresh downloads and compares.
        reporter.event(Event::Warning(format!(
            "the server's fingerprints were not recorded: {error}"
        )));
    }
    let state = context.journal.into_state();
    (ApplyReport::from_outcome(&order, outcome, completed), state)
}

/// `change` without what only the plan shows (the new attributes, reasons, diffs, CSV
/// summary, warnings, drift); apply acts on the rest, `before` included (a file's connector
/// and path, a grant's dashboard and group). Its `depends_on` is the scheduler's.
fn for_apply(change: Change) -> Change {
    Change {
        reasons: Vec::new(),
        after: None,
        layout_diff: None,
        layout_summary: Vec::new(),
        csv: None,
        warnings: Vec::new(),
        drift: Vec::new(),
        ..change
    }
}

/// Everything a running change needs; shared by the executor's tasks.
struct Context {
    model: Model,
    client: Client,
    journal: Journal,
    changes: BTreeMap<Address, Arc<Change>>,
    confirm_uncertain: Vec<Address>,
    accept_uncertain: Vec<Address>,
    reporter: Arc<dyn Reporter>,
    /// Successful changes with what the server answered, in completion order.
    completed: std::sync::Mutex<Vec<Completed>>,
    /// The read-backs of what was written, running beside the actions.
    readbacks: ReadBacks,
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
mod tests;
