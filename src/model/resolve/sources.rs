//! The entries backed by a local file: `files`, `tables` (CSV) and `layouts` (JSON). Each
//! source is located inside the manifest's folder and hashed once here; what is wrong with the
//! file is an error at its `source:` node (or, for layout JSON, inside the layout file).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};

use super::Resolver;
use crate::address::Kind;
use crate::key::Key;
use crate::manifest::problem::{SourceText, did_you_mean};
use crate::manifest::{self, Entries, Problem, ProblemKind, Text};
use crate::model::scan::malformed_templates;
use crate::model::source::{self, CsvError, SourceError};
use crate::model::stat_cache::{As, ReadError};
use crate::model::{File, Layout, Source, Table, template};

impl Resolver<'_> {
    /// Locates a source; problems are errors at the `source:` node.
    fn locate(&mut self, node: &Spanned<String>) -> Option<(String, PathBuf)> {
        let relative = self.expand(node).replace('\\', "/");
        match self.locator.locate(&self.root, &relative) {
            Ok(path) => Some((relative, path)),
            Err(error) => {
                let (label, help) = match &error {
                    SourceError::Missing(_) => (
                        "no such file",
                        format!("paths are relative to the manifest's folder `{}`", self.shown()),
                    ),
                    SourceError::NotAFile(_) => ("not a regular file", "point at a file, not a folder or device".into()),
                    SourceError::Outside { .. } => (
                        "outside the manifest's folder",
                        "sources must stay inside the manifest's folder so the project is self-contained; copy the file in".into(),
                    ),
                    SourceError::Io(..) => ("cannot be read", "check the file's permissions".into()),
                };
                self.error_at(ProblemKind::InvalidSource, node, error.to_string(), label)
                    .help = Some(help);
                None
            }
        }
    }

    /// The manifest's folder as the user named it (`.` for the current one).
    pub(super) fn shown(&self) -> String {
        let shown = self.shown_dir.display().to_string();
        if shown.is_empty() { ".".into() } else { shown }
    }

    fn source_error(
        &mut self,
        node: &Spanned<String>,
        relative: &str,
        error: impl std::fmt::Display,
        label: &str,
    ) {
        self.error_at(
            ProblemKind::InvalidSource,
            node,
            format!("cannot read source `{relative}`: {error}"),
            label,
        );
    }

    pub(super) fn files(&mut self, files: &Entries<manifest::FileSpec>) -> BTreeMap<Key, File> {
        let mut out = BTreeMap::new();
        // Located first, then digested in one batch (from the stat cache, or read in parallel).
        let mut located = Vec::new();
        let mut seen: BTreeMap<(String, String), &Spanned<String>> = BTreeMap::new();
        for (key_node, spec) in files.iter() {
            let key = self.key(key_node, "file");
            let connector_text = self.expand(&spec.connector);
            let connector = self.grok_name(&spec.connector, &connector_text, "connector");
            let path_text = self.expand(&spec.path);
            let path = self.remote_path(&spec.path, &path_text);
            if let (Some(connector), Some(path)) = (&connector, &path) {
                let id = (connector.to_lowercase(), path.to_string());
                if let Some(first) = seen.get(&id) {
                    let first = self.span(*first);
                    let problem = Problem::error(
                        ProblemKind::Duplicate,
                        format!("two files write `{connector}` `{path}`"),
                    )
                    .source(&self.text.source)
                    .label(first, "first written here")
                    .label(self.span(key_node), "and again here")
                    .help("each remote file may be managed by one entry; remove or rename one");
                    self.problems.push(problem);
                } else {
                    seen.insert(id, key_node);
                }
            }
            let Some((relative, path_buf)) = self.locate(&spec.source) else {
                continue;
            };
            located.push((key, connector, path, &spec.source, relative, path_buf));
        }
        let jobs: Vec<_> = located.iter().map(|l| (l.5.clone(), As::File)).collect();
        let digests = self.cache.digest(&jobs);
        for ((key, connector, path, node, relative, path_buf), digest) in
            located.into_iter().zip(digests)
        {
            let (size, sha256) = match digest {
                Ok((size, sha256, _)) => (size, sha256),
                Err(error) => {
                    self.source_error(node, &relative, error, "cannot be read");
                    continue;
                }
            };
            if let (Some(key), Some(connector), Some(path)) = (key, connector, path) {
                out.insert(
                    key.clone(),
                    File {
                        key,
                        connector,
                        path,
                        source: Source {
                            relative,
                            path: path_buf,
                            size,
                            sha256,
                        },
                    },
                );
            }
        }
        out
    }

    pub(super) fn tables(&mut self, tables: &Entries<manifest::TableSpec>) -> BTreeMap<Key, Table> {
        let mut out = BTreeMap::new();
        // Located first, then digested in one batch (from the stat cache, or read in parallel).
        let mut located = Vec::new();
        let mut seen: BTreeMap<String, &Spanned<String>> = BTreeMap::new();
        for (key_node, spec) in tables.iter() {
            let key = self.key(key_node, "table");
            let name_text = self.expand(&spec.name);
            let name = self.grok_name(&spec.name, &name_text, "table name");
            if let Some(name) = &name {
                if let Some(first) = seen.get(&name.to_lowercase()) {
                    let first = self.span(*first);
                    let problem = Problem::error(
                        ProblemKind::Duplicate,
                        format!("two tables upload to the same table `{name}`"),
                    )
                    .source(&self.text.source)
                    .label(first, "first uploaded here")
                    .label(self.span(&spec.name), "and again here")
                    .help("each upload replaces the table's data; give each table its own name");
                    self.problems.push(problem);
                } else {
                    seen.insert(name.to_lowercase(), &spec.name);
                }
            }
            let Some((relative, path)) = self.locate(&spec.source) else {
                continue;
            };
            let allow_column_removal = spec
                .allow_column_removal
                .as_ref()
                .is_some_and(|allow| allow.value);
            let prevent_destroy = spec.prevent_destroy.as_ref().is_some_and(|p| p.value);
            located.push((
                key,
                name,
                &spec.source,
                relative,
                path,
                (allow_column_removal, prevent_destroy),
            ));
        }
        let jobs: Vec<_> = located.iter().map(|l| (l.4.clone(), As::Csv)).collect();
        let digests = self.cache.digest(&jobs);
        for ((key, name, node, relative, path, (allow_column_removal, prevent_destroy)), digest) in
            located.into_iter().zip(digests)
        {
            let digest = match digest {
                Ok((size, sha256, Some(csv))) => Ok((size, sha256, csv)),
                // A CSV read always summarises; a plain-file digest here would be a bug.
                Ok((_, _, None)) => Err(CsvError::Io(std::io::Error::other("no CSV summary"))),
                Err(ReadError::Csv(error)) => Err(error),
                Err(ReadError::Io(error)) => Err(CsvError::Io(error)),
            };
            match digest {
                Ok((size, sha256, csv)) => {
                    if let (Some(key), Some(name)) = (key, name) {
                        out.insert(
                            key.clone(),
                            Table {
                                key,
                                name,
                                source: Source {
                                    relative,
                                    path,
                                    size,
                                    sha256,
                                },
                                csv,
                                allow_column_removal,
                                prevent_destroy,
                            },
                        );
                    }
                }
                Err(error) => {
                    let help = match error {
                        CsvError::Io(_) => "check the file's permissions",
                        _ => "a table source must be UTF-8 CSV whose first row names the columns",
                    };
                    self.error_at(
                        ProblemKind::InvalidCsv,
                        node,
                        format!("table source `{relative}` {error}"),
                        "not a CSV with a header row",
                    )
                    .help = Some(help.into());
                }
            }
        }
        out
    }

    /// Layouts, with the `${table.KEY.id}` / `${dashboard.KEY.id}` they reference checked
    /// against the manifest's `tables` and `dashboards` keys.
    pub(super) fn layouts(
        &mut self,
        layouts: &Entries<manifest::LayoutSpec>,
        tables: &[&str],
        dashboards: &[&str],
    ) -> BTreeMap<Key, Layout> {
        let mut out = BTreeMap::new();
        for (key_node, spec) in layouts.iter() {
            let key = self.key(key_node, "layout");
            let Some((relative, path)) = self.locate(&spec.source) else {
                continue;
            };
            let bytes = match source::read_small(&path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    self.source_error(&spec.source, &relative, error, "cannot be read");
                    continue;
                }
            };
            let size = bytes.len() as u64;
            let sha256 = source::hex(&Sha256::digest(&bytes));
            let Ok(text) = String::from_utf8(bytes) else {
                self.error_at(
                    ProblemKind::InvalidLayout,
                    &spec.source,
                    format!("layout `{relative}` is not valid UTF-8"),
                    "not UTF-8 JSON",
                );
                continue;
            };
            let shown = self.shown_dir.join(&relative).display().to_string();
            let layout_source: SourceText = Arc::new(NamedSource::new(shown, text.clone()));
            if !self.layout_json(&key_node.value, &relative, &layout_source) {
                continue;
            }
            let references = self.layout_references(&relative, &layout_source, tables, dashboards);
            if let Some(key) = key {
                out.insert(
                    key.clone(),
                    Layout {
                        key,
                        source: Source {
                            relative,
                            path,
                            size,
                            sha256,
                        },
                        text,
                        references,
                    },
                );
            }
        }
        out
    }

    /// Whether the layout is JSON; an error at the place it stops being JSON otherwise.
    fn layout_json(&mut self, key: &str, relative: &str, layout_source: &SourceText) -> bool {
        let text = layout_source.inner();
        let Err(error) = serde_json::from_str::<serde_json::Value>(text) else {
            return true;
        };
        let layout_text = Text {
            name: relative.to_string(),
            source: layout_source.clone(),
        };
        let at = layout_text.offset(error.line() as u64, error.column() as u64);
        let message = error.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        let problem = Problem::error(
            ProblemKind::InvalidLayout,
            format!("layout `{relative}` is not valid JSON: {message}"),
        )
        .source(layout_source)
        .label(SourceSpan::new(at.saturating_sub(1).into(), 1), "here")
        .help(format!(
            "layout `{key}` is defined in the manifest; export it again from Datagrok"
        ));
        self.problems.push(problem);
        false
    }

    /// The addresses a layout's templates reference (sorted, deduplicated); malformed
    /// templates and unknown keys are errors inside the layout file.
    fn layout_references(
        &mut self,
        relative: &str,
        layout_source: &SourceText,
        tables: &[&str],
        dashboards: &[&str],
    ) -> Vec<crate::address::Address> {
        let text = layout_source.inner();
        for (start, end, inner) in malformed_templates(text) {
            let problem = Problem::error(
                ProblemKind::MalformedReference,
                format!("layout `{relative}` holds a malformed reference `${{{inner}}}`"),
            )
            .source(layout_source)
            .label(SourceSpan::new(start.into(), end - start), "not `${table.KEY.id}` or `${dashboard.KEY.id}`")
            .help("references in layouts are `${table.KEY.id}` or `${dashboard.KEY.id}`; variables do not expand in layout files");
            self.problems.push(problem);
        }
        let mut references = BTreeSet::new();
        for reference in template::references(text) {
            let known = match reference.address.kind {
                Kind::Table => tables,
                _ => dashboards,
            };
            if known.contains(&reference.address.key.as_str()) {
                references.insert(reference.address);
            } else {
                let hint = did_you_mean(&reference.address.key, known.iter().copied());
                let problem = Problem::error(
                    ProblemKind::UnknownReference,
                    format!(
                        "layout `{relative}` references unknown `{}`",
                        reference.address
                    ),
                )
                .source(layout_source)
                .label(
                    SourceSpan::new(reference.start.into(), reference.end - reference.start),
                    format!(
                        "no {} `{}` in the manifest",
                        reference.address.kind, reference.address.key
                    ),
                )
                .maybe_help(hint);
                self.problems.push(problem);
            }
        }
        references.into_iter().collect()
    }
}
