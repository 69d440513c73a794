//! Warnings: what is valid but probably not meant. A server URL that reaches the web UI, a
//! layout no dashboard uses, a layout column missing from the CSV headers of the dashboard's
//! tables. They never fail `validate` (except with `--strict`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use serde_saphyr::Spanned;

use super::Resolver;
use crate::key::Key;
use crate::manifest::problem::{SourceText, did_you_mean};
use crate::manifest::{Manifest, Problem, ProblemKind};
use crate::model::scan::layout_columns;
use crate::model::{Layout, Table};
use crate::server_url::ServerUrl;

impl Resolver<'_> {
    /// A server that is not an API base (`…/api`) answers with the web UI's HTML.
    pub(super) fn server_warning(&mut self, node: &Spanned<String>, server: &ServerUrl) {
        if server.is_api_base() {
            return;
        }
        self.warnings.push(
            Problem::warning(
                ProblemKind::ServerWithoutApi,
                format!("server `{server}` does not end with `/api`"),
            )
            .source(&self.text.source)
            .label(self.span(node), "this reaches the web UI, not the API")
            .help("the API base is the Datagrok URL plus `/api`, e.g. `https://datagrok.example.com/api`"),
        );
    }

    /// Unused layouts, and layout columns missing from the CSV headers of their tables.
    pub(super) fn layout_warnings(
        &mut self,
        m: &Manifest,
        tables: &BTreeMap<Key, Table>,
        layouts: &BTreeMap<Key, Layout>,
    ) {
        for (key, _) in m.layouts.iter() {
            let users: Vec<&str> = m
                .dashboards
                .iter()
                .filter(|(_, d)| d.layout.as_ref().is_some_and(|l| l.value == key.value))
                .map(|(k, _)| k.value.as_str())
                .collect();
            if users.is_empty() {
                self.warnings.push(
                    Problem::warning(
                        ProblemKind::UnusedLayout,
                        format!("layout `{}` is not used by any dashboard", key.value),
                    )
                    .source(&self.text.source)
                    .label(self.span(key), "unused")
                    .help("set `layout:` on a dashboard, or remove the layout"),
                );
                continue;
            }
            let Some(layout) = layouts.get(&key.value) else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&layout.text) else {
                continue;
            };
            let mut columns = BTreeSet::new();
            layout_columns(&json, None, &mut columns);
            for dashboard in users {
                let Some((_, spec)) = m.dashboards.get(dashboard) else {
                    continue;
                };
                let bound: Vec<&Table> = spec
                    .tables
                    .value
                    .iter()
                    .filter_map(|t| tables.get(&t.value))
                    .collect();
                if bound.len() != spec.tables.value.len() {
                    continue; // a table failed to resolve; its error is already reported
                }
                let header: BTreeSet<&str> = bound
                    .iter()
                    .flat_map(|t| t.csv.columns.iter().map(String::as_str))
                    .collect();
                for column in &columns {
                    if header.contains(column.as_str()) {
                        continue;
                    }
                    let needle = serde_json::to_string(column).expect("a string serialises");
                    let at = layout.text.find(&needle).unwrap_or(0);
                    let shown = self
                        .shown_dir
                        .join(&layout.source.relative)
                        .display()
                        .to_string();
                    let source: SourceText = Arc::new(NamedSource::new(shown, layout.text.clone()));
                    let table_list: Vec<String> =
                        bound.iter().map(|t| format!("`{}`", t.key)).collect();
                    let hint = did_you_mean(column, header.iter().copied());
                    self.warnings.push(
                        Problem::warning(
                            ProblemKind::UnknownColumn,
                            format!("layout `{}` names column `{column}`, absent from the tables of dashboard `{dashboard}`", key.value),
                        )
                        .source(&source)
                        .label(SourceSpan::new(at.into(), needle.len()), "not in any CSV header")
                        .help(match hint {
                            Some(h) => format!("{h} (tables: {})", table_list.join(", ")),
                            None => format!("the CSV headers of {} lack it; the viewer will show nothing", table_list.join(", ")),
                        }),
                    );
                }
            }
        }
    }
}
