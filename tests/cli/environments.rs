//! Environments (`--env`, `GROKFORM_ENV`): each keeps its own state and names itself first in
//! every plan; a saved plan is refused in another environment.

use serde_json::Value;

use crate::project::{Project, emulator};
use crate::support::{unwrapped, writes_since};

#[test]
fn environments_keep_their_own_state_and_name_themselves_first() {
    let server = emulator();
    let project = Project::example("environments", &server);
    let url = server.url();

    let plan = project.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    plan.code(2);
    let first_line = plan.stdout.lines().next().unwrap();
    assert_eq!(
        first_line,
        format!("grokform will perform the following actions on {url} (environment: staging):")
    );
    let markdown = project.run(&["plan", "--env", "staging", "--format", "markdown"]);
    assert_eq!(
        markdown.stdout.lines().next().unwrap(),
        format!("### grokform plan for {url} (environment: staging)")
    );

    let apply = project.run(&["apply", "--env", "staging", "--auto-approve"]);
    apply.code(0);
    assert!(
        apply
            .stdout
            .lines()
            .next()
            .unwrap()
            .contains("(environment: staging)"),
        "{}",
        apply.stdout
    );
    let state: Value = serde_json::from_str(&project.read(".grokform/staging/state.json")).unwrap();
    assert_eq!(state["resources"].as_object().unwrap().len(), 3);
    assert!(!project.path(".grokform/state.json").exists());

    // Staging is done; the default environment has not seen any of it.
    let staging = project.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    staging.code(0);
    assert_eq!(
        staging.stdout.lines().next().unwrap(),
        format!("grokform plan for {url} (environment: staging)")
    );
    let default = project.run(&["plan", "--detailed-exitcode"]);
    default.code(2);
    assert!(default.stdout.contains("3 to create"), "{}", default.stdout);
    assert!(
        default.stdout.starts_with(&format!(
            "grokform will perform the following actions on {url}:"
        )),
        "{}",
        default.stdout
    );
    // GROKFORM_ENV selects it as well.
    let via_env = project
        .grokform(&["plan", "--detailed-exitcode"])
        .env("GROKFORM_ENV", "staging")
        .run();
    via_env.code(0);

    // A saved plan records its environment and is refused in another one.
    project
        .run(&["plan", "--env", "staging", "--out", "staging.plan"])
        .code(0);
    let saved: Value = serde_json::from_str(&project.read("staging.plan")).unwrap();
    assert_eq!(saved["environment"], "staging");
    let before = server.requests().len();
    let wrong = project.run(&["apply", "staging.plan"]);
    wrong.code(1);
    assert!(
        unwrapped(&wrong.stderr).contains(
            "the plan was made for environment `staging` but this apply uses no environment (the manifest's top level)"
        ),
        "{}",
        wrong.stderr
    );
    assert_eq!(writes_since(&server, before), Vec::<String>::new());
    assert!(!project.path(".grokform/state.json").exists());
    let right = project.run(&["apply", "staging.plan", "--env", "staging"]);
    right.code(0);
    assert!(right.stdout.contains("No changes"), "{}", right.stdout);
}
