//! The validated model: what the manifest means once every reference is resolved, every
//! variable expanded and every local source hashed. Everything after this stage (graph, plan,
//! apply) works on these types only and never sees YAML, so the types are correct by
//! construction: a `Dashboard` names tables that exist, a `Share` names a dashboard that exists.
//!
//! `Model::resolve` (in `resolve/`) builds it from a parsed manifest and reports **all**
//! problems at once as span-carrying diagnostics. Names are held as the validated types
//! (`Key`, `GrokName`, `RemotePath`, `ServerUrl`), parsed once there.

pub mod adopt;
mod csv_scan;
pub mod lifecycle;
mod locator;
mod resolve;
pub(crate) mod scan;
pub mod source;
pub mod stat_cache;
pub mod template;

pub use lifecycle::{Deletion, Lifecycle, OnReplace, SharesMode};
pub use resolve::Resolved;
pub use scan::ColumnUse;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::grok_name::GrokName;
use crate::key::Key;
use crate::remote_path::RemotePath;
use crate::server_url::ServerUrl;

/// A fully resolved manifest for one environment.
#[derive(Clone, Debug)]
pub struct Model {
    /// The manifest file, absolute.
    pub manifest_path: PathBuf,
    /// The folder holding the manifest; every source lies inside it.
    pub root: PathBuf,
    /// Lowercase hex SHA-256 of the manifest text (saved plans refuse a changed manifest).
    pub manifest_sha256: String,
    /// The environment selected with `--env`, if any.
    pub environment: Option<String>,
    /// The server from the manifest or the environment (`--server` / `DATAGROK_URL` override it
    /// in `cli`); `None` when the manifest names none.
    pub server: Option<ServerUrl>,
    /// Where the state is kept.
    pub state: StateBackend,
    pub files: BTreeMap<Key, File>,
    pub tables: BTreeMap<Key, Table>,
    pub layouts: BTreeMap<Key, Layout>,
    pub dashboards: BTreeMap<Key, Dashboard>,
    /// Keyed by `(dashboard key, group)`.
    pub shares: BTreeMap<(String, String), Share>,
    pub calls: BTreeMap<Key, Call>,
    /// The `import:` and `moved:` blocks.
    pub adoption: adopt::Adoption,
    /// `lifecycle:`: the destructive steps the manifest opts into.
    pub lifecycle: Lifecycle,
}

/// Where the state of an environment is stored.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum StateBackend {
    /// `.grokform/state.json` (or `.grokform/<env>/state.json`) beside the manifest.
    #[default]
    Local,
    /// A file on the Datagrok server itself, through the files API.
    Datagrok { connector: String, path: String },
}

/// A local file the manifest points at, checked and hashed at resolve time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// As written in the manifest, relative to the manifest's folder, `/`-separated.
    pub relative: String,
    /// Canonical absolute path (symlinks resolved), guaranteed inside `Model::root`.
    pub path: PathBuf,
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// `files.<key>`: a local file uploaded to a connector path.
#[derive(Clone, Debug)]
pub struct File {
    pub key: Key,
    /// Connector Grok name in colon form (`System:AppData`), or a UUID.
    pub connector: GrokName,
    /// Remote path inside the connector, `/`-separated, relative, no `..` or empty segments.
    pub path: RemotePath,
    pub source: Source,
}

/// `tables.<key>`: a CSV uploaded as a Datagrok table.
#[derive(Clone, Debug)]
pub struct Table {
    pub key: Key,
    /// Grok name in colon form (`JohnDoe:Sales:Q1`); no part is empty or contains `.`.
    pub name: GrokName,
    pub source: Source,
    pub csv: CsvSummary,
    /// `allow_column_removal: true`: a plan may upload a CSV that drops a column a layout of
    /// its dashboards uses (a warning instead of an error).
    pub allow_column_removal: bool,
    /// `prevent_destroy: true`: grokform never deletes it.
    pub prevent_destroy: bool,
}

/// What the plan shows about a CSV without reading it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvSummary {
    pub columns: Vec<String>,
    /// Data rows, header excluded.
    pub rows: u64,
}

/// `layouts.<key>`: a Datagrok layout JSON, an input of dashboards, not a remote object.
#[derive(Clone, Debug)]
pub struct Layout {
    pub key: Key,
    pub source: Source,
    /// The JSON text as in the file; `${table.X.id}` / `${dashboard.X.id}` are filled at apply.
    pub text: String,
    /// The addresses its templates reference, sorted and deduplicated.
    pub references: Vec<Address>,
}

