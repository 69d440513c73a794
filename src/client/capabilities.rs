//! Which internal routes this server lets grokform use. They are not a published contract: a
//! server may refuse any of them (401, 403, an unknown route's HTML page, an `ApiError`), and
//! grokform then does without, saying so once, instead of failing. Reads are probed once per
//! run; writes can only be known by trying them, so they start untried and are recorded as
//! refused the first time the server refuses one.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use tokio::sync::OnceCell;

use super::envelope::route_refusal;
use super::observed::ServerInfo;
use super::{Client, ClientError};

/// One internal route family grokform may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// `GET /projects/{id}`, `GET /projects?text=…`: dashboards read back.
    ReadProjects,
    /// `GET /layouts?projectId=…`.
    ReadLayouts,
    /// `GET /privileges/permissions?entityId=…`: grants read back.
    ReadPermissions,
    /// `GET /tables/{uuid}`, `GET /tables?text=…`.
    ReadTables,
    /// `DELETE /projects/{id}`.
    DeleteProject,
    /// `DELETE /tables/{uuid}`.
    DeleteTable,
    /// `DELETE /privileges/permissions/{permId}`.
    Revoke,
    /// `POST /projects` or `POST /layouts` with the entity's own id: a layout updated in place.
    SaveInPlace,
}

impl Capability {
    pub const ALL: [Capability; 8] = [
        Capability::ReadProjects,
        Capability::ReadLayouts,
        Capability::ReadPermissions,
        Capability::ReadTables,
        Capability::DeleteProject,
        Capability::DeleteTable,
        Capability::Revoke,
        Capability::SaveInPlace,
    ];

    /// Writes are known only once tried; reads are probed.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Capability::DeleteProject
                | Capability::DeleteTable
                | Capability::Revoke
                | Capability::SaveInPlace
        )
    }

    /// What users lose without it, as the start of a plan note.
    pub fn consequence(self) -> &'static str {
        match self {
            Capability::ReadProjects => "dashboards on this server cannot be verified",
            Capability::ReadLayouts => "dashboard layouts on this server cannot be verified",
            Capability::ReadPermissions => "grants on this server cannot be verified",
            Capability::ReadTables => "tables on this server cannot be verified",
            Capability::DeleteProject => "dashboards on this server cannot be deleted",
            Capability::DeleteTable => "tables on this server cannot be deleted",
            Capability::Revoke => "grants on this server cannot be revoked",
            Capability::SaveInPlace => "dashboards on this server cannot be updated in place",
        }
    }

    /// A short stable name (`read-projects`), for JSON output and logs.
    pub fn name(self) -> &'static str {
        match self {
            Capability::ReadProjects => "read-projects",
            Capability::ReadLayouts => "read-layouts",
            Capability::ReadPermissions => "read-permissions",
            Capability::ReadTables => "read-tables",
            Capability::DeleteProject => "delete-project",
            Capability::DeleteTable => "delete-table",
            Capability::Revoke => "revoke",
            Capability::SaveInPlace => "save-in-place",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether grokform may use a capability in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    /// A read answered as expected; for a write, the server accepted one this run (whether
    /// it took effect is known only by reading back).
    Available,
    /// A write not tried yet in this run.
    Untried,
    /// Off for the rest of the run; `reason` says what the server did.
    Refused { reason: String },
}

/// What the server lets grokform do, as far as known now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    states: BTreeMap<Capability, Availability>,
    server: Option<ServerInfo>,
}

impl Capabilities {
    /// The availability of `capability`.
    pub fn availability(&self, capability: Capability) -> &Availability {
        self.states
            .get(&capability)
            .unwrap_or(&Availability::Untried)
    }

    /// True unless the server refused it: reads that answered, writes not refused yet.
    pub fn allows(&self, capability: Capability) -> bool {
        !matches!(self.availability(capability), Availability::Refused { .. })
    }

    /// One human-readable note per refused capability, in a stable order, e.g. "dashboards
    /// on this server cannot be verified (internal route refused: 404 HTML page)".
    pub fn notes(&self) -> Vec<String> {
        Capability::ALL
            .iter()
            .filter_map(|c| match self.availability(*c) {
                Availability::Refused { reason } => Some(format!("{} ({reason})", c.consequence())),
                _ => None,
            })
            .collect()
    }

    /// The server's version and commit, when `GET /info/server` answered.
    pub fn server(&self) -> Option<&ServerInfo> {
        self.server.as_ref()
    }
}

