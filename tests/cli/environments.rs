//! Environments (`--env`, `GROKFORM_ENV`): each keeps its own state and names itself first in
//! every plan; a saved plan is refused in another environment.

use serde_json::Value;

use crate::support::{TestContext, grokform_snapshot, writes_since};

#[test]
fn environments_keep_their_own_state_and_name_themselves_first() {
    let context = TestContext::example("environments");

    grokform_snapshot!(
        "staging_plan",
        context.filters(),
        context.run(&["plan", "--env", "staging", "--detailed-exitcode"])
    );
    let markdown = context.run(&["plan", "--env", "staging", "--format", "markdown"]);
    assert_eq!(
        markdown.stdout.lines().next().unwrap(),
        format!(
            "### grokform plan for {} (environment: staging)",
            context.url
        )
    );

    let apply = context.run(&["apply", "--env", "staging", "--auto-approve"]);
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
    let state: Value = serde_json::from_str(&context.read(".grokform/staging/state.json")).unwrap();
    assert_eq!(state["resources"].as_object().unwrap().len(), 3);
    assert!(!context.path(".grokform/state.json").exists());

    // Staging is done; the default environment has not seen any of it.
    grokform_snapshot!(
        "staging_is_done",
        context.filters(),
        context.run(&["plan", "--env", "staging", "--detailed-exitcode"])
    );
    grokform_snapshot!(
        "the_default_environment_is_not",
        context.filters(),
        context.run(&["plan", "--detailed-exitcode"])
    );
    // GROKFORM_ENV selects it as well.
    let via_env = context
        .grokform(&["plan", "--detailed-exitcode"])
        .env("GROKFORM_ENV", "staging")
        .run();
    via_env.code(0);

    // A saved plan records its environment and is refused in another one.
    context
        .run(&["plan", "--env", "staging", "--out", "staging.plan"])
        .code(0);
    let saved: Value = serde_json::from_str(&context.read("staging.plan")).unwrap();
    assert_eq!(saved["environment"], "staging");
    let before = context.server().requests().len();
    grokform_snapshot!(
        "a_staging_plan_without_env",
        context.filters(),
        context.run(&["apply", "staging.plan"])
    );
    assert_eq!(writes_since(context.server(), before), Vec::<String>::new());
    assert!(!context.path(".grokform/state.json").exists());
    grokform_snapshot!(
        "a_staging_plan_in_staging",
        context.filters(),
        context.run(&["apply", "staging.plan", "--env", "staging"])
    );
}
