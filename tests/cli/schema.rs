//! `grokform schema`: the printed schema is the committed one, and it describes the manifest.

use crate::support::{grokform, repo_root};

#[test]
fn printed_schema_matches_the_committed_file() {
    let run = grokform(["schema"]).run();
    run.code(0);
    let committed = std::fs::read_to_string(repo_root().join("schema/grokform.schema.json"))
        .expect("schema/grokform.schema.json is committed");
    assert!(
        run.stdout == committed,
        "schema/grokform.schema.json is stale: run `cargo run -- schema > schema/grokform.schema.json`"
    );
}

#[test]
fn schema_is_draft_07_with_descriptions_and_closed_objects() {
    let run = grokform(["schema"]).run();
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["additionalProperties"], false);
    let properties = schema["properties"].as_object().unwrap();
    let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
    for key in [
        "version",
        "server",
        "state",
        "vars",
        "environments",
        "files",
        "tables",
        "layouts",
        "dashboards",
        "shares",
        "calls",
    ] {
        assert!(keys.contains(&key), "`{key}` missing from the schema");
        assert!(
            properties[key]["description"].is_string(),
            "`{key}` has no description"
        );
    }
    let access = &schema["definitions"]["AccessName"]["enum"];
    assert_eq!(access, &serde_json::json!(["View", "Edit"]));
}

#[test]
fn completions_are_printed_for_bash() {
    let run = grokform(["completions", "bash"]).run();
    run.code(0);
    assert!(run.stdout.contains("validate"), "{}", run.stdout);
}

#[test]
fn color_always_colours_diagnostics_and_no_color_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grokform.yaml"), "version: 2\n").unwrap();
    let coloured = grokform(["--color", "always", "validate"])
        .current_dir(dir.path())
        .run();
    coloured.code(1);
    assert!(coloured.stderr.contains('\u{1b}'), "{}", coloured.stderr);
    // The test harness sets NO_COLOR and pipes stderr: `auto` must stay plain.
    let plain = grokform(["validate"]).current_dir(dir.path()).run();
    plain.code(1);
    assert!(!plain.stderr.contains('\u{1b}'), "{}", plain.stderr);
}
