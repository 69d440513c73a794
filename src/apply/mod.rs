//! Runs a plan against a server: every change in dependency order with bounded concurrency,
//! recording each success in the state (and saving it) before anything that depends on it
//! starts. The scheduling rules live in `executor` (generic, tested without a server), what
//! each kind of change sends in `actions`, and the recording of results in `journal`, the only
//! writer of the state while an apply runs.
//!
//! Safety rules, in the order they matter:
//! - the state is saved after every successful action, so a failure or an interrupt loses
//!   nothing that was applied;
//! - a dashboard create (not idempotent: every POST makes a new dashboard) is recorded as
//!   `Uncertain` *before* it is sent, and only becomes `Applied` with the answer's ID; if no
//!   answer comes, the next plan shows the ambiguity instead of silently making a second one.

mod actions;
mod destroy;
mod error;
mod executor;
mod journal;
mod replaced;
mod report;
mod revoke;

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

/// How to run an apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// At most this many requests in flight.
    pub parallelism: usize,
    /// Uncertain dashboard creates the user confirmed may be created again.
    pub confirm_uncertain: Vec<Address>,
}

/// Where changes go: the server and the state store that records them.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub client: &'a Client,
    pub store: &'a StateStore,
}

/// Runs the plan's non-NoOp changes. Returns what happened and the final state (already
/// saved after every action).
pub async fn apply(
    plan: &Plan,
    model: &Model,
    state: State,
    target: Target<'_>,
    options: &ApplyOptions,
    reporter: Arc<dyn Reporter>,
    stop: watch::Receiver<bool>,
) -> (ApplyReport, State) {
    let Target { client, store } = target;
    let changes: BTreeMap<Address, Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (c.address.clone(), c.clone()))
        .collect();
    let nodes: Vec<Address> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| c.address.clone())
        .collect();
    let deps: BTreeMap<Address, Vec<Address>> = changes
        .iter()
        .map(|(a, c)| (a.clone(), c.depends_on.clone()))
        .collect();
    let context = Arc::new(Context {
        model: model.clone(),
        client: client.clone(),
        journal: Journal::new(store.clone(), state),
        changes,
        confirm_uncertain: options.confirm_uncertain.clone(),
        reporter: reporter.clone(),
        completed: std::sync::Mutex::new(Vec::new()),
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
    let completed = context.completed.into_inner().expect("not poisoned");
    let state = context.journal.into_state();
    (ApplyReport::from_outcome(plan, outcome, completed), state)
}

/// Everything a running change needs; shared by the executor's tasks.
struct Context {
    model: Model,
    client: Client,
    journal: Journal,
    changes: BTreeMap<Address, Change>,
    confirm_uncertain: Vec<Address>,
    reporter: Arc<dyn Reporter>,
    /// Successful changes with what the server answered, in completion order.
    completed: std::sync::Mutex<Vec<Completed>>,
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
mod tests;
