//! GitHub Actions workflow commands (`::error file=…,line=…::`) for diagnostics when
//! `GITHUB_ACTIONS` is set, with paths from the checkout root, and none elsewhere.

use crate::support::{TestContext, grokform, grokform_snapshot};

#[test]
fn github_actions_annotations_for_errors_and_warnings() {
    let context = TestContext::new();
    context.write("x.csv", "a,b\n1,2\n");
    context.write(
        "grokform.yaml",
        "version: 1\nserver: https://dg.example.com\ntables:\n  t:\n    name: A:B:C\n    source: x.csv\n",
    );
    // Annotations go to stderr, beside the diagnostic.
    grokform_snapshot!(
        "warning",
        context.filters(),
        context
            .grokform(&["validate"])
            .env("GITHUB_ACTIONS", "true")
            .run()
    );

    context.write(
        "grokform.yaml",
        "version: 1\ntables:\n  t:\n    name: A:B:C\n    source: x.csv\nunknownkey: 3\n",
    );
    grokform_snapshot!(
        "error",
        context.filters(),
        context
            .grokform(&["validate"])
            .env("GITHUB_ACTIONS", "true")
            .run()
    );

    // Outside GitHub Actions: no workflow commands.
    let plain = context.run(&["validate"]);
    plain.code(1);
    assert!(!plain.stderr.contains("::error"), "{}", plain.stderr);

    // With `-C`, the path is the one from the checkout root.
    let parent = context.root().parent().unwrap();
    let name = context
        .root()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let nested = grokform(["validate", "-C", &name])
        .current_dir(parent)
        .env("GITHUB_ACTIONS", "true")
        .run();
    let annotations: Vec<&str> = nested
        .stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(annotations.len(), 1, "{}", nested.stderr);
    assert!(
        annotations[0].starts_with(&format!("::error file={name}/grokform.yaml,line=6,col=1::")),
        "{}",
        nested.stderr
    );
}
