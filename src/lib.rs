//! grokform: Terraform for Datagrok dashboards.
//!
//! The pipeline (see `DESIGN.md`): `manifest` (YAML with spans) → `model` (resolved, with
//! diagnostics) → `plan` (pure, against the `state`) → `apply` (through the `client`). The
//! `emulator` is a built-in Datagrok server for tests, demos and `--server local`.

pub mod address;
pub(crate) mod adopt;
pub mod apply;
pub mod cli;
pub mod client;
pub mod emulator;
pub mod graph;
pub mod grok_name;
pub mod key;
pub mod layout;
pub mod manifest;
pub mod model;
pub(crate) mod plan;
pub(crate) mod refresh;
pub mod remote_path;
pub(crate) mod render;
pub mod server_url;
pub mod state;
mod validated;

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
pub(crate) mod test_support {
    /// Asserts that the committed JSON Schema at `relative` (from the repository root) is
    /// `generated`; with `GROKFORM_WRITE_SCHEMA` set, rewrites it first (`regenerate` says how).
    pub fn assert_committed_schema(
        relative: &str,
        generated: &serde_json::Value,
        regenerate: &str,
    ) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        let generated = serde_json::to_string_pretty(generated).expect("schemas serialise") + "\n";
        if std::env::var_os("GROKFORM_WRITE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).expect("the schema file is writable");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{relative} is out of date; run `{regenerate}`"
        );
    }
}