/// The client's record of capabilities for the run, shared by its clones.
#[derive(Default)]
pub(super) struct CapabilityRecord {
    probed: OnceCell<Capabilities>,
    /// What writes did, and refusals recorded after the probe (of reads too).
    recorded: Mutex<BTreeMap<Capability, Availability>>,
}

impl Client {
    /// Which internal routes this server lets grokform use. The read routes are probed on
    /// the first call (in parallel, each under the read deadline) and the answer is kept for
    /// the client's lifetime, shared by its clones; writes show what happened when they were
    /// tried. Never fails: a route that does not answer as expected is off, with its reason.
    pub async fn probe_capabilities(&self) -> Capabilities {
        let record = &self.inner.capabilities;
        let mut capabilities = record.probed.get_or_init(|| self.probe()).await.clone();
        let recorded = record
            .recorded
            .lock()
            .expect("the record is never left poisoned");
        for capability in Capability::ALL {
            let state = match recorded.get(&capability) {
                Some(refused @ Availability::Refused { .. }) => refused.clone(),
                Some(state) if capability.is_write() => state.clone(),
                None if capability.is_write() => Availability::Untried,
                _ => continue,
            };
            capabilities.states.insert(capability, state);
        }
        capabilities
    }

    /// Whether the read routes were already probed in this run (by a refresh or a lifecycle
    /// plan): what is known then costs no request.
    pub fn probed(&self) -> bool {
        self.inner.capabilities.probed.initialized()
    }

    /// Turns `capability` off for the rest of the run, e.g. when a read-back shows that a
    /// write the server accepted did not take effect, or a read route starts refusing after
    /// the probe. The first reason given is kept.
    pub fn record_refused(&self, capability: Capability, reason: impl Into<String>) {
        let mut recorded = self
            .inner
            .capabilities
            .recorded
            .lock()
            .expect("the record is never left poisoned");
        let state = recorded.entry(capability).or_insert(Availability::Untried);
        if !matches!(state, Availability::Refused { .. }) {
            *state = Availability::Refused {
                reason: reason.into(),
            };
        }
    }

    /// Records how a write through `capability` ended: accepted, or refused by the server
    /// (a failure that says nothing about the route, like a timeout, changes nothing).
    pub(super) fn note_write<T>(&self, capability: Capability, result: &Result<T, ClientError>) {
        match result {
            Ok(_) => {
                let mut recorded = self
                    .inner
                    .capabilities
                    .recorded
                    .lock()
                    .expect("the record is never left poisoned");
                let state = recorded.entry(capability).or_insert(Availability::Untried);
                if *state == Availability::Untried {
                    *state = Availability::Available;
                }
            }
            Err(error) => {
                if let Some(reason) = route_refusal(error) {
                    self.record_refused(capability, format!("internal route refused: {reason}"));
                }
            }
        }
    }

    /// Reads each internal route about an entity that cannot exist (a fresh random UUID): a
    /// route that works answers "not found" or an empty list.
    async fn probe(&self) -> Capabilities {
        let ghost = uuid::Uuid::new_v4().to_string();
        let (server, project, search, layouts, permissions, table, tables) = tokio::join!(
            self.server_info(),
            self.project(&ghost),
            self.projects_page(&ghost, 1),
            self.layouts(&ghost),
            self.permissions(&ghost),
            self.table(&ghost),
            self.tables_named(&ghost),
        );
        let mut states = BTreeMap::new();
        states.insert(
            Capability::ReadProjects,
            verdict(project.map(drop).and(search.map(drop))),
        );
        states.insert(Capability::ReadLayouts, verdict(layouts.map(drop)));
        states.insert(Capability::ReadPermissions, verdict(permissions.map(drop)));
        states.insert(
            Capability::ReadTables,
            verdict(table.map(drop).and(tables.map(drop))),
        );
        Capabilities {
            states,
            server: server.ok(),
        }
    }
}

/// A probe's result as an availability, with a reason a user can act on.
fn verdict(result: Result<(), ClientError>) -> Availability {
    match result {
        Ok(()) => Availability::Available,
        Err(error) => Availability::Refused {
            reason: match route_refusal(&error) {
                Some(reason) => format!("internal route refused: {reason}"),
                None => format!("internal route unavailable: it {}", error.outcome()),
            },
        },
    }
}
