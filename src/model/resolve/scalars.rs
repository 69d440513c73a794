//! Single values of the manifest: keys, variables and their expansion, Grok names, remote
//! paths, the server and the state settings, and the small enums (`access`, `run`). Each is
//! parsed into its validated type here, once, with an error at its node when it is not one.

use serde_saphyr::Spanned;

use super::Resolver;
use crate::grok_name::{GROK_NAME_RULE, GrokName, GrokNameProblem};
use crate::key::{KEY_RULE, Key, KeyProblem};
use crate::manifest::problem::did_you_mean;
use crate::manifest::{self, Manifest, Problem, ProblemKind, StateConfig};
use crate::model::scan::expand_vars;
use crate::model::{Access, RunPolicy, StateBackend};
use crate::remote_path::{REMOTE_PATH_RULE, RemotePath};
use crate::server_url::{ServerUrl, ServerUrlProblem};
use crate::validated::{shown_char, shown_text};

impl Resolver<'_> {
    /// `node` as a key of a `what` entry, or an error at the character that is not allowed.
    pub(super) fn key(&mut self, node: &Spanned<String>, what: &str) -> Option<Key> {
        let error = match Key::parse(&node.value) {
            Ok(key) => return Some(key),
            Err(error) => error,
        };
        let (message, span, label) = match error.problem.range() {
            None => (
                format!("{what} key is empty"),
                self.span(node),
                "empty".into(),
            ),
            Some((start, end)) => (
                format!(
                    "{what} key `{}` is not an identifier",
                    shown_text(&node.value)
                ),
                self.sub_span(node, start, end),
                match error.problem {
                    KeyProblem::Char { found, .. } => {
                        format!("{} is not allowed in a key", shown_char(found))
                    }
                    problem => problem.to_string(),
                },
            ),
        };
        self.error_at_span(ProblemKind::InvalidKey, span, message, &label)
            .help = Some(KEY_RULE.into());
        None
    }

    /// The environment `name` selected with `--env`; an error listing the known ones if absent.
    pub(super) fn environment<'m>(
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
            ProblemKind::UnknownEnvironment,
            format!("unknown environment `{}`", shown_text(name)),
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

    /// The top-level `vars`, then the selected environment's, which replace them.
    pub(super) fn collect_vars(
        &mut self,
        m: &Manifest,
        environment: Option<&manifest::Environment>,
    ) {
        let overrides = environment.map(|e| &e.vars);
        for entries in [Some(&m.vars), overrides].into_iter().flatten() {
            for (key, value) in entries.iter() {
                if self.key(key, "variable").is_some() {
                    self.vars.insert(key.value.clone(), value.value.clone());
                }
            }
        }
    }

    /// `${var.NAME}` expanded in `node`; unknown variables are errors at the node.
    pub(super) fn expand(&mut self, node: &Spanned<String>) -> String {
        let (out, unknown) = expand_vars(&node.value, &self.vars);
        for (name, start, end) in unknown {
            let span = self.sub_span(node, start, end);
            let hint = did_you_mean(&name, self.vars.keys().map(String::as_str));
            let problem = Problem::error(
                ProblemKind::UnknownReference,
                format!("unknown variable `{name}`"),
            )
            .source(&self.text.source)
            .label(span, "not defined in `vars`")
            .maybe_help(hint.or_else(|| {
                Some(if self.vars.is_empty() {
                    "define it under `vars:`".to_string()
                } else {
                    let names: Vec<String> = self.vars.keys().map(|k| format!("`{k}`")).collect();
                    format!("defined variables: {}", names.join(", "))
                })
            }));
            self.problems.push(problem);
        }
        out
    }

    /// `server:` as a `ServerUrl`; one that does not end with `/api` is a warning.
    pub(super) fn server(&mut self, node: &Spanned<String>) -> Option<ServerUrl> {
        let text = self.expand(node);
        let error = match ServerUrl::parse(&text) {
            Ok(server) => {
                self.server_warning(node, &server);
                return Some(server);
            }
            Err(error) => error,
        };
        let (message, label, help) = match error.problem {
            ServerUrlProblem::Credentials | ServerUrlProblem::QueryOrFragment => (
                format!("server `{}`: {}", error.url, error.problem),
                "not a base URL",
                "write only the API base, e.g. `https://datagrok.example.com/api`; the key comes from `DATAGROK_API_KEY`",
            ),
            _ => (
                format!("server `{}` is not an `http(s)://` URL", error.url),
                "expected a URL or `local`",
                "use e.g. `https://datagrok.example.com/api`, or `local` for the built-in emulator",
            ),
        };
        self.error_at(ProblemKind::InvalidServer, node, message, label)
            .help = Some(help.into());
        None
    }

    /// `state:`: where the state of this manifest lives.
    pub(super) fn state(&mut self, node: &Spanned<StateConfig>) -> StateBackend {
        let config = &node.value;
        match config.backend.value.as_str() {
            "local" => {
                for extra in [&config.connector, &config.path].into_iter().flatten() {
                    self.error_at(
                        ProblemKind::InvalidState,
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
                        ProblemKind::InvalidState,
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
                self.grok_name(connector, &connector_value, "connector");
                let path_value = self.expand(path);
                self.remote_path(path, &path_value);
                StateBackend::Datagrok {
                    connector: connector_value,
                    path: path_value,
                }
            }
            other => {
                let hint = did_you_mean(other, ["local", "datagrok"]);
                self.error_at(
                    ProblemKind::InvalidState,
                    &config.backend,
                    format!("unknown state backend `{}`", shown_text(other)),
                    "expected `local` or `datagrok`",
                )
                .help = hint;
                StateBackend::Local
            }
        }
    }

    /// `value` (expanded from `node`) as the Grok name of a `what`. A connector's UUID is a
    /// one-part Grok name too.
    pub(super) fn grok_name(
        &mut self,
        node: &Spanned<String>,
        value: &str,
        what: &str,
    ) -> Option<GrokName> {
        self.grok_name_with_help(node, value, what, GROK_NAME_RULE)
    }

    /// `grok_name` with a help line of the caller's (a dashboard's name reads as free text, so
    /// its help explains why the Grok-name rules apply).
    pub(super) fn grok_name_with_help(
        &mut self,
        node: &Spanned<String>,
        value: &str,
        what: &str,
        help: &str,
    ) -> Option<GrokName> {
        let error = match GrokName::parse(value) {
            Ok(name) => return Some(name),
            Err(error) => error,
        };
        if value.contains("${var.") {
            return None; // the unknown variable is already reported
        }
        let message = match error.problem {
            GrokNameProblem::Empty => format!("{what} is empty"),
            problem => format!("{what} `{}` {problem}", shown_text(value)),
        };
        self.error_at(ProblemKind::InvalidName, node, message, "invalid Grok name")
            .help = Some(help.into());
        None
    }

    /// `value` (expanded from `node`) as a path inside a connector.
    pub(super) fn remote_path(
        &mut self,
        node: &Spanned<String>,
        value: &str,
    ) -> Option<RemotePath> {
        let error = match RemotePath::parse(value) {
            Ok(path) => return Some(path),
            Err(error) => error,
        };
        if value.contains("${var.") {
            return None; // the unknown variable is already reported
        }
        self.error_at(
            ProblemKind::InvalidPath,
            node,
            format!("remote path `{}` {}", shown_text(value), error.problem),
            "invalid remote path",
        )
        .help = Some(REMOTE_PATH_RULE.into());
        None
    }

    /// A share's `access:` (default `View`).
    pub(super) fn access(&mut self, node: Option<&Spanned<String>>) -> Access {
        let Some(node) = node else {
            return Access::View;
        };
        match node.value.as_str() {
            "View" => Access::View,
            "Edit" => Access::Edit,
            other => {
                let hint = did_you_mean(other, ["View", "Edit"])
                    .unwrap_or_else(|| "use `View` or `Edit`".into());
                self.error_at(
                    ProblemKind::InvalidAccess,
                    node,
                    format!("unknown share access `{}`", shown_text(other)),
                    "expected `View` or `Edit`",
                )
                .help = Some(hint);
                Access::View
            }
        }
    }

    /// A call's `run:` (default `on-change`).
    pub(super) fn run_policy(&mut self, node: Option<&Spanned<String>>) -> RunPolicy {
        let Some(node) = node else {
            return RunPolicy::OnChange;
        };
        match node.value.as_str() {
            "on-change" => RunPolicy::OnChange,
            "always" => RunPolicy::Always,
            other => {
                let hint = did_you_mean(other, ["on-change", "always"])
                    .unwrap_or_else(|| "use `on-change` or `always`".into());
                self.error_at(
                    ProblemKind::InvalidRun,
                    node,
                    format!("unknown run policy `{}`", shown_text(other)),
                    "expected `on-change` or `always`",
                )
                .help = Some(hint);
                RunPolicy::OnChange
            }
        }
    }
}
