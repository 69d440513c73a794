//! Keys and names, checked once (issue 8): keys are Unicode identifiers (UAX #31 plus `-`),
//! an empty or blank key is a located error (it used to panic), and the Grok names, remote
//! paths and server URLs `validate` accepts are exactly the ones `apply` can send.

use std::path::Path;

use crate::common::{Run, grokform, repo_root};
use crate::project::{Project, emulator, held};

const CSV: &str = "region,revenue\nNorth,10\nSouth,7\n";

/// What every key diagnostic's help says is allowed.
const KEY_HELP: &str = "a key starts with a letter (of any script) or `_`";

/// A project in a temp folder with one CSV (`data/sales.csv`), one layout
/// (`layouts/main.json`, referencing `${table.<layout_table>.id}`) and `manifest`.
fn project(manifest: &str, layout_table: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |relative: &str, content: &str| {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    };
    write("data/sales.csv", CSV);
    write(
        "layouts/main.json",
        &format!(
            "{{\"#type\": \"ViewLayout\", \"viewStateMap\": {{\"tableId\": \"${{table.{layout_table}.id}}\", \"look\": {{\"xColumnName\": \"region\"}}}}}}\n"
        ),
    );
    write("grokform.yaml", manifest);
    dir
}

fn validate(dir: &Path) -> Run {
    grokform(["validate"]).current_dir(dir).run()
}

/// Asserts a failed run whose diagnostic names `code` at a `[file:line:column]`, never a
/// panic, and returns standard error with the temp folder hidden.
#[track_caller]
fn assert_located(run: &Run, code: &str, dir: &Path) -> String {
    run.code(1);
    let stderr = run
        .stderr
        .replace(&dir.display().to_string(), "[DIR]")
        .replace(
            &std::fs::canonicalize(dir).unwrap().display().to_string(),
            "[DIR]",
        );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(code), "no `{code}` in\n{stderr}");
    let located = stderr.lines().any(|line| {
        let Some(inner) = line.split("[./grokform.yaml:").nth(1) else {
            return false;
        };
        let mut parts = inner.trim_end_matches(']').split(':');
        let number = |p: Option<&str>| p.is_some_and(|p| p.parse::<u32>().is_ok());
        number(parts.next()) && number(parts.next())
    });
    assert!(located, "no ./grokform.yaml:LINE:COLUMN in\n{stderr}");
    stderr
}

/// One manifest per section with `key` as its only key (written as YAML `key_yaml`).
fn manifests_with_key(key_yaml: &str) -> Vec<(&'static str, String)> {
    let table = "tables:\n  sales:\n    name: Admin:Sales\n    source: data/sales.csv\n";
    vec![
        (
            "tables",
            format!(
                "version: 1\ntables:\n  {key_yaml}:\n    name: Admin:Sales\n    source: data/sales.csv\n"
            ),
        ),
        (
            "files",
            format!(
                "version: 1\nfiles:\n  {key_yaml}:\n    connector: System:AppData\n    path: raw/sales.csv\n    source: data/sales.csv\n"
            ),
        ),
        (
            "layouts",
            format!("version: 1\n{table}layouts:\n  {key_yaml}:\n    source: layouts/main.json\n"),
        ),
        (
            "dashboards",
            format!("version: 1\n{table}dashboards:\n  {key_yaml}:\n    tables: [sales]\n"),
        ),
        (
            "calls",
            format!("version: 1\ncalls:\n  {key_yaml}:\n    function: Demo:Refresh\n"),
        ),
        (
            "environments",
            format!("version: 1\nenvironments:\n  {key_yaml}: {{}}\n"),
        ),
        ("vars", format!("version: 1\nvars:\n  {key_yaml}: x\n")),
    ]
}

