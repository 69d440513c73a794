//! `Model::load` / `Model::resolve`: from the parsed manifest to the validated model. Every
//! check runs even after a failure so one run reports **all** problems, each labelled at the
//! YAML node (or the layout JSON position) it is about.
//!
//! This file is the driver: it holds the resolver's shared state and decides the order of the
//! passes. Each pass lives in a file of its own: `scalars` (keys, variables, names, the
//! server and state settings), `sources` (files, tables and layouts read from disk),
//! `references` (dashboards and shares, which name other entries), `calls` (function calls,
//! whose params and `depends_on` reference anything) and `warnings`.

mod adopt;
mod calls;
mod lifecycle;
mod references;
mod scalars;
mod sources;
mod warnings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::SourceSpan;
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};

use super::stat_cache::{self, SourceStats, StatCache};
use super::{Model, StateBackend, source};
use crate::address::Address;
use crate::graph;
use crate::manifest::problem::{SourceText, into_report};
use crate::manifest::{self, Manifest, Problem, ProblemKind, Text};

/// A resolved model and the warnings found on the way (errors make `load` fail instead).
#[derive(Debug)]
pub struct Resolved {
    pub model: Model,
    pub warnings: Vec<miette::Report>,
    /// How many sources were read and how many came from the stat cache.
    pub sources: SourceStats,
}

/// Whether sources go through the stat cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cache {
    /// Every source is read; nothing is written.
    Off,
    /// The environment's cache; `refresh` reads every source anyway (and rewrites it).
    On { refresh: bool },
}

impl Model {
    /// Reads, parses and resolves the manifest at `manifest_path` for environment `env`.
    /// On errors the report renders every problem; warnings come back in `Resolved`.
    pub fn load(manifest_path: &Path, env: Option<&str>) -> Result<Resolved, miette::Report> {
        Model::load_with(manifest_path, env, Cache::Off)
    }

    /// As `load`, with the stat cache of the environment (`.grokform/[<env>/]sources.cache`):
    /// sources whose stat is unchanged are not read; `refresh` reads them all. The cache is
    /// rewritten when anything in it changed; failing to write it is not an error.
    pub fn load_cached(
        manifest_path: &Path,
        env: Option<&str>,
        refresh: bool,
    ) -> Result<Resolved, miette::Report> {
        Model::load_with(manifest_path, env, Cache::On { refresh })
    }

    fn load_with(
        manifest_path: &Path,
        env: Option<&str>,
        cache: Cache,
    ) -> Result<Resolved, miette::Report> {
        let name = manifest_path.display().to_string();
        let text = Text::read(manifest_path, &name).map_err(miette::Report::new)?;
        let manifest = manifest::parse(&text).map_err(miette::Report::new)?;
        Model::resolve_with(&text, &manifest, manifest_path, env, cache)
    }

    /// Resolves a parsed manifest; `manifest_path` locates sources (relative to its folder).
    pub fn resolve(
        text: &Text,
        manifest: &Manifest,
        manifest_path: &Path,
        env: Option<&str>,
    ) -> Result<Resolved, miette::Report> {
        Model::resolve_with(text, manifest, manifest_path, env, Cache::Off)
    }

    fn resolve_with(
        text: &Text,
        manifest: &Manifest,
        manifest_path: &Path,
        env: Option<&str>,
        cache: Cache,
    ) -> Result<Resolved, miette::Report> {
        let shown_dir = manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let absolute = std::path::absolute(manifest_path).unwrap_or(manifest_path.into());
        let root = absolute
            .parent()
            .and_then(crate::model::source::canonical_dir)
            .unwrap_or_else(|| absolute.parent().map(Path::to_path_buf).unwrap_or_default());
        let cache = match cache {
            Cache::On { refresh } => match cache_path(&root, env) {
                Some(path) => StatCache::open(path, refresh),
                None => StatCache::disabled(),
            },
            Cache::Off => StatCache::disabled(),
        };
        let mut resolver = Resolver {
            text,
            cache,
            locator: Default::default(),
            root: root.clone(),
            shown_dir,
            vars: BTreeMap::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            edges: BTreeMap::new(),
        };
        let model = resolver.run(manifest, absolute, env);
        // Entries read this run are right even when the manifest has errors; a cache that
        // cannot be written only makes the next run read again.
        let _ = resolver.cache.save();
        let sources = resolver.cache.stats();
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
            Ok(Resolved {
                model,
                warnings,
                sources,
            })
        } else {
            Err(into_report(&text.name, resolver.problems))
        }
    }
}

/// Where a dependency edge was written, for labelling a cycle through it.
type Edge = (SourceText, SourceSpan, String);

/// `.grokform/[<env>/]sources.cache` under the manifest's folder; none for an environment
/// name that is no plain folder name (the resolver reports it).
fn cache_path(root: &Path, env: Option<&str>) -> Option<PathBuf> {
    let mut dir = root.join(".grokform");
    if let Some(env) = env {
        let plain = !env.is_empty()
            && !env.starts_with('.')
            && env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            return None;
        }
        dir.push(env);
    }
    Some(dir.join(stat_cache::FILE_NAME))
}

struct Resolver<'a> {
    text: &'a Text,
    /// Digests of sources, from the stat cache when their stat is unchanged.
    cache: StatCache,
    /// Canonical folders of sources, so each is resolved once.
    locator: crate::model::locator::Locator,
    /// The manifest's folder, canonical.
    root: PathBuf,
    /// The manifest's folder as the user named it (for display).
    shown_dir: PathBuf,
    vars: BTreeMap<String, String>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    edges: BTreeMap<(Address, Address), Edge>,
}

impl Resolver<'_> {
    fn span<T>(&self, node: &Spanned<T>) -> SourceSpan {
        self.text.span(node)
    }

    /// An error labelled at `span` of the manifest.
    fn error_at_span(
        &mut self,
        kind: ProblemKind,
        span: SourceSpan,
        message: String,
        label: &str,
    ) -> &mut Problem {
        let problem = Problem::error(kind, message)
            .source(&self.text.source)
            .label(span, label);
        self.problems.push(problem);
        self.problems.last_mut().expect("just pushed")
    }

    /// An error labelled at `node` of the manifest.
    fn error_at<T>(
        &mut self,
        kind: ProblemKind,
        node: &Spanned<T>,
        message: String,
        label: &str,
    ) -> &mut Problem {
        self.error_at_span(kind, self.span(node), message, label)
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

    /// Where an edge of the dependency graph was written, for a cycle report.
    fn edge(&mut self, from: Address, to: Address, span: SourceSpan, label: String) {
        self.edges
            .insert((from, to), (self.text.source.clone(), span, label));
    }

    fn run(&mut self, m: &Manifest, manifest_path: PathBuf, env: Option<&str>) -> Model {
        if m.version.value != 1 {
            self.error_at(
                ProblemKind::Version,
                &m.version,
                format!("unsupported manifest version `{}`", m.version.value),
                "this grokform reads version 1",
            )
            .help = Some("set `version: 1`".into());
        }
        for (key, _) in m.environments.iter() {
            self.key(key, "environment");
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

        let mut model = Model {
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
            adoption: Default::default(),
            lifecycle: self.lifecycle(m.lifecycle.as_ref()),
        };
        model.adoption = self.adoption(m, &model);
        if let Err(cycle) = graph::order(&model.dependencies()) {
            self.cycle(&cycle);
        }
        model
    }

    fn cycle(&mut self, cycle: &graph::Cycle) {
        let mut problem = Problem::error(ProblemKind::Cycle, format!("dependency cycle: {cycle}"))
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
