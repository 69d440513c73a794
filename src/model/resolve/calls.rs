//! `calls`: a function call may reference any managed address, through `${table.X.id}` /
//! `${dashboard.X.id}` templates in its params and through `depends_on`. Both become edges of
//! the dependency graph, so each is checked against every address the manifest defines.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use super::Resolver;
use crate::address::Address;
use crate::key::Key;
use crate::manifest::problem::did_you_mean;
use crate::manifest::{Manifest, ProblemKind};
use crate::model::scan::{collect_strings, expand_json, malformed_templates};
use crate::model::{Call, Share, template};

impl Resolver<'_> {
    pub(super) fn calls(
        &mut self,
        m: &Manifest,
        shares: &BTreeMap<(String, String), Share>,
    ) -> BTreeMap<Key, Call> {
        let mut addresses: BTreeSet<Address> = BTreeSet::new();
        for (key, _) in m.files.iter() {
            addresses.insert(Address::file(&key.value));
        }
        for (key, _) in m.tables.iter() {
            addresses.insert(Address::table(&key.value));
        }
        for (key, _) in m.dashboards.iter() {
            addresses.insert(Address::dashboard(&key.value));
        }
        for (dashboard, group) in shares.keys() {
            addresses.insert(Address::share(dashboard, group));
        }
        for (key, _) in m.calls.iter() {
            addresses.insert(Address::call(&key.value));
        }
        let address_names: Vec<String> = addresses.iter().map(Address::to_string).collect();
        let mut out = BTreeMap::new();
        for (key_node, spec) in m.calls.iter() {
            let key = self.key(key_node, "call");
            let function_text = self.expand(&spec.function);
            let function = self.grok_name(&spec.function, &function_text, "function");
            let run = self.run_policy(spec.run.as_ref());
            let this = Address::call(&key_node.value);
            let mut depends_on = BTreeSet::new();
            let mut params = serde_json::Map::new();
            for (name, value) in spec.params.iter().flat_map(|p| p.value.0.iter()) {
                let value_copy = self.param(
                    &this,
                    &name.value,
                    value,
                    &addresses,
                    &address_names,
                    &mut depends_on,
                );
                params.insert(name.value.clone(), value_copy);
            }
            for dependency in spec.depends_on.iter().flat_map(|d| d.value.iter()) {
                if let Some(address) =
                    self.dependency(&this, dependency, &addresses, &address_names)
                {
                    depends_on.insert(address);
                }
            }
            if let (Some(key), Some(function)) = (key, function) {
                out.insert(
                    key.clone(),
                    Call {
                        key,
                        function,
                        params,
                        run,
                        idempotent: spec.idempotent.as_ref().is_some_and(|i| i.value),
                        depends_on: depends_on.into_iter().collect(),
                    },
                );
            }
        }
        out
    }

    /// One parameter with `${var.X}` expanded; its `${kind.KEY.id}` references are checked
    /// against `addresses` and added to `depends_on`.
    fn param(
        &mut self,
        this: &Address,
        name: &str,
        value: &Spanned<serde_json::Value>,
        addresses: &BTreeSet<Address>,
        address_names: &[String],
        depends_on: &mut BTreeSet<Address>,
    ) -> serde_json::Value {
        let mut value_copy = value.value.clone();
        let mut unknown_vars = Vec::new();
        expand_json(&mut value_copy, &self.vars, &mut unknown_vars);
        for unknown in unknown_vars {
            let hint = did_you_mean(&unknown, self.vars.keys().map(String::as_str));
            self.error_at(
                ProblemKind::UnknownReference,
                value,
                format!("unknown variable `{unknown}` in parameter `{name}`"),
                "not defined in `vars`",
            )
            .help = hint;
        }
        let mut texts = Vec::new();
        collect_strings(&value_copy, &mut texts);
        for text in texts {
            // Unknown `${var.X}` are already reported by the expansion above.
            for (_, _, inner) in malformed_templates(&text)
                .into_iter()
                .filter(|(_, _, inner)| !inner.starts_with("var."))
            {
                self.error_at(
                    ProblemKind::MalformedReference,
                    value,
                    format!("parameter `{name}` holds a malformed reference `${{{inner}}}`"),
                    "not `${table.KEY.id}` or `${dashboard.KEY.id}`",
                )
                .help = Some("write `${table.KEY.id}` or `${dashboard.KEY.id}`".into());
            }
            for reference in template::references(&text) {
                if addresses.contains(&reference.address) {
                    let label = format!("{this} references `{}`", reference.address);
                    self.edge(
                        this.clone(),
                        reference.address.clone(),
                        self.span(value),
                        label,
                    );
                    depends_on.insert(reference.address);
                } else {
                    let hint = did_you_mean(
                        &reference.address.to_string(),
                        address_names.iter().map(String::as_str),
                    );
                    self.error_at(
                        ProblemKind::UnknownReference,
                        value,
                        format!(
                            "parameter `{name}` references unknown `{}`",
                            reference.address
                        ),
                        "unknown address",
                    )
                    .help = hint;
                }
            }
        }
        value_copy
    }

    /// One `depends_on` item as a known address.
    fn dependency(
        &mut self,
        this: &Address,
        dependency: &Spanned<String>,
        addresses: &BTreeSet<Address>,
        address_names: &[String],
    ) -> Option<Address> {
        match dependency.value.parse::<Address>() {
            Ok(address) if addresses.contains(&address) => {
                let label = format!("{this} depends on `{address}`");
                self.edge(this.clone(), address.clone(), self.span(dependency), label);
                Some(address)
            }
            Ok(address) => {
                let hint = did_you_mean(
                    &address.to_string(),
                    address_names.iter().map(String::as_str),
                );
                self.error_at(
                    ProblemKind::UnknownReference,
                    dependency,
                    format!("`depends_on` names unknown `{address}`"),
                    "no such resource in the manifest",
                )
                .help = hint;
                None
            }
            Err(error) => {
                self.error_at(
                    ProblemKind::InvalidAddress,
                    dependency,
                    error.to_string(),
                    "not an address",
                );
                None
            }
        }
    }
}
