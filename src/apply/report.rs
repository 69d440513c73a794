//! What an apply tells the user while it runs (events) and when it ends (the report). The
//! applier only emits; `cli` decides how to show it (progress bars on a terminal, one line per
//! action elsewhere, JSON for machines).

use std::collections::HashMap;

use schemars::JsonSchema;
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
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Completed {
    /// The address of the change.
    pub address: Address,
    /// What was done.
    pub action: Action,
    /// The server's ID of the object created or updated, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// How it was done, when not the usual way (a dashboard adopted from an interrupted
    /// apply instead of created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The end of an apply, in plan order. Serialises as the `--format json` apply result, whose
/// JSON Schema is `schema/apply-report.schema.json`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "grokform apply report")]
pub struct ApplyReport {
    /// The format of this document: 1.
    #[schemars(extend("const" = 1))]
    pub format_version: u32,
    /// The changes that were made, in plan order.
    pub succeeded: Vec<Completed>,
    /// The changes that failed, with the reason.
    pub failed: Vec<Failure>,
    /// The changes not attempted (they depend on a failed one, or the run was interrupted).
    pub skipped: Vec<Address>,
    /// Whether Ctrl-C stopped the run before every change was attempted.
    pub interrupted: bool,
}

/// A change that failed, with the message (the server's own where it gave one).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Failure {
    /// The address of the change.
    pub address: Address,
    /// What was attempted.
    pub action: Action,
    /// Why it failed (the server's message where it gave one).
    pub message: String,
    #[serde(skip)]
    pub error: Option<ApplyError>,
}

/// Each address's position and action in the plan, kept for the report once apply has taken
/// the plan's changes apart.
pub(super) struct PlanOrder {
    positions: HashMap<Address, (usize, Action)>,
}

impl PlanOrder {
    pub(super) fn of(plan: &Plan) -> Self {
        // Looked up once: scanning the plan per comparison made the report of a large apply
        // quadratic (28 % of apply's CPU at 8,000 actions). The first position of an address
        // counts (`rev` lets it overwrite the later ones).
        let positions = plan
            .changes
            .iter()
            .enumerate()
            .rev()
            .map(|(i, c)| (c.address.clone(), (i, c.action)))
            .collect();
        PlanOrder { positions }
    }
}

impl ApplyReport {
    pub(super) fn from_outcome(
        plan: &PlanOrder,
        outcome: Outcome<TaskError<ApplyError>>,
        mut succeeded: Vec<Completed>,
    ) -> Self {
        let positions = &plan.positions;
        let action_of = |a: &Address| positions.get(a).map_or(Action::NoOp, |p| p.1);
        let order = |a: &Address| positions.get(a).map_or(usize::MAX, |p| p.0);
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

#[cfg(test)]
mod schema_tests {
    /// The JSON Schema of [`ApplyReport`](super::ApplyReport): what
    /// `schema/apply-report.schema.json` must hold, generated from the type so that it cannot
    /// drift from it.
    fn json_schema() -> serde_json::Value {
        schemars::schema_for!(super::ApplyReport).to_value()
    }

    /// `GROKFORM_WRITE_SCHEMA=1 cargo test apply::report` rewrites the committed file.
    #[test]
    fn committed_schema_is_the_generated_one() {
        crate::test_support::assert_committed_schema(
            "schema/apply-report.schema.json",
            &json_schema(),
            "GROKFORM_WRITE_SCHEMA=1 cargo test apply::report",
        );
    }
}
