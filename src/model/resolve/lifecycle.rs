//! `lifecycle:` resolved: each opt-in checked against the values it may take, with an error
//! at the value otherwise.

use super::Resolver;
use crate::manifest::problem::did_you_mean;
use crate::manifest::{LifecycleSpec, ProblemKind, S};
use crate::model::{Lifecycle, SharesMode};
use crate::validated::shown_text;

impl Resolver<'_> {
    pub(super) fn lifecycle(&mut self, spec: Option<&LifecycleSpec>) -> Lifecycle {
        let Some(spec) = spec else {
            return Lifecycle::default();
        };
        Lifecycle {
            shares: self.shares_mode(spec.shares.as_ref()),
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
