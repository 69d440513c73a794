//! `Model::load` / `Model::resolve`: from the parsed manifest to the validated model. Every
//! check runs even after a failure so one run reports **all** problems, each labelled at the
//! YAML node (or the layout JSON position) it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};

use super::names::{grok_name_problem, is_key, remote_path_problem};
use super::scan::{collect_strings, expand_json, expand_vars, layout_columns, malformed_templates};
use super::source::{self, CsvError, SourceError};
use super::{
    Access, Call, Dashboard, File, Layout, Model, RunPolicy, Share, Source, StateBackend, Table,
    template,
};
use crate::address::{Address, Kind};
use crate::graph;
use crate::manifest::problem::{SourceText, did_you_mean, into_report};
use crate::manifest::{self, Entries, Manifest, Problem, StateConfig, Text};

/// A resolved model and the warnings found on the way (errors make `load` fail instead).
#[derive(Debug)]
pub struct Resolved {
    pub model: Model,
    pub warnings: Vec<miette::Report>,
}

const UNKNOWN_REFERENCE: &str = "grokform::manifest::unknown_reference";
const INVALID_NAME: &str = "grokform::manifest::invalid_name";
const INVALID_SOURCE: &str = "grokform::manifest::invalid_source";
const DUPLICATE: &str = "grokform::manifest::duplicate";

impl Model {
    /// Reads, parses and resolves the manifest at `manifest_path` for environment `env`.
    /// On errors the report renders every problem; warnings come back in `Resolved`.
    pub fn load(manifest_path: &Path, env: Option<&str>) -> Result<Resolved, miette::Report> {
        let name = manifest_path.display().to_string();
        let text = Text::read(manifest_path, &name).map_err(miette::Report::new)?;
        let manifest = manifest::parse(&text).map_err(miette::Report::new)?;
        Model::resolve(&text, &manifest, manifest_path, env)
    }

    /// Resolves a parsed manifest; `manifest_path` locates sources (relative to its folder).
    pub fn resolve(
        text: &Text,
        manifest: &Manifest,
        manifest_path: &Path,
        env: Option<&str>,
    ) -> Result<Resolved, miette::Report> {
        let shown_dir = manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let absolute = std::path::absolute(manifest_path).unwrap_or(manifest_path.into());
        let root = absolute
            .parent()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .unwrap_or_else(|| absolute.parent().map(Path::to_path_buf).unwrap_or_default());
        let mut resolver = Resolver {
            text,
            root: root.clone(),
            shown_dir,
            vars: BTreeMap::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            edges: BTreeMap::new(),
        };
        let model = resolver.run(manifest, absolute, env);
        if !resolver.problems.is_empty() {
            // A failing run still shows its warnings, after the errors, in one report.
            let warnings = std::mem::take(&mut resolver.warnings);
            resolver.problems.extend(warnings);
        }
        let warnings: Vec<miette::Report> = resolver
            .warnings
            .into_iter()
            .map(miette::Report::new)
            .collect();
        if resolver.problems.is_empty() {
            Ok(Resolved { model, warnings })
        } else {
            Err(into_report(&text.name, resolver.problems))
        }
    }
}

struct Resolver<'a> {
    text: &'a Text,
    /// The manifest's folder, canonical.
    root: PathBuf,
    /// The manifest's folder as the user named it (for display).
    shown_dir: PathBuf,
    vars: BTreeMap<String, String>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Where each dependency edge was written, for labelling cycles.
    edges: BTreeMap<(Address, Address), (SourceText, SourceSpan, String)>,
}

