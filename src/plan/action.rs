//! What apply does to one address.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The action a [`Change`](super::Change) asks of `apply`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Create the remote object (a new ID for tables and dashboards).
    Create,
    /// Change it in place, keeping its ID (re-upload, re-share).
    Update,
    /// Create a new one in its place (new ID); what the old one becomes is in the warnings.
    Replace,
    /// Delete the remote object (files only: the only kind with a public delete).
    Delete,
    /// Stop managing it and leave it on the server (the public API cannot delete or revoke it).
    Forget,
    /// Call the server function.
    Run,
    /// Nothing to do.
    NoOp,
}

impl Action {
    /// Every action, in the order summaries list them.
    pub const ALL: [Action; 7] = [
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Delete,
        Action::Forget,
        Action::Run,
        Action::NoOp,
    ];

    /// The sign shown before the address, as in Terraform (`/` marks a forget: it leaves the
    /// remote object alone, unlike `-`).
    pub fn sign(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Forget => "/",
            Action::Run => ">",
            Action::NoOp => " ",
        }
    }

    /// The phrase after "`address` will be …" / "must be …".
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "will be created",
            Action::Update => "will be updated in place",
            Action::Replace => "must be replaced",
            Action::Delete => "will be deleted",
            Action::Forget => "will be forgotten",
            Action::Run => "will run",
            Action::NoOp => "is up to date",
        }
    }

    /// The past participle, for reasons that mention another change (`table.orders is updated`).
    pub fn past(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Replace => "replaced",
            Action::Delete => "deleted",
            Action::Forget => "forgotten",
            Action::Run => "run",
            Action::NoOp => "unchanged",
        }
    }

    /// The word used in summaries and tables (`create`, `no-op`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Forget => "forget",
            Action::Run => "run",
            Action::NoOp => "no-op",
        }
    }

    /// Whether the address gets a new remote ID, so that everything holding its ID (dashboards
    /// of a table, shares of a dashboard, filled templates) must follow.
    pub fn changes_id(self) -> bool {
        matches!(self, Action::Create | Action::Replace)
    }
}
