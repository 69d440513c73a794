//! The manifest's adoption sections, `import:` and `moved:`: blocks that say how existing
//! objects come under management (read from the server, recorded without being created) and
//! how managed addresses were renamed (renamed in the state, nothing sent). Kept apart from
//! the resource sections because they describe changes to the state, not objects.

use schemars::JsonSchema;
use serde::Deserialize;

use super::S;

/// One entry of `import`: the server object (by `id` or by `name`) recorded under `to`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// The manifest address the object is recorded under: `table.<key>`, `file.<key>` or
    /// `dashboard.<key>` (a dashboard brings the grants it already has for its `shares`).
    #[schemars(with = "String")]
    pub to: S<String>,
    /// The server's ID of a table or dashboard (a UUID).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub id: Option<S<String>>,
    /// A table's Grok name (`Admin:Sales:Orders`), a dashboard's name, or a file's path in
    /// the manifest's connector. Several objects of that name are an error listing their IDs.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub name: Option<S<String>>,
}

/// One entry of `moved`: the address `from` is now called `to` (same kind); the state is
/// renamed, the server is not asked anything.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MovedSpec {
    /// The old address, e.g. `dashboard.old`.
    #[schemars(with = "String")]
    pub from: S<String>,
    /// The new address, e.g. `dashboard.new`.
    #[schemars(with = "String")]
    pub to: S<String>,
}