/// A dashboard whose key is empty and that has no `name:` made `validate` panic (exit 101).
#[test]
fn a_dashboard_with_an_empty_or_blank_key_and_no_name_is_a_located_error() {
    for (name, key) in [("empty", "\"\""), ("blank", "\"  \"")] {
        let dir = project(
            &format!(
                "version: 1\ntables:\n  sales:\n    name: Admin:Sales\n    source: data/sales.csv\ndashboards:\n  {key}:\n    tables: [sales]\n"
            ),
            "sales",
        );
        let stderr = assert_located(
            &validate(dir.path()),
            "grokform::manifest::invalid_key",
            dir.path(),
        );
        assert!(stderr.contains(KEY_HELP), "{stderr}");
        insta::assert_snapshot!(format!("dashboard_{name}_key"), stderr);
    }
}

#[test]
fn empty_and_blank_keys_are_located_errors_in_every_section() {
    for key in ["\"\"", "\"  \"", "\"\\t\""] {
        for (section, manifest) in manifests_with_key(key) {
            let dir = project(&manifest, "sales");
            let run = validate(dir.path());
            let stderr = assert_located(&run, "grokform::manifest::invalid_key", dir.path());
            assert!(
                stderr.contains(KEY_HELP),
                "{section} with key {key}: {stderr}"
            );
        }
    }
}

