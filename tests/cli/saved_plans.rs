//! Saved plans (`plan --out FILE`, then `apply FILE`): applied exactly and without a prompt,
//! and refused, naming why and writing nothing, when anything moved since the review: the
//! state, the server, a source file, the manifest, the set of inputs. Each refusal is
//! snapshotted whole: its wording is what a reviewer reads in CI.

use serde_json::Value;

use crate::support::{Run, Server, TestContext, grokform_snapshot, writes_since};

/// `apply FILE` refused, having written nothing to the server and left the state as it was.
#[track_caller]
fn refused(context: &TestContext, file: &str) -> Run {
    let before = context.server().requests().len();
    let state_before = std::fs::read(context.path(".grokform/state.json")).ok();
    let run = context.run(&["apply", file]);
    run.code(1);
    assert_eq!(
        writes_since(context.server(), before),
        Vec::<String>::new(),
        "nothing is written on refusal"
    );
    assert_eq!(
        std::fs::read(context.path(".grokform/state.json")).ok(),
        state_before,
        "the state is untouched"
    );
    run
}

#[test]
fn a_saved_plan_is_applied_exactly_without_a_prompt_and_then_nothing_is_left() {
    let context = TestContext::quickstart();
    let server = context.server();

    let plan = context.run(&[
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
    assert_eq!(
        plan.stderr,
        "Saved the plan to `grokform.plan`; apply it with `grokform apply grokform.plan`.\n"
    );
    assert_eq!(
        writes_since(server, 0),
        Vec::<String>::new(),
        "plan writes nothing"
    );
    let saved: Value = serde_json::from_str(&context.read("grokform.plan")).unwrap();
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
    let apply = context.run(&["apply", "grokform.plan"]);
    apply.code(0);
    assert!(!apply.stderr.contains("Enter a value"), "{}", apply.stderr);
    assert!(
        apply.stderr.contains("Apply complete: 8 created, 1 ran."),
        "{}",
        apply.stderr
    );
    assert_eq!(context.held("tables").len(), 2);
    assert_eq!(context.held("dashboards").len(), 2);
    assert_eq!(context.held("shares").len(), 3);
    assert_eq!(context.held("calls").len(), 1);
    // The state continues the history the reviewed plan recorded.
    assert_eq!(context.state()["lineage"], saved["state"]["lineage"]);

    grokform_snapshot!(
        "no_changes_after_the_saved_plan",
        context.filters(),
        context.run(&["plan", "--detailed-exitcode"])
    );

    // The same file cannot be applied twice: the state moved under it. How many saves an
    // apply makes depends on how its concurrent actions shared them.
    let filters = context.filters().regex(r"now \d+\)", "now [SERIAL])");
    grokform_snapshot!(
        "saved_plan_applied_twice",
        filters,
        refused(&context, "grokform.plan")
    );
}

#[test]
fn a_saved_plan_is_refused_when_another_apply_moved_the_state() {
    let context = TestContext::quickstart();
    context.apply();
    context.edit("data/orders.csv", |csv| {
        format!("{csv}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    context
        .run(&["plan", "--out", "reviewed.plan", "--detailed-exitcode"])
        .code(2);
    // Another run (a later merge) applies first.
    context.apply();
    let saved: Value = serde_json::from_str(&context.read("reviewed.plan")).unwrap();
    let serial = context.state()["serial"].as_u64().unwrap();
    let planned = saved["state"]["serial"].as_u64().unwrap();
    assert!(serial > planned);
    let filters = context.filters().literal(
        &format!("serial {planned}, now {serial}"),
        "serial [PLANNED], now [NOW]",
    );
    grokform_snapshot!(filters, refused(&context, "reviewed.plan"));
}

#[test]
fn a_saved_plan_is_refused_on_another_server() {
    let context = TestContext::quickstart();
    let second = Server::new().start();
    context.run(&["plan", "--out", "p.plan"]).code(0);
    let before_first = context.server().requests().len();
    let before = second.requests().len();
    let run = context
        .grokform(&["apply", "p.plan"])
        .env("DATAGROK_URL", second.url())
        .run();
    // Both servers listen on 127.0.0.1; their ports tell them apart.
    let filters = context
        .filters()
        .literal(&second.url(), "http://127.0.0.1:[SECOND]/api");
    grokform_snapshot!(filters, run);
    assert_eq!(writes_since(&second, before), Vec::<String>::new());
    assert_eq!(
        writes_since(context.server(), before_first),
        Vec::<String>::new()
    );
    assert!(!context.path(".grokform/state.json").exists());
}

#[test]
fn a_saved_plan_is_refused_when_a_source_file_changed() {
    let context = TestContext::quickstart();
    context.run(&["plan", "--out", "p.plan"]).code(0);
    context.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    grokform_snapshot!(context.filters(), refused(&context, "p.plan"));
    assert_eq!(context.held("tables").len(), 0);
}

#[test]
fn a_saved_plan_is_refused_when_the_manifest_changed() {
    let context = TestContext::quickstart();
    context.apply();
    context.run(&["plan", "--out", "p.plan"]).code(0);
    context.edit("grokform.yaml", |m| {
        m.replace("access: Edit", "access: View")
    });
    // Only the manifest is named: its sources did not change.
    grokform_snapshot!(context.filters(), refused(&context, "p.plan"));
}

#[test]
fn a_saved_plan_is_refused_when_a_source_was_added_or_removed() {
    let context = TestContext::quickstart();
    context.run(&["plan", "--out", "p.plan"]).code(0);

    // A new table with its own CSV: a new input.
    context.write("data/products.csv", "sku,name\nW-1,Widget\n");
    context.edit("grokform.yaml", |m| {
        m.replace(
            "tables:\n",
            "tables:\n  products:\n    name: Admin:${var.project}:Products\n    source: data/products.csv\n",
        )
    });
    grokform_snapshot!(
        "a_source_was_added",
        context.filters(),
        refused(&context, "p.plan")
    );

    // Back to the reviewed manifest, less the file resource: its source is no longer an input.
    let context = context.checkout();
    context.run(&["plan", "--out", "p.plan"]).code(0);
    context.edit("grokform.yaml", |m| {
        let start = m.find("files:\n").unwrap();
        let end = m.find("tables:\n").unwrap();
        format!("{}{}", &m[..start], &m[end..])
    });
    grokform_snapshot!(
        "a_source_was_removed",
        context.filters(),
        refused(&context, "p.plan")
    );
}
