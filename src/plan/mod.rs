//! The planner: a pure function from the model, the state and what a refresh observed on the
//! server ([`Observed`], whose drift becomes repair changes in `repair`) to a [`Plan`]. It has
//! no clock, no environment, no file system and no network, so that every decision about what
//! `apply` will do can be tested from plain values, and so that a saved plan
//! (`plan --out FILE`) is nothing but this data serialised (`render::json`).
//!
//! The applier records, for every address it applies, exactly [`desired_attributes`] (with the
//! real IDs) and [`inputs_hash`]; the next plan compares against those, which keeps planner and
//! applier consistent.

mod action;
mod attributes;
mod capabilities;
mod change;
mod column_safety;
mod diff;
mod error;
mod fresh;
mod import_records;
mod imports;
mod in_place;
mod lifecycle;
mod moved;
mod observed;
mod planner;
mod removed;
mod repair;
pub(crate) mod saved;
mod schema;
mod summary;
mod targeting;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod uncertain_tests;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::address::Address;

pub use action::Action;
pub use attributes::{desired_attributes, inputs};
pub use capabilities::PlanCapabilities;
pub use change::{Change, CsvChange};
pub use column_safety::check_saved as check_columns;
pub use error::PlanError;
pub use fresh::check_fresh;
pub use import_records::records as import_records;
pub use imports::{Found, Imported, Move, ServerGrant, ServerObject, adopt_into, plan_adopting};
pub use moved::rename_in_state;
pub use observed::{Drift, DriftKind, Observation, Observed, UnmanagedGrant};
// The CLI plans through `plan_adopting`; tests call the planner itself.
#[cfg_attr(not(test), allow(unused_imports))]
pub use planner::plan;
pub use summary::Summary;

/// The saved-plan format; bumped on incompatible changes (documented in the README, "Plan format").
pub const FORMAT_VERSION: u32 = 1;

/// How an attribute whose value is an ID the server has not assigned yet is shown.
pub const UNKNOWN: &str = "(known after apply)";

/// What the CLI knows beyond the model and the state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// The normalised base URL the plan targets (after `--server` / `DATAGROK_URL`).
    pub server: String,
    /// The environment selected with `--env`.
    pub environment: Option<String>,
    /// `--target` addresses; empty means everything.
    pub targets: Vec<Address>,
    /// `--replace` addresses: replaced even when nothing changed.
    pub replace: Vec<Address>,
    /// The internal write routes the server allows (revoke, delete, in-place save); the
    /// default allows none, which plans as with the public API alone.
    pub capabilities: PlanCapabilities,
}

/// The state a plan was made against; `apply FILE` refuses when it moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRef {
    /// The state's lineage (a UUID).
    pub lineage: String,
    /// The state's serial when the plan was made.
    pub serial: u64,
}

/// Everything `apply` will do, in order, and why. Serialised as is, this is the saved-plan file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The format of this file: 1.
    #[schemars(extend("const" = 1))]
    pub format_version: u32,
    /// The environment selected with `--env`, if any.
    pub environment: Option<String>,
    /// The base URL of the server the plan targets (any `user:password@` part removed).
    pub server: String,
    /// The state the plan was made against.
    pub state: StateRef,
    /// The manifest's file name and every source's path relative to the manifest, mapped to
    /// the lowercase hex SHA-256 of its content when the plan was made.
    pub inputs: BTreeMap<String, String>,
    /// `--target` addresses; empty when the plan covers the whole manifest.
    pub targets: Vec<Address>,
    /// One change per address, in apply (dependency) order, no-ops included.
    pub changes: Vec<Change>,
    /// Plan-level warnings (forgets, replaced dashboard URLs, partial plans…), sorted and
    /// deduplicated; each names the address it is about.
    pub warnings: Vec<String>,
    /// What the refresh before this plan could not check: capability notes ("dashboards on
    /// this server cannot be verified …") and unverified addresses with why, sorted. Never
    /// failures: those objects are planned from the state alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The refresh this plan was made after; absent when the server was not read
    /// (`--refresh=false`, or a plan made before refreshes existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshOutcome>,
    /// Renames of `moved:` blocks, recorded in the state before the changes (no request).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Move>,
    /// Existing objects of `import:` blocks, recorded in the state before the changes (no
    /// request); `changes` shows how they differ from the manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Imported>,
}

/// What the refresh before a plan read, beyond the drift its changes carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshOutcome {
    /// The addresses it could not verify (sorted); the plan's notes say why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<Address>,
}

impl Plan {
    /// Whether applying would do anything at all.
    pub fn has_changes(&self) -> bool {
        self.adopts() || self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// Whether applying records renames or imports in the state.
    pub fn adopts(&self) -> bool {
        !self.moved.is_empty() || !self.imports.is_empty()
    }

    /// How many changes of each action the plan holds.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.changes)
    }

    /// The change for `address`, if the plan has one.
    pub fn change(&self, address: &Address) -> Option<&Change> {
        self.changes.iter().find(|c| &c.address == address)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod replace_tests;

#[cfg(test)]
mod layout_tests;

#[cfg(test)]
mod convergence;

#[cfg(test)]
mod imports_tests;

#[cfg(test)]
mod repair_tests;