#[test]
fn keys_that_are_not_identifiers_say_what_is_allowed() {
    let manifest = "version: 1\ntables:\n  a b:\n    name: Admin:A\n    source: data/sales.csv\n  a/b:\n    name: Admin:B\n    source: data/sales.csv\n  \"ventes\\a\":\n    name: Admin:C\n    source: data/sales.csv\n  2024:\n    name: Admin:D\n    source: data/sales.csv\n  .x:\n    name: Admin:E\n    source: data/sales.csv\n";
    let dir = project(manifest, "sales");
    let stderr = assert_located(
        &validate(dir.path()),
        "grokform::manifest::invalid_key",
        dir.path(),
    );
    assert_eq!(
        stderr.matches("is not an identifier").count(),
        5,
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

/// `équipe`, `ventes_2024`, `売上` and `raw-sales` are keys everywhere a key is used: in
/// references, templates, `depends_on`, `--target`, the state and saved plans.
#[test]
fn unicode_identifiers_are_keys_from_validate_to_apply() {
    let server = emulator();
    let manifest = "\
version: 1
vars:
  équipe: Ventes
environments:
  préprod: {}
files:
  raw-sales:
    connector: System:AppData
    path: ${var.équipe}/raw/sales.csv
    source: data/sales.csv
tables:
  ventes_2024:
    name: Admin:${var.équipe}:V2024
    source: data/sales.csv
  売上:
    name: Admin:${var.équipe}:売上
    source: data/sales.csv
layouts:
  équipe:
    source: layouts/main.json
dashboards:
  équipe:
    tables: [ventes_2024, 売上]
    layout: équipe
shares:
  - dashboard: équipe
    groups: [Analysts]
calls:
  rafraîchir:
    function: Demo:RefreshCaches
    params: {table: \"${table.売上.id}\", dashboard: \"${dashboard.équipe.id}\"}
    depends_on: [file.raw-sales]
";
    let dir = project(manifest, "売上");
    grokform(["validate", "--strict"])
        .current_dir(dir.path())
        .run()
        .code(0);
    grokform(["validate", "--strict", "--env", "préprod"])
        .current_dir(dir.path())
        .run()
        .code(0);
    let project = Project::at(dir, &server);
    // A partial apply first: `--target` parses Unicode addresses too.
    project
        .run(&["apply", "--auto-approve", "--target", "table.売上"])
        .code(0);
    assert_eq!(held(&server, "tables").len(), 1);
    project.apply();
    let state = project.state();
    let mut addresses: Vec<&str> = state["resources"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    addresses.sort();
    assert_eq!(
        addresses,
        [
            "call.rafraîchir",
            "dashboard.équipe",
            "file.raw-sales",
            "share.équipe.Analysts",
            "table.ventes_2024",
            "table.売上",
        ]
    );
    let dashboards = held(&server, "dashboards");
    assert_eq!(dashboards.len(), 1, "{dashboards:?}");
    assert_eq!(dashboards[0]["name"], "équipe", "{dashboards:?}");
    // Converged: the next plan has nothing to do, also with an environment's own state.
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    project
        .run(&["plan", "--env", "préprod", "--out", "préprod.plan.json"])
        .code(0);
    project
        .run(&["apply", "--env", "préprod", "préprod.plan.json"])
        .code(0);
    assert!(project.path(".grokform/préprod/state.json").is_file());
}

/// A name the client cannot send used to pass `validate` and fail `apply` halfway; now both use
/// one set of rules, so `validate` refuses it and `apply` stops before any request.
#[test]
fn names_apply_cannot_send_fail_validate_and_apply_sends_nothing() {
    let server = emulator();
    let manifest = "\
version: 1
files:
  raw:
    connector: System:AppData
    path: \"raw/sales\\a.csv\"
    source: data/sales.csv
tables:
  sales:
    name: \"Admin:Sales\\x01\"
    source: data/sales.csv
dashboards:
  overview:
    name: Sales v1.2
    tables: [sales]
shares:
  - dashboard: overview
    groups: [\"Analysts,Managers\"]
calls:
  refresh:
    function: Demo:Refresh.v2
";
    let dir = project(manifest, "sales");
    let stderr = assert_located(
        &validate(dir.path()),
        "grokform::manifest::invalid_name",
        dir.path(),
    );
    insta::assert_snapshot!(stderr);
    let project = Project::at(dir, &server);
    let run = project.run(&["apply", "--auto-approve"]);
    run.code(1);
    assert!(
        run.stderr.contains("grokform::manifest::invalid_name"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 0, "{:?}", server.requests());
}

/// One normaliser of server URLs: the manifest, `--server`, the state and saved plans agree
/// on "the same server" however it is written, and credentials never get through.
#[test]
fn server_urls_are_normalised_once_and_credentials_refused() {
    let server = emulator();
    let dir = project(
        "version: 1\nserver: https://bot:s3cret@datagrok.example.com/api\ntables:\n  sales:\n    name: Admin:Sales\n    source: data/sales.csv\n",
        "sales",
    );
    let stderr = assert_located(
        &validate(dir.path()),
        "grokform::manifest::invalid_server",
        dir.path(),
    );
    // The snippet shows the manifest line as the user wrote it; the message never repeats it.
    let message = stderr.lines().find(|l| l.contains("credentials")).unwrap();
    assert!(!message.contains("s3cret"), "{stderr}");
    assert!(
        stderr.contains("credentials do not belong in the URL"),
        "{stderr}"
    );

    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\ntables:\n  sales:\n    name: Admin:Sales\n    source: data/sales.csv\n",
    )
    .unwrap();
    let project = Project::at(dir, &server);
    // Written differently (scheme case, trailing slashes): the same server.
    let shouting = format!("{}///", server.url().replacen("http://", "HTTP://", 1));
    project
        .run(&["apply", "--auto-approve", "--server", &shouting])
        .code(0);
    assert_eq!(project.state()["server"], server.url());
    project
        .run(&[
            "plan",
            "--out",
            "p.json",
            "--server",
            &format!("{}/", server.url()),
        ])
        .code(0);
    let plan: serde_json::Value = serde_json::from_str(&project.read("p.json")).unwrap();
    assert_eq!(plan["server"], server.url());
    project
        .run(&["plan", "--detailed-exitcode", "--server", &shouting])
        .code(0);

    let refused = project.run(&["plan", "--server", "ftp://bot:s3cret@example.com/api"]);
    refused.code(1);
    assert!(
        refused.stderr.contains("is not a usable server URL"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("s3cret"), "{}", refused.stderr);
}

#[test]
fn every_example_still_validates() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo_root().join("examples")).unwrap() {
        let manifest = entry.unwrap().path().join("grokform.yaml");
        if !manifest.is_file() {
            continue;
        }
        seen += 1;
        let args: [std::ffi::OsString; 4] = [
            "validate".into(),
            "--strict".into(),
            "-f".into(),
            manifest.into(),
        ];
        grokform(args).current_dir(repo_root()).run().code(0);
    }
    assert!(seen >= 2, "found {seen} example manifests");
}
