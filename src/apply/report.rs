//! What an apply tells the user while it runs (events) and when it ends (the report). The
//! applier only emits; `cli` decides how to show it (progress bars on a terminal, one line per
//! action elsewhere, JSON for machines).

use serde::Serialize;

use super::ApplyError;
use super::executor::{Outcome, TaskError};
use crate::address::Address;
use crate::plan::{Action, Plan};

/// Receives events from running changes; called from several tasks at once.
pub trait Reporter: Send + Sync {
    fn event(&self, event: Event);
}

/// One thing that happened during an apply.
#[derive(Clone, Debug)]
pub enum Event {
    Started {
        address: Address,
        action: Action,
    },
    /// An upload of `total` bytes begins.
    Upload {
        address: Address,
        total: u64,
    },
    /// Bytes sent so far on an upload.
    Progress {
        address: Address,
        sent: u64,
    },
    Finished(Completed),
    Failed {
        address: Address,
        message: String,
    },
    Warning(String),
}

/// A change that succeeded.
#[derive(Clone, Debug, Serialize)]
pub struct Completed {
    pub address: Address,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
}

/// The end of an apply, in plan order. Serialises as the `--format json` apply result.
#[derive(Debug, Serialize)]
pub struct ApplyReport {
    pub format_version: u32,
    pub succeeded: Vec<Completed>,
    pub failed: Vec<Failure>,
    pub skipped: Vec<Address>,
    pub interrupted: bool,
}

/// A change that failed, with the message (the server's own where it gave one).
#[derive(Debug, Serialize)]
pub struct Failure {
    pub address: Address,
    pub action: Action,
    pub message: String,
    #[serde(skip)]
    pub error: Option<ApplyError>,
}

impl ApplyReport {
    pub(super) fn from_outcome(
        plan: &Plan,
        outcome: Outcome<TaskError<ApplyError>>,
        mut succeeded: Vec<Completed>,
    ) -> Self {
        let action_of = |a: &Address| plan.change(a).map(|c| c.action).unwrap_or(Action::NoOp);
        let order = |a: &Address| {
            plan.changes
                .iter()
                .position(|c| &c.address == a)
                .unwrap_or(usize::MAX)
        };
        debug_assert_eq!(succeeded.len(), outcome.succeeded.len());
        succeeded.sort_by_key(|c| order(&c.address));
        let mut failed: Vec<Failure> = outcome
            .failed
            .into_iter()
            .map(|(address, error)| {
                let action = action_of(&address);
                match error {
                    TaskError::Failed(error) => Failure {
                        address,
                        action,
                        message: error.to_string(),
                        error: Some(error),
                    },
                    TaskError::Panicked(message) => Failure {
                        address,
                        action,
                        message,
                        error: None,
                    },
                }
            })
            .collect();
        failed.sort_by_key(|f| order(&f.address));
        ApplyReport {
            format_version: 1,
            succeeded,
            failed,
            skipped: outcome.skipped,
            interrupted: outcome.interrupted,
        }
    }

    /// The run did everything it was asked to.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}
