//! `lifecycle.on_replace: delete`: after the executor ran, the old dashboards of the
//! replacements that fully succeeded (the new dashboard and every share of it) are deleted
//! and read back. An old dashboard whose delete fails, or whose replacement did not fully
//! succeed, is recorded as `orphaned` in the dashboard's state entry, so it is never
//! untracked and the next plan offers the delete again.

use serde_json::Value;

use super::error::refused;
use super::executor::{Outcome, TaskError};
use super::{ApplyError, Context, Event};
use crate::address::{Address, Kind};
use crate::plan::Change;

/// The state attribute listing a dashboard's orphaned predecessors (as the planner reads it).
const ORPHANED: &str = "orphaned";

impl Context {
    /// Deletes what the succeeded replacements supersede; the failures, to add to the outcome.
    pub(super) async fn delete_replaced(
        &self,
        outcome: &Outcome<TaskError<ApplyError>>,
    ) -> Vec<(Address, ApplyError)> {
        let mut failures = vec![];
        for change in self.changes.values() {
            if change.address.kind != Kind::Dashboard || change.delete_replaced.is_empty() {
                continue;
            }
            let address = &change.address;
            if !outcome.succeeded.contains(address) {
                continue;
            }
            // after an interrupt nothing new is sent: the old ones are kept as orphaned
            let left = if !outcome.interrupted && self.shares_succeeded(change, outcome) {
                self.delete_each(address, &change.delete_replaced).await
            } else {
                change.delete_replaced.clone()
            };
            if let Err(error) = self.record_orphans(address, &left).await {
                failures.push((address.clone(), error));
                continue;
            }
            if !left.is_empty() && !outcome.interrupted && self.shares_succeeded(change, outcome) {
                failures.push((
                    address.clone(),
                    refused(
                        address,
                        &format!(
                            "the replaced dashboard{} {} could not be deleted and {} kept in the state as `orphaned`; the next plan offers the delete again",
                            if left.len() == 1 { "" } else { "s" },
                            shown(&left),
                            if left.len() == 1 { "is" } else { "are" }
                        ),
                    ),
                ));
            }
        }
        failures
    }

    /// Whether every share of the dashboard this plan applies succeeded.
    fn shares_succeeded(&self, change: &Change, outcome: &Outcome<TaskError<ApplyError>>) -> bool {
        self.changes.values().all(|c| {
            c.address.kind != Kind::Share
                || !c
                    .address
                    .key
                    .starts_with(&format!("{}.", change.address.key))
                || outcome.succeeded.contains(&c.address)
        })
    }

    /// Deletes each old dashboard once and reads it back; returns the ones still there.
    pub(super) async fn delete_each(&self, address: &Address, ids: &[String]) -> Vec<String> {
        let mut left = vec![];
        for id in ids {
            let gone = match self.client.delete_project(id).await {
                Ok(_) => matches!(self.client.project(id).await, Ok(None)),
                Err(error) => {
                    self.reporter.event(Event::Warning(format!(
                        "{address}: the server did not delete the replaced dashboard `/p/{id}` ({error})"
                    )));
                    false
                }
            };
            if !gone {
                left.push(id.clone());
            }
        }
        left
    }

    /// Writes `left` as the entry's orphaned dashboards (removing the attribute when empty).
    pub(super) async fn record_orphans(
        &self,
        address: &Address,
        left: &[String],
    ) -> Result<(), ApplyError> {
        let Some(mut entry) = self.journal.entry(address).await else {
            return Ok(());
        };
        let before = entry.attributes.get(ORPHANED).cloned();
        if left.is_empty() {
            entry.attributes.remove(ORPHANED);
        } else {
            entry.attributes.insert(
                ORPHANED.into(),
                Value::from(
                    left.iter()
                        .map(|id| Value::from(id.as_str()))
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if entry.attributes.get(ORPHANED) == before.as_ref() {
            return Ok(());
        }
        self.journal.record(address, Some(entry)).await
    }
}

fn shown(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`/p/{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