impl Layout {
    /// Every column the layout uses, with the viewer using it (empty if the text is not JSON,
    /// which resolve refuses anyway). A column a viewer uses is named by that viewer only, not
    /// also as an entry of the layout's own column list.
    pub fn column_uses(&self) -> std::collections::BTreeSet<ColumnUse> {
        let mut out = std::collections::BTreeSet::new();
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&self.text) {
            scan::column_uses(&json, None, None, &mut out);
        }
        let in_viewers: std::collections::BTreeSet<String> = out
            .iter()
            .filter(|u| u.viewer.is_some())
            .map(|u| u.column.clone())
            .collect();
        out.retain(|u| u.viewer.is_some() || !in_viewers.contains(&u.column));
        out
    }
}

/// `dashboards.<key>`.
#[derive(Clone, Debug)]
pub struct Dashboard {
    pub key: Key,
    /// The dashboard's display name; the create route takes it as a Grok name, so it obeys
    /// the same rules (its key when the manifest gives none).
    pub name: GrokName,
    /// Keys of `Model::tables`, in manifest order (the order of `table_ids` sent).
    pub tables: Vec<Key>,
    /// Key of `Model::layouts`.
    pub layout: Option<Key>,
    /// `ignore_changes`: `layout`, `shares` or JSON pointers into the layout (checked).
    pub ignore_changes: Vec<String>,
    /// `prevent_destroy: true`: grokform never deletes it (nor its replaced copies).
    pub prevent_destroy: bool,
    /// Its own `on_replace`, overriding `lifecycle.on_replace`.
    pub on_replace: Option<OnReplace>,
}

/// Share access level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Access {
    View,
    Edit,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::View => "View",
            Access::Edit => "Edit",
        }
    }
}

/// `share.<dashboard>.<group>`: one group's access to one dashboard.
#[derive(Clone, Debug)]
pub struct Share {
    pub dashboard: Key,
    pub group: String,
    pub access: Access,
}

/// When a call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunPolicy {
    /// When its params, or a resource they or `depends_on` reference, change.
    #[default]
    OnChange,
    /// On every apply.
    Always,
}

/// `calls.<key>`: a server function call.
#[derive(Clone, Debug)]
pub struct Call {
    pub key: Key,
    /// `Package:Function` (or a bare core function name) in colon form.
    pub function: GrokName,
    /// Named parameters; strings may hold `${table.X.id}` / `${dashboard.X.id}` templates.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub run: RunPolicy,
    /// `idempotent: true`: running it twice does no harm, so a call an interrupted apply left
    /// uncertain is simply run again.
    pub idempotent: bool,
    /// Explicit `depends_on` plus every address the params reference, sorted, deduplicated.
    pub depends_on: Vec<Address>,
}

impl Model {
    /// Every local file the manifest names: files, table CSVs and layouts.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.files
            .values()
            .map(|f| &f.source)
            .chain(self.tables.values().map(|t| &t.source))
            .chain(self.layouts.values().map(|l| &l.source))
    }

    /// Every managed address with the addresses it depends on (sorted, deduplicated).
    /// Layouts are not addresses: a dashboard depends on its tables and on what its layout
    /// references; a share on its dashboard; a call on `Call::depends_on`.
    pub fn dependencies(&self) -> BTreeMap<Address, Vec<Address>> {
        let mut out = BTreeMap::new();
        for key in self.files.keys() {
            out.insert(Address::file(key), vec![]);
        }
        for key in self.tables.keys() {
            out.insert(Address::table(key), vec![]);
        }
        for (key, dashboard) in &self.dashboards {
            let mut deps: Vec<Address> =
                dashboard.tables.iter().map(|t| Address::table(t)).collect();
            if let Some(layout) = dashboard.layout.as_ref().and_then(|l| self.layouts.get(l)) {
                deps.extend(layout.references.iter().cloned());
            }
            deps.sort();
            deps.dedup();
            out.insert(Address::dashboard(key), deps);
        }
        for (dashboard, group) in self.shares.keys() {
            out.insert(
                Address::share(dashboard, group),
                vec![Address::dashboard(dashboard)],
            );
        }
        for (key, call) in &self.calls {
            out.insert(Address::call(key), call.depends_on.clone());
        }
        out
    }
}
