//! What a refresh saw on the server, as plain data: the one shape the refresh pass produces,
//! the planner repairs from and the renderers report. It lives beside the planner because the
//! planner must stay pure: the network reads happen in `refresh`, and only their outcome
//! crosses into planning. `Observed::default()` (nothing observed) is planning without a
//! refresh (`plan --refresh=false`).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::address::Address;

/// Per managed address what the server holds, the capability notes, and the grants on
/// managed dashboards that grokform does not record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// Every managed address the refresh looked at (calls have nothing to read back).
    pub resources: BTreeMap<Address, Observation>,
    /// What could not be verified on this server and why, one line per capability
    /// ("dashboards on this server cannot be verified (internal route refused: …)"), sorted.
    pub notes: Vec<String>,
    /// Grants on managed dashboards that no share of the state records, sorted.
    pub unmanaged_grants: Vec<UnmanagedGrant>,
    /// Whether a refresh produced this at all: `false` for `Observed::default()`, the
    /// server not read. Not serialised: a report exists only when a refresh ran.
    #[serde(skip)]
    pub refreshed: bool,
}

/// What the refresh saw for one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Observation {
    /// The server holds what the state records.
    InSync,
    /// The object is gone from the server (`drift` names how: table deleted, grant removed…).
    Gone { drift: Drift },
    /// The object is there but changed outside grokform.
    Drifted { drift: Vec<Drift> },
    /// It could not be read; `reason` says why (a refused route, a deadline, an error).
    Unverified { reason: String },
}

/// One named change made outside grokform, with what was seen on the server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    pub kind: DriftKind,
    /// What the server holds, in a few words (`named \`Sales (old)\``, `120 rows`…).
    pub seen: String,
    /// For an edited layout: the JSON pointers (RFC 6901) at which it changed, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pointers: Vec<String>,
    /// An `ignore_changes` rule of the manifest covers it: reported, never repaired.
    #[serde(default)]
    pub ignored: bool,
}

impl Drift {
    /// A drift item of `kind`, not ignored.
    pub fn new(kind: DriftKind, seen: impl Into<String>) -> Drift {
        Drift {
            kind,
            seen: seen.into(),
            pointers: vec![],
            ignored: false,
        }
    }
}

/// The kinds of drift grokform names.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    TableDeleted,
    ColumnsChanged,
    DataChanged,
    FileDeleted,
    FileChanged,
    DashboardDeleted,
    DashboardRenamed,
    TablesChanged,
    LayoutEdited,
    GrantRemoved,
    AccessChanged,
    GrantAdded,
}

impl DriftKind {
    /// How the kind reads in reports: `table deleted`, `layout edited`…
    pub fn phrase(self) -> &'static str {
        match self {
            DriftKind::TableDeleted => "table deleted",
            DriftKind::ColumnsChanged => "columns changed",
            DriftKind::DataChanged => "data changed",
            DriftKind::FileDeleted => "file deleted",
            DriftKind::FileChanged => "file changed",
            DriftKind::DashboardDeleted => "dashboard deleted",
            DriftKind::DashboardRenamed => "dashboard renamed",
            DriftKind::TablesChanged => "tables changed",
            DriftKind::LayoutEdited => "layout edited",
            DriftKind::GrantRemoved => "grant removed",
            DriftKind::AccessChanged => "access changed",
            DriftKind::GrantAdded => "grant added",
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.phrase())
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.seen)?;
        if self.ignored {
            f.write_str(" (ignored)")?;
        }
        Ok(())
    }
}

/// A grant on a managed dashboard that no share of the state records.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmanagedGrant {
    /// The dashboard's address.
    pub dashboard: Address,
    /// The group (or user) as the server names it.
    pub group: String,
    /// `View`, `Edit`, … as the server names it.
    pub access: String,
    /// `ignore_changes: [shares]` on the dashboard covers it.
    #[serde(default)]
    pub ignored: bool,
}

impl UnmanagedGrant {
    /// The grant as a drift item of its dashboard.
    pub fn as_drift(&self) -> Drift {
        Drift {
            ignored: self.ignored,
            ..Drift::new(
                DriftKind::GrantAdded,
                format!("`{}` has {} access", self.group, self.access),
            )
        }
    }
}

