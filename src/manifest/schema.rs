//! The manifest's JSON Schema (draft-07), generated from the manifest types so it cannot
//! drift from what the parser accepts; editors use it through the `yaml-language-server`
//! modeline.

use super::Manifest;

/// The schema as pretty JSON with a trailing newline (the committed file's exact content).
pub fn json_schema() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Manifest>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
