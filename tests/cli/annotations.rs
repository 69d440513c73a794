//! GitHub Actions workflow commands (`::error file=…,line=…::`) for diagnostics when
//! `GITHUB_ACTIONS` is set, with paths from the checkout root, and none elsewhere.

use crate::common::grokform;

#[test]
fn github_actions_annotations_for_errors_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\nserver: https://dg.example.com\ntables:\n  t:\n    name: A:B:C\n    source: x.csv\n",
    )
    .unwrap();
    let warned = grokform(["validate"])
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .run();
    warned.code(0);
    let lines: Vec<&str> = warned
        .stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(
        lines,
        [
            "::warning file=grokform.yaml,line=2,col=9::server `https://dg.example.com` does not end with `/api`: this reaches the web UI, not the API"
        ]
    );
    assert!(!warned.stdout.contains("::"), "annotations go to stderr");

    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\ntables:\n  t:\n    name: A:B:C\n    source: x.csv\nunknownkey: 3\n",
    )
    .unwrap();
    let failed = grokform(["validate"])
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .run();
    failed.code(1);
    let lines: Vec<&str> = failed
        .stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", failed.stderr);
    assert!(
        lines[0].starts_with(
            "::error file=grokform.yaml,line=6,col=1::invalid manifest: unknown field `unknownkey`"
        ),
        "{}",
        lines[0]
    );

    // Outside GitHub Actions: no workflow commands.
    let plain = grokform(["validate"]).current_dir(dir.path()).run();
    plain.code(1);
    assert!(!plain.stderr.contains("::error"), "{}", plain.stderr);

    // With `-C`, the path is the one from the checkout root.
    let parent = dir.path().parent().unwrap();
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let nested = grokform(["validate", "-C", &name])
        .current_dir(parent)
        .env("GITHUB_ACTIONS", "true")
        .run();
    assert!(
        nested
            .stderr
            .contains(&format!("::error file={name}/grokform.yaml,line=6,col=1::")),
        "{}",
        nested.stderr
    );
}
