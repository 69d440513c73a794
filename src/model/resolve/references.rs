//! The entries that name other entries: a dashboard names its tables and layout, a share its
//! dashboard. Every name must be a key of its section; an unknown one is an error at the node
//! that names it, with a did-you-mean among the keys that exist.

use std::collections::BTreeMap;

use miette::SourceSpan;
use serde_saphyr::Spanned;

use super::Resolver;
use crate::address::Address;
use crate::grok_name::GrokName;
use crate::key::Key;
use crate::manifest::problem::did_you_mean;
use crate::manifest::{self, Entries, Manifest, Problem, ProblemKind};
use crate::model::{Dashboard, Layout, Share};
use crate::validated::shown_text;

/// Why a dashboard's display name obeys Grok-name rules.
const DASHBOARD_NAME_RULE: &str = "a dashboard's name is sent to Datagrok as a Grok name: it cannot contain `.`, and `:` separates parts";

impl Resolver<'_> {
    /// An unknown-reference error at `node` with a did-you-mean among `known`.
    pub(super) fn unknown(
        &mut self,
        node: &Spanned<String>,
        kind: &str,
        section: &str,
        known: &[&str],
    ) {
        let hint = did_you_mean(&node.value, known.iter().copied()).or_else(|| {
            Some(if known.is_empty() {
                format!("the manifest has no `{section}`")
            } else {
                let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                format!("known {section}: {}", list.join(", "))
            })
        });
        self.error_at(
            ProblemKind::UnknownReference,
            node,
            format!("unknown {kind} `{}`", shown_text(&node.value)),
            &format!("not a key of `{section}`"),
        )
        .help = hint;
    }

    pub(super) fn dashboards(
        &mut self,
        dashboards: &Entries<manifest::DashboardSpec>,
        layout_specs: &Entries<manifest::LayoutSpec>,
        tables: &[&str],
        layouts: &BTreeMap<Key, Layout>,
    ) -> BTreeMap<Key, Dashboard> {
        let layout_keys: Vec<&str> = layout_specs.iter().map(|(k, _)| k.value.as_str()).collect();
        let mut out = BTreeMap::new();
        for (key_node, spec) in dashboards.iter() {
            let key = self.key(key_node, "dashboard");
            // Without `name:` a dashboard is called by its key, which is a valid name exactly
            // when it is a valid key (already reported otherwise).
            let name = match &spec.name {
                Some(node) => {
                    let text = self.expand(node);
                    self.grok_name_with_help(node, &text, "dashboard name", DASHBOARD_NAME_RULE)
                }
                None => key.as_ref().map(GrokName::from),
            };
            if spec.tables.value.is_empty() {
                self.error_at(
                    ProblemKind::NoTables,
                    &spec.tables,
                    format!(
                        "dashboard `{}` holds no tables",
                        shown_text(&key_node.value)
                    ),
                    "empty list",
                )
                .help = Some("a Datagrok dashboard is created from at least one table".into());
            }
            let mut names: Vec<Key> = Vec::new();
            for table in &spec.tables.value {
                if !tables.contains(&table.value.as_str()) {
                    self.unknown(table, "table", "tables", tables);
                } else if names.iter().any(|n| *n == table.value) {
                    self.error_at(
                        ProblemKind::Duplicate,
                        table,
                        format!("table `{}` is listed twice", table.value),
                        "listed again here",
                    );
                } else if let Ok(table_key) = Key::parse(&table.value) {
                    // An invalid key among `tables` is reported where it is defined.
                    names.push(table_key);
                }
            }
            let layout = spec.layout.as_ref().and_then(|layout| {
                if !layout_keys.contains(&layout.value.as_str()) {
                    self.unknown(layout, "layout", "layouts", &layout_keys);
                    return None;
                }
                if let Some(resolved) = layouts.get(&layout.value) {
                    for reference in &resolved.references {
                        let label =
                            format!("its layout `{}` references `{reference}`", layout.value);
                        let from = Address::dashboard(&key_node.value);
                        self.edge(from, reference.clone(), self.span(layout), label);
                    }
                }
                Key::parse(&layout.value).ok()
            });
            let ignore_changes = self.ignore_changes(spec);
            let on_replace = spec
                .on_replace
                .as_ref()
                .map(|node| self.on_replace(Some(node)));
            if let (Some(key), Some(name)) = (key, name) {
                out.insert(
                    key.clone(),
                    Dashboard {
                        key,
                        name,
                        tables: names,
                        layout,
                        ignore_changes,
                        prevent_destroy: spec.prevent_destroy.as_ref().is_some_and(|p| p.value),
                        on_replace,
                    },
                );
            }
        }
        out
    }

    pub(super) fn shares(
        &mut self,
        m: &Manifest,
        dashboards: &[&str],
    ) -> BTreeMap<(String, String), Share> {
        let mut out = BTreeMap::new();
        let mut seen: BTreeMap<(String, String), SourceSpan> = BTreeMap::new();
        for spec in &m.shares {
            let dashboard = if dashboards.contains(&spec.dashboard.value.as_str()) {
                // Known, but invalid keys are reported where the dashboard is defined.
                Key::parse(&spec.dashboard.value).ok()
            } else {
                self.unknown(&spec.dashboard, "dashboard", "dashboards", dashboards);
                None
            };
            let access = self.access(spec.access.as_ref());
            if spec.groups.value.is_empty() {
                self.error_at(
                    ProblemKind::NoGroups,
                    &spec.groups,
                    format!(
                        "share of `{}` names no groups",
                        shown_text(&spec.dashboard.value)
                    ),
                    "empty list",
                );
            }
            for group in &spec.groups.value {
                let name = self.expand(group);
                if !self.group_name(group, &name) {
                    continue;
                }
                let id = (spec.dashboard.value.clone(), name.clone());
                if let Some(first) = seen.get(&id) {
                    let problem = Problem::error(
                        ProblemKind::Duplicate,
                        format!("dashboard `{}` is shared with `{name}` twice", id.0),
                    )
                    .source(&self.text.source)
                    .label(*first, "first shared here")
                    .label(self.span(group), "and again here")
                    .help("keep one grant per dashboard and group");
                    self.problems.push(problem);
                    continue;
                }
                seen.insert(id.clone(), self.span(group));
                if let Some(dashboard) = &dashboard {
                    out.insert(
                        id,
                        Share {
                            dashboard: dashboard.clone(),
                            group: name,
                            access,
                        },
                    );
                }
            }
        }
        out
    }

    /// Whether `name` (expanded from `node`) can be sent as a group: the share route takes
    /// groups as one comma-separated query value, so a name cannot be empty or hold `,`.
    fn group_name(&mut self, node: &Spanned<String>, name: &str) -> bool {
        let problem = if name.trim().is_empty() {
            "group name is empty".to_string()
        } else if name.contains(',') {
            format!(
                "group name `{}` contains `,`, which separates groups when shared",
                shown_text(name)
            )
        } else {
            return true;
        };
        let label = if name.trim().is_empty() {
            "empty"
        } else {
            "invalid group name"
        };
        self.error_at(ProblemKind::InvalidName, node, problem, label)
            .help =
            Some("give one group or user name per list item, e.g. `[Analysts, Managers]`".into());
        false
    }
}

impl Resolver<'_> {
    /// A dashboard's `ignore_changes`: `layout`, `shares` or JSON pointers into its layout;
    /// anything else is an error at its span.
    fn ignore_changes(&mut self, spec: &manifest::DashboardSpec) -> Vec<String> {
        let mut out = Vec::new();
        for entry in spec.ignore_changes.iter().flat_map(|l| &l.value) {
            if matches!(entry.value.as_str(), "layout" | "shares") || entry.value.starts_with('/') {
                out.push(entry.value.clone());
            } else {
                self.error_at(
                    ProblemKind::InvalidIgnoreChanges,
                    entry,
                    format!("unknown `ignore_changes` entry `{}`", entry.value),
                    "expected `layout`, `shares` or a JSON pointer",
                )
                .help = Some(
                    "use `layout`, `shares`, or a JSON pointer into the layout starting with `/`"
                        .into(),
                );
            }
        }
        out
    }
}
