//! `validate`'s never-panic properties: arbitrary bytes and well-formed-but-wrong manifests
//! never panic the parser or resolver (keys are generated in `keys_property`, long lines and
//! deep nesting in `long_input`).

use proptest::prelude::*;

fn load(dir: &std::path::Path, text: &[u8]) {
    let path = dir.join("grokform.yaml");
    std::fs::write(&path, text).unwrap();
    // Rendering too must not panic (labels must lie inside their source).
    if let Err(report) = grokform::model::Model::load(&path, None) {
        let _ = format!("{report:?}");
    }
    let _ = grokform::model::Model::load(&path, Some("nope")).map_err(|r| format!("{r:?}"));
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("orders".to_string()),
        Just("data/orders.csv".to_string()),
        Just("${var.project}".to_string()),
        Just("${table.orders.id}".to_string()),
        Just("${dashboard.x.id}".to_string()),
        Just("a::b".to_string()),
        Just("../x".to_string()),
        Just("[1, 2]".to_string()),
        Just("{a: 1}".to_string()),
        Just("~".to_string()),
        Just("12".to_string()),
        Just("\"é ${\"".to_string()),
        "[a-z:./${}]{0,12}".prop_map(|s| format!("\"{s}\"")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        load(dir.path(), &bytes);
    }

    #[test]
    fn wrong_manifests_never_panic(values in proptest::collection::vec(scalar(), 12)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/orders.csv"), "a,b\n1,2\n").unwrap();
        let v = |i: usize| values[i].clone();
        let text = format!(
            "version: 1\nvars:\n  project: {}\ntables:\n  orders:\n    name: {}\n    source: {}\nlayouts:\n  l:\n    source: {}\ndashboards:\n  d:\n    tables: [{}]\n    layout: {}\nshares:\n  - dashboard: {}\n    groups: [{}]\n    access: {}\ncalls:\n  c:\n    function: {}\n    params: {{p: {}}}\n    depends_on: [{}]\n",
            v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), v(9), v(10), v(11)
        );
        load(dir.path(), text.as_bytes());
    }
}
