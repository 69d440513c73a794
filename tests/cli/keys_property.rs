//! What any key does, beyond the examples of `keys.rs`: the committed JSON Schema agrees with
//! `Key` (exactly on ASCII, never stricter), and any key in any section of a manifest is
//! accepted exactly when it is a valid `Key`, never panicking the resolver or its rendering.

use crate::common::repo_root;

/// The committed JSON Schema lets editors flag bad keys: exactly on ASCII, and it never
/// flags a key `validate` accepts.
#[test]
fn the_schema_accepts_every_valid_key_and_the_ascii_rule_exactly() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema/grokform.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let accepts = |key: &str| {
        validator.is_valid(&serde_json::json!({
            "version": 1,
            "tables": {key: {"name": "Admin:Sales", "source": "data/sales.csv"}},
        }))
    };
    for valid in [
        "sales",
        "équipe",
        "ventes_2024",
        "売上",
        "raw-sales",
        "_x",
        "𝒳",
    ] {
        assert!(accepts(valid), "{valid}");
    }
    let ascii = (0u8..0x80).map(char::from);
    for first in ascii.clone() {
        for second in ascii.clone().chain(['é']) {
            let key = format!("{first}{second}");
            let valid = grokform::key::Key::parse(&key).is_ok();
            assert_eq!(accepts(&key), valid, "{key:?}");
        }
    }
}

mod property {
    use proptest::prelude::*;

    use grokform::key::Key;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just(" ".to_string()),
            Just("\t \u{a0}".to_string()),
            Just("équipe".to_string()),
            Just("売上".to_string()),
            Just("raw-sales".to_string()),
            Just("_x".to_string()),
            "[a-zé売_][a-z0-9é売_-]{0,12}",
            "[\\PC]{1,6}",
            "[a-z]{0,3}[\\x00-\\x1f\\x7f\\u{85}\\u{2028}][a-z]{0,3}",
            "[a-z. /:${}-]{0,8}",
            // YAML caps an implicit key at 1,024 characters: long, but writable.
            (1usize..1000).prop_map(|n| format!("k{}", "é".repeat(n))),
            (1usize..500).prop_map(|n| "x ".repeat(n)),
        ]
    }

    /// `key` as a YAML double-quoted scalar (JSON string syntax is valid YAML).
    fn quoted(key: &str) -> String {
        serde_json::to_string(key).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

        #[test]
        fn any_key_is_accepted_exactly_when_it_is_an_identifier(key in key()) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("data")).unwrap();
            std::fs::write(dir.path().join("data/sales.csv"), "a,b\n1,2\n").unwrap();
            std::fs::write(dir.path().join("main.json"), format!("{{\"t\": \"${{table.{key}.id}}\"}}")).unwrap();
            let q = quoted(&key);
            let text = format!(
                "version: 1\nvars:\n  {q}: v\nenvironments:\n  {q}: {{}}\nfiles:\n  {q}:\n    connector: System:AppData\n    path: raw/a.csv\n    source: data/sales.csv\ntables:\n  {q}:\n    name: Admin:Sales\n    source: data/sales.csv\nlayouts:\n  {q}:\n    source: main.json\ndashboards:\n  {q}:\n    tables: [{q}]\n    layout: {q}\nshares:\n  - dashboard: {q}\n    groups: [Analysts]\ncalls:\n  {q}:\n    function: Demo:Refresh\n    params: {{t: {p}}}\n",
                p = quoted(&format!("${{table.{key}.id}}")),
            );
            let path = dir.path().join("grokform.yaml");
            std::fs::write(&path, &text).unwrap();
            let valid = Key::parse(&key).is_ok();
            for env in [None, Some(key.as_str())] {
                match grokform::model::Model::load(&path, env) {
                    Ok(resolved) => {
                        prop_assert!(valid, "accepted {key:?}");
                        prop_assert_eq!(resolved.model.dashboards.len(), 1);
                        prop_assert_eq!(resolved.model.dashboards.keys().next().unwrap().as_str(), key.as_str());
                    }
                    Err(report) => {
                        // Rendering must not panic either (labels lie inside their source).
                        let shown = format!("{report:?}");
                        prop_assert!(!valid, "refused {key:?}: {shown}");
                    }
                }
            }
        }
    }
}
