//! `grokform init`: a scaffold that validates, plans and applies locally as it is, and a
//! refusal to write into a folder that is not empty.

use crate::common::{grokform, repo_root};

#[test]
fn init_scaffolds_a_project_that_validates_plans_and_applies_locally() {
    let dir = tempfile::tempdir().unwrap();
    let run = grokform(["init"]).current_dir(dir.path()).run();
    run.code(0);
    for file in [
        "grokform.yaml",
        "data/example.csv",
        "grokform.schema.json",
        ".gitignore",
        ".github/workflows/grokform.yml",
    ] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    for entry in [
        ".grokform/local/",
        "*.plan",
        ".grokform/**/remote-state.json",
    ] {
        assert!(
            gitignore.lines().any(|l| l == entry),
            "{entry} in {gitignore}"
        );
    }
    let workflow =
        std::fs::read_to_string(dir.path().join(".github/workflows/grokform.yml")).unwrap();
    assert_eq!(
        workflow,
        std::fs::read_to_string(repo_root().join("examples/ci/github-actions.yml")).unwrap()
    );

    grokform(["validate", "--strict"])
        .current_dir(dir.path())
        .run()
        .code(0);
    let plan = grokform(["plan", "--server", "local", "--detailed-exitcode"])
        .current_dir(dir.path())
        .run();
    plan.code(2);
    assert!(
        plan.stdout
            .starts_with("grokform will perform the following actions on local"),
        "{}",
        plan.stdout
    );
    grokform(["apply", "--server", "local", "--auto-approve"])
        .current_dir(dir.path())
        .run()
        .code(0);
    let again = grokform(["plan", "--server", "local", "--detailed-exitcode"])
        .current_dir(dir.path())
        .run();
    again.code(0);
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let run = grokform(["init"]).current_dir(dir.path()).run();
    run.code(1);
    assert!(run.stderr.contains("is not empty"), "{}", run.stderr);
    assert!(run.stderr.contains("`notes.txt`"), "{}", run.stderr);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    // A new folder named on the command line is fine.
    grokform(["init", "fresh"])
        .current_dir(dir.path())
        .run()
        .code(0);
    assert!(dir.path().join("fresh/grokform.yaml").is_file());
}
