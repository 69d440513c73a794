//! Saved plans (`plan --out FILE`, then `apply FILE`): applied exactly and without a prompt,
//! and refused, naming why and writing nothing, when anything moved since the review: the
//! state, the server, a source file, the manifest, the set of inputs.

use grokform::emulator::Emulator;
use serde_json::Value;

use crate::project::{Project, emulator, filters, held};
use crate::support::{unwrapped, writes_since};

/// `apply FILE` refused as stale for `reasons`, having written nothing to `server`.
#[track_caller]
fn assert_refused(project: &Project, server: &Emulator, file: &str, reasons: &[&str]) -> String {
    let before = server.requests().len();
    let state_before = std::fs::read(project.path(".grokform/state.json")).ok();
    let mut run = project.run(&["apply", file]);
    run.code(1);
    run.stderr = unwrapped(&run.stderr);
    assert!(
        run.stderr.contains("the saved plan is stale: "),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("the saved plan is stale").count(),
        1,
        "said once: {}",
        run.stderr
    );
    for reason in reasons {
        assert!(
            run.stderr.contains(reason),
            "the refusal names `{reason}`: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("grokform plan --out FILE"),
        "{}",
        run.stderr
    );
    assert_eq!(
        writes_since(server, before),
        Vec::<String>::new(),
        "nothing is written on refusal"
    );
    assert_eq!(
        std::fs::read(project.path(".grokform/state.json")).ok(),
        state_before,
        "the state is untouched"
    );
    run.stderr.clone()
}

#[test]
fn a_saved_plan_is_applied_exactly_without_a_prompt_and_then_nothing_is_left() {
    let server = emulator();
    let project = Project::quickstart(&server);

    let plan = project.run(&[
        "plan",
        "--detailed-exitcode",
        "--format",
        "markdown",
        "--out",
        "grokform.plan",
    ]);
    plan.code(2);
    assert!(
        plan.stdout.starts_with("### grokform plan for "),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stderr
            .contains("apply it with `grokform apply grokform.plan`"),
        "{}",
        plan.stderr
    );
    assert_eq!(
        writes_since(&server, 0),
        Vec::<String>::new(),
        "plan writes nothing"
    );
    let saved: Value = serde_json::from_str(&project.read("grokform.plan")).unwrap();
    assert_eq!(saved["server"], server.url());
    assert_eq!(saved["state"]["serial"], 0);
    let inputs: Vec<&String> = saved["inputs"].as_object().unwrap().keys().collect();
    assert_eq!(
        inputs,
        [
            "data/customers.csv",
            "data/orders.csv",
            "data/regions.md",
            "grokform.yaml",
            "layouts/sales-overview.layout.json"
        ]
    );

    // Standard input is a pipe, not a terminal, and there is no --auto-approve: a saved plan
    // is its own approval.
    let apply = project.run(&["apply", "grokform.plan"]);
    apply.code(0);
    assert!(!apply.stderr.contains("Enter a value"), "{}", apply.stderr);
    assert!(
        apply.stderr.contains("Apply complete: 8 created, 1 ran."),
        "{}",
        apply.stderr
    );
    assert_eq!(held(&server, "tables").len(), 2);
    assert_eq!(held(&server, "dashboards").len(), 2);
    assert_eq!(held(&server, "shares").len(), 3);
    assert_eq!(held(&server, "calls").len(), 1);
    // The state continues the history the reviewed plan recorded.
    assert_eq!(project.state()["lineage"], saved["state"]["lineage"]);

    let again = project.run(&["plan", "--detailed-exitcode"]);
    again.code(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);

    // The same file cannot be applied twice: the state moved under it.
    let stderr = assert_refused(
        &project,
        &server,
        "grokform.plan",
        &["the state moved since the plan was made (serial 0, now "],
    );
    // How many saves an apply makes depends on how its concurrent actions shared them.
    let mut settings = filters();
    settings.add_filter(r"now \d+\)", "now [SERIAL])");
    settings.bind(|| insta::assert_snapshot!("saved_plan_applied_twice", stderr));
}

#[test]
fn a_saved_plan_is_refused_when_another_apply_moved_the_state() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.edit("data/orders.csv", |csv| {
        format!("{csv}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    project
        .run(&["plan", "--out", "reviewed.plan", "--detailed-exitcode"])
        .code(2);
    // Another run (a later merge) applies first.
    project.apply();
    let saved: Value = serde_json::from_str(&project.read("reviewed.plan")).unwrap();
    let serial = project.state()["serial"].as_u64().unwrap();
    assert!(serial > saved["state"]["serial"].as_u64().unwrap());
    assert_refused(
        &project,
        &server,
        "reviewed.plan",
        &[&format!(
            "the state moved since the plan was made (serial {}, now {serial})",
            saved["state"]["serial"]
        )],
    );
}

#[test]
fn a_saved_plan_is_refused_on_another_server() {
    let first = emulator();
    let second = emulator();
    let project = Project::quickstart(&first);
    project.run(&["plan", "--out", "p.plan"]).code(0);
    let before_first = first.requests().len();
    let before = second.requests().len();
    let run = project
        .grokform(&["apply", "p.plan"])
        .env("DATAGROK_URL", second.url())
        .run();
    run.code(1);
    assert!(
        unwrapped(&run.stderr).contains(&format!(
            "the plan targets `{}` but this apply targets `{}`",
            first.url(),
            second.url()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(writes_since(&second, before), Vec::<String>::new());
    assert_eq!(writes_since(&first, before_first), Vec::<String>::new());
    assert!(!project.path(".grokform/state.json").exists());
}

#[test]
fn a_saved_plan_is_refused_when_a_source_file_changed() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "p.plan"]).code(0);
    project.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    assert_refused(
        &project,
        &server,
        "p.plan",
        &["`layouts/sales-overview.layout.json` changed since the plan was made"],
    );
    assert_eq!(held(&server, "tables").len(), 0);
}

#[test]
fn a_saved_plan_is_refused_when_the_manifest_changed() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.run(&["plan", "--out", "p.plan"]).code(0);
    project.edit("grokform.yaml", |m| {
        m.replace("access: Edit", "access: View")
    });
    let stderr = assert_refused(
        &project,
        &server,
        "p.plan",
        &["`grokform.yaml` changed since the plan was made"],
    );
    assert!(
        !stderr.contains("data/"),
        "only the manifest is named: {stderr}"
    );
}

#[test]
fn a_saved_plan_is_refused_when_a_source_was_added_or_removed() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "p.plan"]).code(0);

    // A new table with its own CSV: a new input.
    project.write("data/products.csv", "sku,name\nW-1,Widget\n");
    project.edit("grokform.yaml", |m| {
        m.replace(
            "tables:\n",
            "tables:\n  products:\n    name: Admin:${var.project}:Products\n    source: data/products.csv\n",
        )
    });
    assert_refused(
        &project,
        &server,
        "p.plan",
        &[
            "`data/products.csv` is a new input since the plan was made",
            "`grokform.yaml` changed since the plan was made",
        ],
    );

    // Back to the reviewed manifest, less the file resource: its source is no longer an input.
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "p.plan"]).code(0);
    project.edit("grokform.yaml", |m| {
        let start = m.find("files:\n").unwrap();
        let end = m.find("tables:\n").unwrap();
        format!("{}{}", &m[..start], &m[end..])
    });
    assert_refused(
        &project,
        &server,
        "p.plan",
        &["`data/regions.md` is no longer an input"],
    );
}
