//! `lifecycle:` resolved: each opt-in checked against the values it may take, with an error
//! at the value otherwise.

use super::Resolver;
use crate::manifest::problem::did_you_mean;
use crate::manifest::{LifecycleSpec, ProblemKind, S};
use crate::model::{Deletion, Lifecycle, OnReplace, SharesMode};
use crate::validated::shown_text;

impl Resolver<'_> {
    pub(super) fn lifecycle(&mut self, spec: Option<&LifecycleSpec>) -> Lifecycle {
        let Some(spec) = spec else {
            return Lifecycle::default();
        };
        Lifecycle {
            shares: self.shares_mode(spec.shares.as_ref()),
            deletion: self.deletion(spec.deletion.as_ref()),
            on_replace: self.on_replace(spec.on_replace.as_ref()),
        }
    }

    pub(super) fn on_replace(&mut self, node: Option<&S<String>>) -> OnReplace {
        let Some(node) = node else {
            return OnReplace::default();
        };
        match node.value.as_str() {
            "keep" => OnReplace::Keep,
            "delete" => OnReplace::Delete,
            other => {
                let hint = did_you_mean(other, ["keep", "delete"])
                    .unwrap_or_else(|| "use `keep` or `delete`".into());
                self.error_at(
                    ProblemKind::InvalidLifecycle,
                    node,
                    format!("unknown `on_replace` mode `{}`", shown_text(other)),
                    "expected `keep` or `delete`",
                )
                .help = Some(hint);
                OnReplace::default()
            }
        }
    }

    fn deletion(&mut self, node: Option<&S<String>>) -> Deletion {
        let Some(node) = node else {
            return Deletion::default();
        };
        match node.value.as_str() {
            "forget" => Deletion::Forget,
            "allowed" => Deletion::Allowed,
            other => {
                let hint = did_you_mean(other, ["forget", "allowed"])
                    .unwrap_or_else(|| "use `forget` or `allowed`".into());
                self.error_at(
                    ProblemKind::InvalidLifecycle,
                    node,
                    format!("unknown `lifecycle.deletion` mode `{}`", shown_text(other)),
                    "expected `forget` or `allowed`",
                )
                .help = Some(hint);
                Deletion::default()
            }
        }
    }

    fn shares_mode(&mut self, node: Option<&S<String>>) -> SharesMode {
        let Some(node) = node else {
            return SharesMode::default();
        };
        match node.value.as_str() {
            "additive" => SharesMode::Additive,
            "authoritative" => SharesMode::Authoritative,
            other => {
                let hint = did_you_mean(other, ["additive", "authoritative"])
                    .unwrap_or_else(|| "use `additive` or `authoritative`".into());
                self.error_at(
                    ProblemKind::InvalidLifecycle,
                    node,
                    format!("unknown `lifecycle.shares` mode `{}`", shown_text(other)),
                    "expected `additive` or `authoritative`",
                )
                .help = Some(hint);
                SharesMode::default()
            }
        }
    }
}
