//! The `import:` and `moved:` blocks: every address parsed and checked against the resolved
//! model, every rule a rename must obey checked here, at the YAML node that breaks it. What
//! depends on the state (a target already managed) is the planner's to say.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::Resolver;
use crate::address::{Address, Kind};
use crate::manifest::problem::did_you_mean;
use crate::manifest::{ImportSpec, Manifest, MovedSpec, ProblemKind};
use crate::model::Model;
use crate::model::adopt::{Adoption, Import, Lookup, Moved, Written};

impl Resolver<'_> {
    pub(super) fn adoption(&mut self, m: &Manifest, model: &Model) -> Adoption {
        Adoption {
            imports: self.imports(&m.import, model),
            moves: self.moves(&m.moved, model),
        }
    }

    fn imports(&mut self, specs: &[ImportSpec], model: &Model) -> Vec<Import> {
        let mut out = Vec::new();
        let mut seen: BTreeMap<Address, ()> = BTreeMap::new();
        for spec in specs {
            let Some(to) = self.address(&spec.to) else {
                continue;
            };
            if !matches!(to.kind, Kind::Table | Kind::File | Kind::Dashboard) {
                self.error_at(
                    ProblemKind::InvalidImport,
                    &spec.to,
                    format!("`{to}` cannot be imported"),
                    "not a table, file or dashboard",
                )
                .help = Some(
                    "import tables, files and dashboards; a dashboard brings the grants it already has for its shares".into(),
                );
                continue;
            }
            if !self.in_manifest(&spec.to, &to, model, "import") {
                continue;
            }
            let by = match (&spec.id, &spec.name) {
                (Some(id), None) if to.kind == Kind::File => Lookup::Name(id.value.clone()),
                (Some(id), None) => Lookup::Id(id.value.clone()),
                (None, Some(name)) => Lookup::Name(name.value.clone()),
                (both, _) => {
                    let what = if both.is_some() {
                        "both `id` and `name`"
                    } else {
                        "neither `id` nor `name`"
                    };
                    self.error_at(
                        ProblemKind::InvalidImport,
                        &spec.to,
                        format!("the import of `{to}` gives {what}"),
                        "this import",
                    )
                    .help = Some(
                        "give the object's `id` or its `name` (a file's `name` is its path)".into(),
                    );
                    continue;
                }
            };
            if seen.insert(to.clone(), ()).is_some() {
                self.error_at(
                    ProblemKind::InvalidImport,
                    &spec.to,
                    format!("`{to}` is imported twice"),
                    "imported again here",
                )
                .help = Some("keep one `import` block per address".into());
                continue;
            }
            out.push(Import { to, by });
        }
        out
    }

    fn moves(&mut self, specs: &[MovedSpec], model: &Model) -> Vec<Moved> {
        let parsed: Vec<Option<(Address, Address)>> = specs
            .iter()
            .map(|s| Some((self.address(&s.from)?, self.address(&s.to)?)))
            .collect();
        let froms: Vec<&Address> = parsed.iter().flatten().map(|(f, _)| f).collect();
        let tos: Vec<&Address> = parsed.iter().flatten().map(|(_, t)| t).collect();
        let mut out = Vec::new();
        for (i, (spec, pair)) in specs.iter().zip(&parsed).enumerate() {
            let Some((from, to)) = pair else {
                continue;
            };
            let before = &parsed[..i];
            let invalid = |this: &mut Self,
                           node: &Spanned<String>,
                           message: String,
                           label: &str,
                           help: &str| {
                this.error_at(ProblemKind::InvalidMoved, node, message, label)
                    .help = Some(help.to_string());
            };
            if from.kind != to.kind {
                invalid(
                    self,
                    &spec.to,
                    format!("`moved` cannot change `{from}` into a {}", to.kind),
                    &format!("not a {}", from.kind),
                    "an address can only move to one of the same kind; to change the kind, remove the old one and add the new one",
                );
            } else if from == to {
                invalid(
                    self,
                    &spec.to,
                    format!("`{from}` is moved to itself"),
                    "the same address",
                    "remove this `moved` block",
                );
            } else if tos.contains(&from) {
                invalid(
                    self,
                    &spec.from,
                    format!("`moved` chain through `{from}`: it is both moved to and moved from"),
                    "also the target of another `moved` block",
                    "move the oldest address straight to the newest one in a single block",
                );
            } else if before.iter().flatten().any(|(f, _)| f == from) {
                invalid(
                    self,
                    &spec.from,
                    format!("`{from}` is moved twice"),
                    "moved again here",
                    "an address moves to one place: keep one `moved` block for it",
                );
            } else if before.iter().flatten().any(|(_, t)| t == to) {
                invalid(
                    self,
                    &spec.to,
                    format!("two `moved` blocks move to `{to}`"),
                    "the target of another `moved` block too",
                    "only one address can become it: remove one of the blocks",
                );
            } else if model.has(from) {
                invalid(
                    self,
                    &spec.from,
                    format!("`{from}` is moved but still in the manifest"),
                    "still a resource of the manifest",
                    "remove the old entry from the manifest, or remove this `moved` block",
                );
            } else if self.in_manifest(&spec.to, to, model, "moved") {
                out.push(Moved {
                    from: from.clone(),
                    to: to.clone(),
                    at: Some(Written {
                        source: self.text.source.clone(),
                        span: self.span(&spec.to),
                    }),
                });
            }
        }
        debug_assert!(froms.len() >= out.len());
        out
    }

    /// The address written at `node`, or an error there.
    fn address(&mut self, node: &Spanned<String>) -> Option<Address> {
        match node.value.parse::<Address>() {
            Ok(address) => Some(address),
            Err(error) => {
                self.error_at(
                    ProblemKind::InvalidAddress,
                    node,
                    error.to_string(),
                    "not an address",
                );
                None
            }
        }
    }

    /// Whether `address` is a resource of the manifest; an error at `node` with a
    /// did-you-mean when it is not.
    fn in_manifest(
        &mut self,
        node: &Spanned<String>,
        address: &Address,
        model: &Model,
        block: &str,
    ) -> bool {
        if model.has(address) {
            return true;
        }
        let known: Vec<String> = model
            .dependencies()
            .keys()
            .map(Address::to_string)
            .collect();
        let kind = if block == "import" {
            ProblemKind::InvalidImport
        } else {
            ProblemKind::InvalidMoved
        };
        self.error_at(
            kind,
            node,
            format!("`{block}` names `{address}`, which the manifest does not declare"),
            "not a resource of the manifest",
        )
        .help = did_you_mean(&address.to_string(), known.iter().map(String::as_str))
            .or_else(|| Some(format!("declare `{address}` in the manifest first")));
        false
    }
}
