//! The manifest as written: serde types mirroring `grokform.yaml` exactly, every value that a
//! diagnostic may point at wrapped in `Spanned`. Nothing here checks meaning (that is
//! `model::resolve`); this module only turns text into these types or into a span-carrying
//! parse error, so the YAML library stays behind one boundary.

mod adopt;
mod entries;
mod parse;
pub mod problem;
mod schema;

pub use adopt::{ImportSpec, MovedSpec};
pub use entries::{Entries, Keyed, Params};
pub use parse::{Text, parse};
pub use problem::{Problem, ProblemKind, Problems};
pub use schema::json_schema;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A value with the place in the manifest it came from.
pub type S<T> = Spanned<T>;

/// The manifest (`grokform.yaml`): what should exist on a Datagrok server.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "grokform manifest")]
pub struct Manifest {
    /// The manifest format version; must be `1`.
    #[schemars(with = "u32", range(min = 1, max = 1))]
    pub version: S<u64>,
    /// The Datagrok API base URL (`https://datagrok.example.com/api`) or `local` for the
    /// built-in emulator. `--server` and `DATAGROK_URL` override it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub server: Option<S<String>>,
    /// Where the state is kept (default: `.grokform/state.json` beside the manifest).
    #[serde(default)]
    #[schemars(with = "Option<StateConfig>")]
    pub state: Option<S<StateConfig>>,
    /// Variables, used as `${var.NAME}` in any string of the manifest.
    #[serde(default)]
    #[schemars(with = "entries::Keyed<String>")]
    pub vars: Entries<S<String>>,
    /// Named environments (selected with `--env NAME`), each overriding `server`, `vars` and
    /// `state`, each with its own state.
    #[serde(default)]
    #[schemars(with = "entries::Keyed<Environment>")]
    pub environments: Entries<Environment>,
    /// Local files uploaded to a connector path (address `file.<key>`).
    #[serde(default)]
    #[schemars(with = "entries::Keyed<FileSpec>")]
    pub files: Entries<FileSpec>,
    /// CSV files uploaded as Datagrok tables (address `table.<key>`).
    #[serde(default)]
    #[schemars(with = "entries::Keyed<TableSpec>")]
    pub tables: Entries<TableSpec>,
    /// Layout JSON files exported from Datagrok; inputs of dashboards, not remote objects.
    #[serde(default)]
    #[schemars(with = "entries::Keyed<LayoutSpec>")]
    pub layouts: Entries<LayoutSpec>,
    /// Dashboards (Datagrok projects) holding tables (address `dashboard.<key>`).
    #[serde(default)]
    #[schemars(with = "entries::Keyed<DashboardSpec>")]
    pub dashboards: Entries<DashboardSpec>,
    /// Share grants: each group gets `access` to the dashboard
    /// (address `share.<dashboard>.<group>`).
    #[serde(default)]
    pub shares: Vec<ShareSpec>,
    /// Server function calls, run after everything they reference
    /// (address `call.<key>`).
    #[serde(default)]
    #[schemars(with = "entries::Keyed<CallSpec>")]
    pub calls: Entries<CallSpec>,
    /// Existing server objects to adopt: `plan` shows them as "will be imported", `apply`
    /// records them in the state without creating anything.
    #[serde(default)]
    pub import: Vec<ImportSpec>,
    /// Addresses renamed in the manifest: `plan` shows "has moved to", `apply` renames them in
    /// the state; nothing is sent to the server.
    #[serde(default)]
    pub moved: Vec<MovedSpec>,
    /// What grokform may remove from the server (all opt-in; see README, "Lifecycle").
    #[serde(default)]
    pub lifecycle: Option<LifecycleSpec>,
}

/// `lifecycle:`: the destructive steps a plan may take. Leaving it out keeps every object
/// and grant grokform stops managing on the server, as without it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSpec {
    /// `additive` (default): a share removed from the manifest is forgotten and the group
    /// keeps its access; `authoritative`: it is revoked (and an `Edit` → `View` change revokes
    /// the `Edit` grant), where the server allows revoking and reading grants back.
    #[serde(default)]
    #[schemars(with = "Option<SharesMode>")]
    pub shares: Option<S<String>>,
    /// `forget` (default): a table or dashboard removed from the manifest stays on the server
    /// and grokform stops managing it; `allowed`: it is deleted (for every user), where the
    /// server allows deleting and reading back. A table a managed dashboard still shows is
    /// never deleted: the plan is refused.
    #[serde(default)]
    #[schemars(with = "Option<DeletionMode>")]
    pub deletion: Option<S<String>>,
    /// `keep` (default): when a dashboard is replaced (a new one is created: name, tables or
    /// layout changed), the old one stays on the server with its grants; `delete`: the old one
    /// is deleted once the new one and its shares are in place, where the server allows.
    #[serde(default)]
    #[schemars(with = "Option<OnReplaceMode>")]
    pub on_replace: Option<S<String>>,
}

/// `lifecycle.on_replace` (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum OnReplaceMode {
    Keep,
    Delete,
}

/// `lifecycle.deletion` (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum DeletionMode {
    Forget,
    Allowed,
}

/// `lifecycle.shares` (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum SharesMode {
    Additive,
    Authoritative,
}