impl Observation {
    /// The drift items it names (none when in sync or unverified).
    pub fn drift(&self) -> &[Drift] {
        match self {
            Observation::Gone { drift } => std::slice::from_ref(drift),
            Observation::Drifted { drift } => drift,
            Observation::InSync | Observation::Unverified { .. } => &[],
        }
    }

    /// Whether it names a drift item of `kind` that is not ignored.
    #[cfg(test)]
    pub fn has(&self, kind: DriftKind) -> bool {
        self.drift().iter().any(|d| d.kind == kind && !d.ignored)
    }

    /// Whether the object is gone (and the deletion is not ignored).
    #[cfg(test)]
    pub fn is_gone(&self) -> bool {
        matches!(self, Observation::Gone { drift } if !drift.ignored)
    }
}

impl Observed {
    /// What the refresh saw for `address`; `None` when it did not look.
    pub fn get(&self, address: &Address) -> Option<&Observation> {
        self.resources.get(address)
    }

    /// Every drift item with its address, unmanaged grants as drift of their dashboard, in
    /// address order.
    pub fn all_drift(&self) -> Vec<(Address, Drift)> {
        let mut out: Vec<(Address, Drift)> = self
            .resources
            .iter()
            .flat_map(|(a, o)| o.drift().iter().map(move |d| (a.clone(), d.clone())))
            .chain(
                self.unmanaged_grants
                    .iter()
                    .map(|g| (g.dashboard.clone(), g.as_drift())),
            )
            .collect();
        out.sort();
        out
    }

    /// How many drift items are not ignored.
    pub fn drift_count(&self) -> usize {
        self.all_drift().iter().filter(|(_, d)| !d.ignored).count()
    }

    /// How many drift items an `ignore_changes` rule covers.
    pub fn ignored_count(&self) -> usize {
        self.all_drift().iter().filter(|(_, d)| d.ignored).count()
    }

    /// The addresses that could not be verified, with why.
    pub fn unverified(&self) -> Vec<(&Address, &str)> {
        self.resources
            .iter()
            .filter_map(|(a, o)| match o {
                Observation::Unverified { reason } => Some((a, reason.as_str())),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift(kind: DriftKind, ignored: bool) -> Drift {
        Drift {
            ignored,
            ..Drift::new(kind, "x")
        }
    }

    #[test]
    fn counts_keep_ignored_drift_apart() {
        let mut observed = Observed::default();
        observed.resources.insert(
            Address::dashboard("overview"),
            Observation::Drifted {
                drift: vec![
                    drift(DriftKind::LayoutEdited, true),
                    drift(DriftKind::DashboardRenamed, false),
                ],
            },
        );
        observed.resources.insert(
            Address::table("orders"),
            Observation::Gone {
                drift: drift(DriftKind::TableDeleted, false),
            },
        );
        observed.resources.insert(
            Address::file("readme"),
            Observation::Unverified {
                reason: "refused".into(),
            },
        );
        observed.unmanaged_grants.push(UnmanagedGrant {
            dashboard: Address::dashboard("overview"),
            group: "Developers".into(),
            access: "Edit".into(),
            ignored: false,
        });
        assert_eq!(observed.drift_count(), 3);
        assert_eq!(observed.ignored_count(), 1);
        assert_eq!(observed.unverified().len(), 1);
        let overview = observed.get(&Address::dashboard("overview")).unwrap();
        assert!(overview.has(DriftKind::DashboardRenamed));
        assert!(!overview.has(DriftKind::LayoutEdited), "ignored");
        assert!(observed.get(&Address::table("orders")).unwrap().is_gone());
        assert_eq!(Observed::default().drift_count(), 0);
    }

    #[test]
    fn observations_serialise_with_a_status_tag() {
        let gone = Observation::Gone {
            drift: drift(DriftKind::FileDeleted, false),
        };
        let text = serde_json::to_string(&gone).unwrap();
        assert_eq!(
            text,
            r#"{"status":"gone","drift":{"kind":"file-deleted","seen":"x","ignored":false}}"#
        );
        assert_eq!(serde_json::from_str::<Observation>(&text).unwrap(), gone);
    }
}
