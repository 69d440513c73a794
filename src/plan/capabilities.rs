//! What the server lets a plan do beyond the public API, as plain data the pure planner can
//! read. The CLI fills it from `Client::probe_capabilities`; `Default` (nothing known, nothing
//! allowed) plans exactly as without the internal routes.
//!
//! The probe reads the internal read routes once; the write routes (delete, revoke, in-place
//! save) are only known by trying them, so a write the server has not refused yet counts as
//! allowed for planning, as `Capabilities::allows` says. Every destructive step is verified by
//! reading back, so a write is allowed only while the read route that verifies it answers;
//! when apply finds the write refused, it keeps the object in the state with the server's
//! answer instead of guessing.

use crate::client::{Availability, Capabilities, Capability};

/// Whether the plan may use one destructive write route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Permit {
    /// No probe ran (a plan made without asking the server): not allowed.
    #[default]
    Unknown,
    /// The server has not refused it and the read that verifies it answers; `tried` says
    /// whether the write itself was already accepted in this run.
    Allowed { tried: bool },
    /// Refused; `reason` says by whom and how, as a user can act on it.
    Refused { reason: String },
}

impl Permit {
    /// Why the plan cannot use it, for a warning; `None` when allowed.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Permit::Unknown => Some("the server's internal routes were not probed".into()),
            Permit::Allowed { .. } => None,
            Permit::Refused { reason } => Some(reason.clone()),
        }
    }
}

/// The destructive capabilities a plan may use, one per internal write route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanCapabilities {
    /// `DELETE /privileges/permissions/{id}`, verified by reading the grants back.
    pub revoke: Permit,
    /// `DELETE /projects/{id}`, verified by reading the project back.
    pub delete_project: Permit,
    /// `DELETE /tables/{id}`, verified by reading the table back.
    pub delete_table: Permit,
    /// `POST /layouts` (or `/projects`) with the entity's own id, verified by reading the
    /// layout back.
    pub save_in_place: Permit,
}

impl PlanCapabilities {
    /// From what the client knows of the server now.
    pub fn from_probe(capabilities: &Capabilities) -> Self {
        PlanCapabilities {
            revoke: permit(
                capabilities,
                Capability::Revoke,
                Capability::ReadPermissions,
            ),
            delete_project: permit(
                capabilities,
                Capability::DeleteProject,
                Capability::ReadProjects,
            ),
            delete_table: permit(
                capabilities,
                Capability::DeleteTable,
                Capability::ReadTables,
            ),
            save_in_place: permit(
                capabilities,
                Capability::SaveInPlace,
                Capability::ReadLayouts,
            ),
        }
    }

    /// Everything allowed, as if every write had been accepted (tests of the planner).
    #[cfg(test)]
    pub fn all() -> Self {
        let allowed = Permit::Allowed { tried: true };
        PlanCapabilities {
            revoke: allowed.clone(),
            delete_project: allowed.clone(),
            delete_table: allowed.clone(),
            save_in_place: allowed,
        }
    }
}

/// `write` is allowed when neither it nor the read that verifies it was refused.
fn permit(capabilities: &Capabilities, write: Capability, verify: Capability) -> Permit {
    if let Availability::Refused { reason } = capabilities.availability(verify) {
        return Permit::Refused {
            reason: format!(
                "{} ({reason}), so a `{write}` could not be verified",
                verify.consequence()
            ),
        };
    }
    match capabilities.availability(write) {
        Availability::Refused { reason } => Permit::Refused {
            reason: format!("{} ({reason})", write.consequence()),
        },
        Availability::Available => Permit::Allowed { tried: true },
        Availability::Untried => Permit::Allowed { tried: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_allowed_by_default() {
        let none = PlanCapabilities::default();
        for permit in [
            &none.revoke,
            &none.delete_project,
            &none.delete_table,
            &none.save_in_place,
        ] {
            assert_eq!(
                permit.refusal().as_deref(),
                Some("the server's internal routes were not probed")
            );
        }
    }

    #[test]
    fn allowed_only_says_no_refusal() {
        let permit = Permit::Allowed { tried: false };
        assert_eq!(permit.refusal(), None);
        let refused = Permit::Refused {
            reason: "no".into(),
        };
        assert_eq!(refused.refusal().as_deref(), Some("no"));
    }
}