/// An environment: overrides of `server`, `vars` and `state`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Replaces the top-level `server`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub server: Option<S<String>>,
    /// Variables set here replace the top-level variables of the same name.
    #[serde(default)]
    #[schemars(with = "entries::Keyed<String>")]
    pub vars: Entries<S<String>>,
    /// Replaces the top-level `state`.
    #[serde(default)]
    #[schemars(with = "Option<StateConfig>")]
    pub state: Option<S<StateConfig>>,
}

/// Where the state lives.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// `local` (`.grokform/…/state.json` beside the manifest) or `datagrok` (a file on the
    /// server, through the files API).
    #[schemars(with = "BackendName")]
    pub backend: S<String>,
    /// For `datagrok`: the connector holding the state file, e.g. `System:AppData`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub connector: Option<S<String>>,
    /// For `datagrok`: the state file's path inside the connector, e.g. `grokform/state.json`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub path: Option<S<String>>,
}

/// A state backend name (schema only).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum BackendName {
    Local,
    Datagrok,
}

/// `files.<key>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// The connector's Grok name (`System:AppData`, `JohnDoe:Home`) or UUID.
    #[schemars(with = "String")]
    pub connector: S<String>,
    /// The remote path inside the connector: relative, `/`-separated, no `..` or empty
    /// segments.
    #[schemars(with = "String")]
    pub path: S<String>,
    /// The local file, relative to the manifest's folder (and inside it).
    #[schemars(with = "String")]
    pub source: S<String>,
}

/// `tables.<key>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The table's Grok name, colon-separated (`Admin:Sales:Orders`); no part may be empty or
    /// contain `.`.
    #[schemars(with = "String")]
    pub name: S<String>,
    /// The CSV file (UTF-8, with a header row), relative to the manifest's folder.
    #[schemars(with = "String")]
    pub source: S<String>,
    /// Let a plan upload a CSV that drops or renames a column a layout of a dashboard showing
    /// this table uses (default `false`: such a plan is an error).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub allow_column_removal: Option<S<bool>>,
    /// Never deleted by grokform: `grokform destroy` keeps it (default `false`).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<S<bool>>,
}

/// `layouts.<key>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutSpec {
    /// The layout JSON exported from Datagrok, relative to the manifest's folder. It may hold
    /// `${table.KEY.id}` and `${dashboard.KEY.id}`, filled in at apply.
    #[schemars(with = "String")]
    pub source: S<String>,
}

/// `dashboards.<key>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardSpec {
    /// The dashboard's display name (default: its key).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub name: Option<S<String>>,
    /// Keys of `tables`, in the order the dashboard holds them.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub tables: S<Vec<S<String>>>,
    /// Key of `layouts` applied to the dashboard.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub layout: Option<S<String>>,
    /// Changes made outside grokform that `refresh` and `plan` report as "ignored drift" and
    /// never repair: `layout` (any layout edit), `shares` (grants added, removed or changed on
    /// the dashboard), or a JSON pointer into the layout (`/viewStateMap/viewers/0/look/title`)
    /// for edits at or below it.
    #[serde(default)]
    #[schemars(with = "Option<Vec<IgnoreChange>>")]
    pub ignore_changes: Option<S<Vec<S<String>>>>,
    /// `keep` or `delete`: what happens to this dashboard's old copy when it is replaced;
    /// overrides `lifecycle.on_replace` (the default) for this dashboard.
    #[serde(default)]
    #[schemars(with = "Option<OnReplaceMode>")]
    pub on_replace: Option<S<String>>,
    /// Never deleted by grokform: `grokform destroy` keeps it (with its tables and shares),
    /// and `lifecycle.on_replace: delete` keeps its old copies (default `false`).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<S<bool>>,
}

/// One entry of `ignore_changes` (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
#[schemars(untagged)]
enum IgnoreChange {
    /// `layout` or `shares`.
    Kind(IgnoreKind),
    /// A JSON pointer into the layout.
    Pointer(#[schemars(regex(pattern = "^/"))] String),
}

/// `layout` or `shares` (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum IgnoreKind {
    Layout,
    Shares,
}

/// One entry of `shares`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareSpec {
    /// Key of `dashboards`.
    #[schemars(with = "String")]
    pub dashboard: S<String>,
    /// Group (or user) names, e.g. `Analysts`.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub groups: S<Vec<S<String>>>,
    /// `View` (default) or `Edit`.
    #[serde(default)]
    #[schemars(with = "Option<AccessName>")]
    pub access: Option<S<String>>,
}

/// A share access level (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
enum AccessName {
    View,
    Edit,
}

/// `calls.<key>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// The function: `Package:Function`, or a bare core function name (`Sin`).
    #[schemars(with = "String")]
    pub function: S<String>,
    /// Named parameters; strings may hold `${table.KEY.id}` / `${dashboard.KEY.id}`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub params: Option<S<Params>>,
    /// `on-change` (default): when params or referenced resources change; `always`: every
    /// apply.
    #[serde(default)]
    #[schemars(with = "Option<RunName>")]
    pub run: Option<S<String>>,
    /// `true`: running the call twice does no harm, so when an interrupted apply leaves it
    /// unknown whether it ran, the next apply runs it again (default `false`: apply refuses
    /// until `--confirm-uncertain call.KEY`).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub idempotent: Option<S<bool>>,
    /// Addresses (`table.sales`, `call.other`, …) that must be applied before this call.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub depends_on: Option<S<Vec<S<String>>>>,
}

/// A run policy (schema only).
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum RunName {
    OnChange,
    Always,
}