impl Resolver<'_> {
    fn span<T>(&self, node: &Spanned<T>) -> SourceSpan {
        self.text.span(node)
    }

    /// An error labelled at `node` of the manifest.
    fn error_at<T>(
        &mut self,
        code: &'static str,
        node: &Spanned<T>,
        message: String,
        label: &str,
    ) -> &mut Problem {
        let problem = Problem::error(code, message)
            .source(&self.text.source)
            .label(self.span(node), label);
        self.problems.push(problem);
        self.problems.last_mut().expect("just pushed")
    }

    fn run(&mut self, m: &Manifest, manifest_path: PathBuf, env: Option<&str>) -> Model {
        if m.version.value != 1 {
            self.error_at(
                "grokform::manifest::version",
                &m.version,
                format!("unsupported manifest version `{}`", m.version.value),
                "this grokform reads version 1",
            )
            .help = Some("set `version: 1`".into());
        }
        for (key, _) in m.environments.iter() {
            self.check_key(key, "environment");
        }
        let environment = env.and_then(|name| self.environment(m, name));
        self.collect_vars(m, environment);

        let server = environment
            .and_then(|e| e.server.as_ref())
            .or(m.server.as_ref())
            .and_then(|s| self.server(s));
        let own_state = environment.and_then(|e| e.state.as_ref());
        let state = own_state
            .or(m.state.as_ref())
            .map_or(StateBackend::Local, |s| self.state(s));
        // An environment that inherits the top-level remote state gets its own file in an
        // `<env>/` folder beside it (as local state does), so two environments never share a
        // state; an environment that sets its own `state:` gets exactly that path.
        let state = match (env, own_state, state) {
            (Some(name), None, StateBackend::Datagrok { connector, path }) => {
                let path = path.trim_start_matches('/');
                let path = match path.rsplit_once('/') {
                    Some((dir, file)) => format!("{dir}/{name}/{file}"),
                    None => format!("{name}/{path}"),
                };
                StateBackend::Datagrok { connector, path }
            }
            (_, _, state) => state,
        };

        let files = self.files(&m.files);
        let tables = self.tables(&m.tables);
        let table_keys: Vec<&str> = m.tables.iter().map(|(k, _)| k.value.as_str()).collect();
        let dashboard_keys: Vec<&str> =
            m.dashboards.iter().map(|(k, _)| k.value.as_str()).collect();
        let layouts = self.layouts(&m.layouts, &table_keys, &dashboard_keys);
        let dashboards = self.dashboards(&m.dashboards, &m.layouts, &table_keys, &layouts);
        let shares = self.shares(m, &dashboard_keys);
        let calls = self.calls(m, &shares);
        self.layout_warnings(m, &tables, &layouts);

        let model = Model {
            manifest_path,
            root: self.root.clone(),
            manifest_sha256: source::hex(&Sha256::digest(self.text.text().as_bytes())),
            environment: env.filter(|_| environment.is_some()).map(str::to_string),
            server,
            state,
            files,
            tables,
            layouts,
            dashboards,
            shares,
            calls,
        };
        if let Err(cycle) = graph::order(&model.dependencies()) {
            self.cycle(&cycle);
        }
        model
    }

    fn check_key(&mut self, key: &Spanned<String>, what: &str) -> bool {
        if is_key(&key.value) {
            return true;
        }
        self.error_at(
            "grokform::manifest::invalid_key",
            key,
            format!("{what} key `{}` is not an identifier", key.value),
            "only letters, digits, `_` and `-`",
        )
        .help = Some("keys become addresses like `table.KEY`, so they cannot hold `.`, spaces or other symbols".into());
        false
    }

    fn environment<'m>(
        &mut self,
        m: &'m Manifest,
        name: &str,
    ) -> Option<&'m manifest::Environment> {
        if let Some((_, environment)) = m.environments.get(name) {
            return Some(environment);
        }
        let known: Vec<&str> = m
            .environments
            .iter()
            .map(|(k, _)| k.value.as_str())
            .collect();
        let mut problem = Problem::error(
            "grokform::manifest::unknown_environment",
            format!("unknown environment `{name}`"),
        );
        if known.is_empty() {
            problem = problem.help("the manifest defines no `environments`; drop `--env`");
        } else {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            let hint = did_you_mean(name, known.iter().copied())
                .map_or(String::new(), |h| format!("{h} "));
            problem = problem.help(format!("{hint}known environments: {}", list.join(", ")));
            if let Some((key, _)) = m.environments.iter().next() {
                problem = problem
                    .source(&self.text.source)
                    .label(self.span(key), "environments are defined here");
            }
        }
        self.problems.push(problem);
        None
    }

    fn collect_vars(&mut self, m: &Manifest, environment: Option<&manifest::Environment>) {
        let overrides = environment.map(|e| &e.vars);
        for entries in [Some(&m.vars), overrides].into_iter().flatten() {
            for (key, value) in entries.iter() {
                if self.check_key(key, "variable") {
                    self.vars.insert(key.value.clone(), value.value.clone());
                }
            }
        }
    }

    /// `${var.NAME}` expanded in `node`; unknown variables are errors at the node.
    fn expand(&mut self, node: &Spanned<String>) -> String {
        let (out, unknown) = expand_vars(&node.value, &self.vars);
        for (name, start, end) in unknown {
            let span = self.sub_span(node, start, end);
            let hint = did_you_mean(&name, self.vars.keys().map(String::as_str));
            let problem = Problem::error(UNKNOWN_REFERENCE, format!("unknown variable `{name}`"))
                .source(&self.text.source)
                .label(span, "not defined in `vars`")
                .maybe_help(hint.or_else(|| {
                    Some(if self.vars.is_empty() {
                        "define it under `vars:`".to_string()
                    } else {
                        let names: Vec<String> =
                            self.vars.keys().map(|k| format!("`{k}`")).collect();
                        format!("defined variables: {}", names.join(", "))
                    })
                }));
            self.problems.push(problem);
        }
        out
    }

    /// The span of `value[start..end]` when the node is written as-is (plain scalar), else
    /// the span of the node.
    fn sub_span(&self, node: &Spanned<String>, start: usize, end: usize) -> SourceSpan {
        let span = self.span(node);
        let text = self.text.text();
        let written = &text[span.offset()..span.offset() + span.len()];
        if let Some(i) = written.find(&node.value) {
            SourceSpan::new((span.offset() + i + start).into(), end - start)
        } else {
            span
        }
    }

    fn server(&mut self, node: &Spanned<String>) -> Option<String> {
        let server = self.expand(node);
        if server == "local" {
            return Some(server);
        }
        match reqwest::Url::parse(&server) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                if !url.path().trim_end_matches('/').ends_with("/api") {
                    self.warnings.push(
                        Problem::warning(
                            "grokform::manifest::server_without_api",
                            format!("server `{server}` does not end with `/api`"),
                        )
                        .source(&self.text.source)
                        .label(self.span(node), "this reaches the web UI, not the API")
                        .help("the API base is the Datagrok URL plus `/api`, e.g. `https://datagrok.example.com/api`"),
                    );
                }
                Some(server)
            }
            _ => {
                self.error_at(
                    "grokform::manifest::invalid_server",
                    node,
                    format!("server `{server}` is not an `http(s)://` URL"),
                    "expected a URL or `local`",
                )
                .help = Some("use e.g. `https://datagrok.example.com/api`, or `local` for the built-in emulator".into());
                None
            }
        }
    }

    fn state(&mut self, node: &Spanned<StateConfig>) -> StateBackend {
        let config = &node.value;
        match config.backend.value.as_str() {
            "local" => {
                for extra in [&config.connector, &config.path].into_iter().flatten() {
                    self.error_at(
                        "grokform::manifest::invalid_state",
                        extra,
                        "the `local` state backend takes no `connector` or `path`".into(),
                        "not used by `backend: local`",
                    );
                }
                StateBackend::Local
            }
            "datagrok" => {
                let (Some(connector), Some(path)) = (&config.connector, &config.path) else {
                    self.error_at(
                        "grokform::manifest::invalid_state",
                        &config.backend,
                        "the `datagrok` state backend needs `connector` and `path`".into(),
                        "missing `connector` or `path`",
                    )
                    .help = Some(
                        "e.g. `connector: System:AppData` and `path: grokform/state.json`".into(),
                    );
                    return StateBackend::Local;
                };
                let connector_value = self.expand(connector);
                self.check_connector(connector, &connector_value);
                let path_value = self.expand(path);
                self.check_remote_path(path, &path_value);
                StateBackend::Datagrok {
                    connector: connector_value,
                    path: path_value,
                }
            }
            other => {
                let hint = did_you_mean(other, ["local", "datagrok"]);
                self.error_at(
                    "grokform::manifest::invalid_state",
                    &config.backend,
                    format!("unknown state backend `{other}`"),
                    "expected `local` or `datagrok`",
                )
                .help = hint;
                StateBackend::Local
            }
        }
    }

    fn check_grok_name(&mut self, node: &Spanned<String>, value: &str, what: &str) -> bool {
        if value.contains("${var.") {
            return false; // the unknown variable is already reported
        }
        let Some(why) = grok_name_problem(value) else {
            return true;
        };
        self.error_at(
            INVALID_NAME,
            node,
            format!("{what} `{value}` {why}"),
            "invalid Grok name",
        )
        .help = Some("Grok names are `:`-separated parts, e.g. `Admin:Sales:Orders`".into());
        false
    }

    fn check_connector(&mut self, node: &Spanned<String>, value: &str) -> bool {
        uuid::Uuid::parse_str(value).is_ok() || self.check_grok_name(node, value, "connector")
    }

    fn check_remote_path(&mut self, node: &Spanned<String>, value: &str) -> bool {
        if value.contains("${var.") {
            return false; // the unknown variable is already reported
        }
        let Some(why) = remote_path_problem(value) else {
            return true;
        };
        self.error_at(
            "grokform::manifest::invalid_path",
            node,
            format!("remote path `{value}` {why}"),
            "invalid remote path",
        )
        .help =
            Some("write a relative path inside the connector, e.g. `sales/raw/orders.csv`".into());
        false
    }

    /// Locates a source; problems are errors at the `source:` node.
    fn locate(&mut self, node: &Spanned<String>) -> Option<(String, PathBuf)> {
        let relative = self.expand(node).replace('\\', "/");
        match source::locate(&self.root, &relative) {
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
                self.error_at(INVALID_SOURCE, node, error.to_string(), label)
                    .help = Some(help);
                None
            }
        }
    }

    fn shown(&self) -> String {
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
            INVALID_SOURCE,
            node,
            format!("cannot read source `{relative}`: {error}"),
            label,
        );
    }

    fn files(&mut self, files: &Entries<manifest::FileSpec>) -> BTreeMap<String, File> {
        let mut out = BTreeMap::new();
        let mut seen: BTreeMap<(String, String), &Spanned<String>> = BTreeMap::new();
        for (key, spec) in files.iter() {
            let key_ok = self.check_key(key, "file");
            let connector = self.expand(&spec.connector);
            let connector_ok = self.check_connector(&spec.connector, &connector);
            let path = self.expand(&spec.path);
            let path_ok = self.check_remote_path(&spec.path, &path);
            if connector_ok && path_ok {
                let id = (connector.to_lowercase(), path.clone());
                if let Some(first) = seen.get(&id) {
                    let first = self.span(*first);
                    let problem = Problem::error(
                        DUPLICATE,
                        format!("two files write `{connector}` `{path}`"),
                    )
                    .source(&self.text.source)
                    .label(first, "first written here")
                    .label(self.span(key), "and again here")
                    .help("each remote file may be managed by one entry; remove or rename one");
                    self.problems.push(problem);
                } else {
                    seen.insert(id, key);
                }
            }
            let Some((relative, path_buf)) = self.locate(&spec.source) else {
                continue;
            };
            let (size, sha256) = match source::hash_file(&path_buf) {
                Ok(hashed) => hashed,
                Err(error) => {
                    self.source_error(&spec.source, &relative, error, "cannot be read");
                    continue;
                }
            };
            if key_ok {
                out.insert(
                    key.value.clone(),
                    File {
                        key: key.value.clone(),
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

    fn tables(&mut self, tables: &Entries<manifest::TableSpec>) -> BTreeMap<String, Table> {
        let mut out = BTreeMap::new();
        let mut seen: BTreeMap<String, &Spanned<String>> = BTreeMap::new();
        for (key, spec) in tables.iter() {
            let key_ok = self.check_key(key, "table");
            let name = self.expand(&spec.name);
            if self.check_grok_name(&spec.name, &name, "table name") {
                if let Some(first) = seen.get(&name.to_lowercase()) {
                    let first = self.span(*first);
                    let problem = Problem::error(
                        DUPLICATE,
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
            match source::hash_csv(&path) {
                Ok((size, sha256, csv)) => {
                    if key_ok {
                        out.insert(
                            key.value.clone(),
                            Table {
                                key: key.value.clone(),
                                name,
                                source: Source {
                                    relative,
                                    path,
                                    size,
                                    sha256,
                                },
                                csv,
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
                        "grokform::manifest::invalid_csv",
                        &spec.source,
                        format!("table source `{relative}` {error}"),
                        "not a CSV with a header row",
                    )
                    .help = Some(help.into());
                }
            }
        }
        out
    }

    fn layouts(
        &mut self,
        layouts: &Entries<manifest::LayoutSpec>,
        tables: &[&str],
        dashboards: &[&str],
    ) -> BTreeMap<String, Layout> {
        let mut out = BTreeMap::new();
        for (key, spec) in layouts.iter() {
            let key_ok = self.check_key(key, "layout");
            let Some((relative, path)) = self.locate(&spec.source) else {
                continue;
            };
            let bytes = match std::fs::read(&path) {
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
                    "grokform::manifest::invalid_layout",
                    &spec.source,
                    format!("layout `{relative}` is not valid UTF-8"),
                    "not UTF-8 JSON",
                );
                continue;
            };
            let shown = self.shown_dir.join(&relative).display().to_string();
            let layout_source: SourceText = Arc::new(NamedSource::new(shown, text.clone()));
            let layout_text = Text {
                name: relative.clone(),
                source: layout_source.clone(),
            };
            if let Err(error) = serde_json::from_str::<serde_json::Value>(&text) {
                let at = layout_text.offset(error.line() as u64, error.column() as u64);
                let message = error.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                let problem = Problem::error(
                    "grokform::manifest::invalid_layout",
                    format!("layout `{relative}` is not valid JSON: {message}"),
                )
                .source(&layout_source)
                .label(SourceSpan::new(at.saturating_sub(1).into(), 1), "here")
                .help(format!(
                    "layout `{}` is defined in the manifest; export it again from Datagrok",
                    key.value
                ));
                self.problems.push(problem);
                continue;
            }
            for (start, end, inner) in malformed_templates(&text) {
                let problem = Problem::error(
                    "grokform::manifest::malformed_reference",
                    format!("layout `{relative}` holds a malformed reference `${{{inner}}}`"),
                )
                .source(&layout_source)
                .label(SourceSpan::new(start.into(), end - start), "not `${table.KEY.id}` or `${dashboard.KEY.id}`")
                .help("references in layouts are `${table.KEY.id}` or `${dashboard.KEY.id}`; variables do not expand in layout files");
                self.problems.push(problem);
            }
            let mut references = BTreeSet::new();
            for reference in template::references(&text) {
                let known = match reference.address.kind {
                    Kind::Table => tables,
                    _ => dashboards,
                };
                if known.contains(&reference.address.key.as_str()) {
                    references.insert(reference.address);
                } else {
                    let hint = did_you_mean(&reference.address.key, known.iter().copied());
                    let problem = Problem::error(
                        UNKNOWN_REFERENCE,
                        format!(
                            "layout `{relative}` references unknown `{}`",
                            reference.address
                        ),
                    )
                    .source(&layout_source)
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
            if key_ok {
                out.insert(
                    key.value.clone(),
                    Layout {
                        key: key.value.clone(),
                        source: Source {
                            relative,
                            path,
                            size,
                            sha256,
                        },
                        text,
                        references: references.into_iter().collect(),
                    },
                );
            }
        }
        out
    }

    /// An unknown-reference error at `node` with a did-you-mean among `known`.
    fn unknown(&mut self, node: &Spanned<String>, kind: &str, section: &str, known: &[&str]) {
        let hint = did_you_mean(&node.value, known.iter().copied()).or_else(|| {
            Some(if known.is_empty() {
                format!("the manifest has no `{section}`")
            } else {
                let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                format!("known {section}: {}", list.join(", "))
            })
        });
        self.error_at(
            UNKNOWN_REFERENCE,
            node,
            format!("unknown {kind} `{}`", node.value),
            &format!("not a key of `{section}`"),
        )
        .help = hint;
    }

    fn dashboards(
        &mut self,
        dashboards: &Entries<manifest::DashboardSpec>,
        layout_specs: &Entries<manifest::LayoutSpec>,
        tables: &[&str],
        layouts: &BTreeMap<String, Layout>,
    ) -> BTreeMap<String, Dashboard> {
        let layout_keys: Vec<&str> = layout_specs.iter().map(|(k, _)| k.value.as_str()).collect();
        let mut out = BTreeMap::new();
        for (key, spec) in dashboards.iter() {
            let key_ok = self.check_key(key, "dashboard");
            let name = match &spec.name {
                Some(name) => self.expand(name),
                None => key.value.clone(),
            };
            if name.trim().is_empty() {
                let node = spec.name.as_ref().expect("a key is never empty");
                self.error_at(
                    INVALID_NAME,
                    node,
                    "dashboard name is empty".into(),
                    "empty",
                );
            }
            if spec.tables.value.is_empty() {
                self.error_at(
                    "grokform::manifest::no_tables",
                    &spec.tables,
                    format!("dashboard `{}` holds no tables", key.value),
                    "empty list",
                )
                .help = Some("a Datagrok dashboard is created from at least one table".into());
            }
            let mut names = Vec::new();
            for table in &spec.tables.value {
                if !tables.contains(&table.value.as_str()) {
                    self.unknown(table, "table", "tables", tables);
                } else if names.contains(&table.value) {
                    self.error_at(
                        DUPLICATE,
                        table,
                        format!("table `{}` is listed twice", table.value),
                        "listed again here",
                    );
                } else {
                    names.push(table.value.clone());
                }
            }
            let layout = spec.layout.as_ref().and_then(|layout| {
                if !layout_keys.contains(&layout.value.as_str()) {
                    self.unknown(layout, "layout", "layouts", &layout_keys);
                    return None;
                }
                if let Some(resolved) = layouts.get(&layout.value) {
                    for reference in &resolved.references {
                        let edge = (Address::dashboard(&key.value), reference.clone());
                        let label =
                            format!("its layout `{}` references `{reference}`", layout.value);
                        self.edges
                            .insert(edge, (self.text.source.clone(), self.span(layout), label));
                    }
                }
                Some(layout.value.clone())
            });
            let mut ignore_changes = Vec::new();
            for entry in spec.ignore_changes.iter().flat_map(|l| &l.value) {
                let ok = matches!(entry.value.as_str(), "layout" | "shares")
                    || entry.value.starts_with('/');
                if ok {
                    ignore_changes.push(entry.value.clone());
                } else {
                    self.error_at(
                        "grokform::manifest::invalid_ignore_changes",
                        entry,
                        format!("unknown `ignore_changes` entry `{}`", entry.value),
                        "expected `layout`, `shares` or a JSON pointer",
                    )
                    .help = Some(
                        "use `layout`, `shares`, or a JSON pointer into the layout starting with `/`".into(),
                    );
                }
            }
            if key_ok {
                out.insert(
                    key.value.clone(),
                    Dashboard {
                        key: key.value.clone(),
                        name,
                        tables: names,
                        layout,
                        ignore_changes,
                    },
                );
            }
        }
        out
    }

    fn shares(&mut self, m: &Manifest, dashboards: &[&str]) -> BTreeMap<(String, String), Share> {
        let mut out = BTreeMap::new();
        let mut seen: BTreeMap<(String, String), SourceSpan> = BTreeMap::new();
        for spec in &m.shares {
            let dashboard_ok = dashboards.contains(&spec.dashboard.value.as_str());
            if !dashboard_ok {
                self.unknown(&spec.dashboard, "dashboard", "dashboards", dashboards);
            }
            let access = match &spec.access {
                None => Access::View,
                Some(node) => match node.value.as_str() {
                    "View" => Access::View,
                    "Edit" => Access::Edit,
                    other => {
                        let hint = did_you_mean(other, ["View", "Edit"])
                            .unwrap_or_else(|| "use `View` or `Edit`".into());
                        self.error_at(
                            "grokform::manifest::invalid_access",
                            node,
                            format!("unknown share access `{other}`"),
                            "expected `View` or `Edit`",
                        )
                        .help = Some(hint);
                        Access::View
                    }
                },
            };
            if spec.groups.value.is_empty() {
                self.error_at(
                    "grokform::manifest::no_groups",
                    &spec.groups,
                    format!("share of `{}` names no groups", spec.dashboard.value),
                    "empty list",
                );
            }
            for group in &spec.groups.value {
                let name = self.expand(group);
                if name.trim().is_empty() {
                    self.error_at(INVALID_NAME, group, "group name is empty".into(), "empty");
                    continue;
                }
                let id = (spec.dashboard.value.clone(), name.clone());
                if let Some(first) = seen.get(&id) {
                    let problem = Problem::error(
                        DUPLICATE,
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
                if dashboard_ok && is_key(&spec.dashboard.value) {
                    out.insert(
                        id,
                        Share {
                            dashboard: spec.dashboard.value.clone(),
                            group: name,
                            access,
                        },
                    );
                }
            }
        }
        out
    }

    fn calls(
        &mut self,
        m: &Manifest,
        shares: &BTreeMap<(String, String), Share>,
    ) -> BTreeMap<String, Call> {
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
        for (key, spec) in m.calls.iter() {
            let key_ok = self.check_key(key, "call");
            let function = self.expand(&spec.function);
            self.check_grok_name(&spec.function, &function, "function");
            let run = match &spec.run {
                None => RunPolicy::OnChange,
                Some(node) => match node.value.as_str() {
                    "on-change" => RunPolicy::OnChange,
                    "always" => RunPolicy::Always,
                    other => {
                        let hint = did_you_mean(other, ["on-change", "always"])
                            .unwrap_or_else(|| "use `on-change` or `always`".into());
                        self.error_at(
                            "grokform::manifest::invalid_run",
                            node,
                            format!("unknown run policy `{other}`"),
                            "expected `on-change` or `always`",
                        )
                        .help = Some(hint);
                        RunPolicy::OnChange
                    }
                },
            };
            let this = Address::call(&key.value);
            let mut depends_on = BTreeSet::new();
            let mut params = serde_json::Map::new();
            if let Some(spec_params) = &spec.params {
                for (name, value) in spec_params.value.0.iter() {
                    let mut value_copy = value.value.clone();
                    let mut strings = Vec::new();
                    expand_json(&mut value_copy, &self.vars, &mut strings);
                    for unknown in strings {
                        let hint = did_you_mean(&unknown, self.vars.keys().map(String::as_str));
                        self.error_at(
                            UNKNOWN_REFERENCE,
                            value,
                            format!("unknown variable `{unknown}` in parameter `{}`", name.value),
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
                                "grokform::manifest::malformed_reference",
                                value,
                                format!(
                                    "parameter `{}` holds a malformed reference `${{{inner}}}`",
                                    name.value
                                ),
                                "not `${table.KEY.id}` or `${dashboard.KEY.id}`",
                            )
                            .help = Some("write `${table.KEY.id}` or `${dashboard.KEY.id}`".into());
                        }
                        for reference in template::references(&text) {
                            if addresses.contains(&reference.address) {
                                self.edges.insert(
                                    (this.clone(), reference.address.clone()),
                                    (
                                        self.text.source.clone(),
                                        self.span(value),
                                        format!("{this} references `{}`", reference.address),
                                    ),
                                );
                                depends_on.insert(reference.address);
                            } else {
                                let hint = did_you_mean(
                                    &reference.address.to_string(),
                                    address_names.iter().map(String::as_str),
                                );
                                self.error_at(
                                    UNKNOWN_REFERENCE,
                                    value,
                                    format!(
                                        "parameter `{}` references unknown `{}`",
                                        name.value, reference.address
                                    ),
                                    "unknown address",
                                )
                                .help = hint;
                            }
                        }
                    }
                    params.insert(name.value.clone(), value_copy);
                }
            }
            for dependency in spec.depends_on.iter().flat_map(|d| d.value.iter()) {
                match dependency.value.parse::<Address>() {
                    Ok(address) if addresses.contains(&address) => {
                        self.edges.insert(
                            (this.clone(), address.clone()),
                            (
                                self.text.source.clone(),
                                self.span(dependency),
                                format!("{this} depends on `{address}`"),
                            ),
                        );
                        depends_on.insert(address);
                    }
                    Ok(address) => {
                        let hint = did_you_mean(
                            &address.to_string(),
                            address_names.iter().map(String::as_str),
                        );
                        self.error_at(
                            UNKNOWN_REFERENCE,
                            dependency,
                            format!("`depends_on` names unknown `{address}`"),
                            "no such resource in the manifest",
                        )
                        .help = hint;
                    }
                    Err(error) => {
                        self.error_at(
                            "grokform::manifest::invalid_address",
                            dependency,
                            error.to_string(),
                            "not an address",
                        );
                    }
                }
            }
            if key_ok {
                out.insert(
                    key.value.clone(),
                    Call {
                        key: key.value.clone(),
                        function,
                        params,
                        run,
                        depends_on: depends_on.into_iter().collect(),
                    },
                );
            }
        }
        out
    }

    /// Unused layouts, and layout columns missing from the CSV headers of their tables.
    fn layout_warnings(
        &mut self,
        m: &Manifest,
        tables: &BTreeMap<String, Table>,
        layouts: &BTreeMap<String, Layout>,
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
                        "grokform::manifest::unused_layout",
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
                            "grokform::manifest::unknown_column",
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

    fn cycle(&mut self, cycle: &graph::Cycle) {
        let mut problem = Problem::error(
            "grokform::manifest::cycle",
            format!("dependency cycle: {cycle}"),
        )
        .help("break the cycle by removing one of these dependencies");
        for pair in cycle.path.windows(2) {
            if let Some((source, span, label)) = self.edges.get(&(pair[0].clone(), pair[1].clone()))
            {
                if problem.source.is_none() {
                    problem = problem.source(source);
                }
                if problem
                    .source
                    .as_ref()
                    .is_some_and(|s| Arc::ptr_eq(s, source))
                {
                    problem = problem.label(*span, label.clone());
                }
            }
        }
        self.problems.push(problem);
    }
}
