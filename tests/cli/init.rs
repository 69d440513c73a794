//! `grokform init`: a scaffold that validates, plans and applies locally as it is, and a
//! refusal to write into a folder that is not empty.

use crate::support::{TestContext, grokform_snapshot, repo_root};

#[test]
fn init_scaffolds_a_project_that_validates_plans_and_applies_locally() {
    let context = TestContext::new();
    grokform_snapshot!("init", context.filters(), context.run(&["init"]));
    for file in [
        "grokform.yaml",
        "data/example.csv",
        "grokform.schema.json",
        ".gitignore",
        ".github/workflows/grokform.yml",
    ] {
        assert!(context.path(file).is_file(), "{file}");
    }
    let gitignore = context.read(".gitignore");
    for entry in [
        ".grokform/local/",
        "*.plan",
        ".grokform/**/remote-state.json",
        ".grokform/**/plan-memo/",
    ] {
        assert!(
            gitignore.lines().any(|l| l == entry),
            "{entry} in {gitignore}"
        );
    }
    assert_eq!(
        context.read(".github/workflows/grokform.yml"),
        std::fs::read_to_string(repo_root().join("examples/ci/github-actions.yml")).unwrap()
    );

    context.run(&["validate", "--strict"]).code(0);
    grokform_snapshot!(
        "first_plan",
        context.filters(),
        context.run(&["plan", "--server", "local", "--detailed-exitcode"])
    );
    context
        .run(&["apply", "--server", "local", "--auto-approve"])
        .code(0);
    context
        .run(&["plan", "--server", "local", "--detailed-exitcode"])
        .code(0);
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_and_writes_nothing() {
    let context = TestContext::new();
    context.write("notes.txt", "mine");
    grokform_snapshot!(context.filters(), context.run(&["init"]));
    let names: Vec<String> = std::fs::read_dir(context.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    // A new folder named on the command line is fine.
    context.run(&["init", "fresh"]).code(0);
    assert!(context.path("fresh/grokform.yaml").is_file());
}
