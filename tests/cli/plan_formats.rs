//! The machine-readable plan and apply report (`--format json`, checked against the committed
//! JSON Schemas) and the Markdown plan posted on pull requests, including one too big for a
//! comment.

use serde_json::Value;

use crate::support::{TestContext, repo_root};

fn validate_against(schema_file: &str, value: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema").join(schema_file)).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}\n{value:#}");
}

#[test]
fn json_plans_and_apply_reports_match_their_schemas() {
    let project = TestContext::quickstart();

    let first = project.run(&["plan", "--format", "json", "--out", "p.plan"]);
    first.code(0);
    let value: Value = serde_json::from_str(&first.stdout).expect("stdout is only JSON");
    validate_against("plan.schema.json", &value);
    assert_eq!(
        first.stdout,
        project.read("p.plan"),
        "--format json is the saved file"
    );

    let report = project.run(&["apply", "p.plan", "--format", "json"]);
    report.code(0);
    let value: Value = serde_json::from_str(&report.stdout).expect("stdout is only JSON");
    validate_against("apply-report.schema.json", &value);
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["succeeded"].as_array().unwrap().len(), 9);
    assert_eq!(value["failed"], Value::Array(vec![]));
    assert_eq!(value["interrupted"], false);

    // An update, a replace with shares following, a forget: the richer shapes validate too.
    project.edit("data/customers.csv", |c| {
        format!("{c}C-999,Zed,SMB,North,Oslo,2026-01-01\n")
    });
    project.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    project.edit("grokform.yaml", |m| {
        m.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    let second = project.run(&[
        "plan",
        "--format",
        "json",
        "--detailed-exitcode",
        "--replace",
        "dashboard.customers",
    ]);
    second.code(2);
    let value: Value = serde_json::from_str(&second.stdout).unwrap();
    validate_against("plan.schema.json", &value);
    let actions: Vec<&str> = value["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    for action in ["update", "replace", "forget"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(
        value["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["save_in_place"] == true),
        "the layout edit is saved in place"
    );
    let report = project.run(&[
        "apply",
        "--auto-approve",
        "--format",
        "json",
        "--replace",
        "dashboard.customers",
    ]);
    report.code(0);
    let value: Value = serde_json::from_str(&report.stdout).unwrap();
    validate_against("apply-report.schema.json", &value);

    // Nothing to do is still a valid report.
    let empty = project.run(&["apply", "--auto-approve", "--format", "json"]);
    empty.code(0);
    let value: Value = serde_json::from_str(&empty.stdout).unwrap();
    validate_against("apply-report.schema.json", &value);
    assert_eq!(value["succeeded"], Value::Array(vec![]));
}

#[test]
fn markdown_of_a_real_plan_is_ready_to_post() {
    let project = TestContext::quickstart();
    project.apply();
    project.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    project.edit("grokform.yaml", |m| {
        m.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    let run = project.run(&["plan", "--format", "markdown"]);
    run.code(0);
    let md = &run.stdout;
    // Warnings come before the sections.
    let warnings_at = md
        .find("URL")
        .expect("the replaced dashboard's URL is warned about");
    let first_section = md.find("<details>").unwrap();
    assert!(warnings_at < first_section, "{md}");
    assert!(md.contains("| Action | Count |"), "{md}");
    project
        .filters()
        .bind(|| insta::assert_snapshot!("markdown_real_plan", md));
}

#[test]
fn markdown_of_a_huge_layout_diff_is_truncated_under_the_comment_limit() {
    let project = TestContext::quickstart();
    let columns = |prefix: &str| -> Value {
        Value::Array(
            (0..4000)
                .map(|i| Value::from(format!("{prefix}_column_{i:05}")))
                .collect(),
        )
    };
    let layout = |prefix: &str| -> String {
        let mut layout: Value =
            serde_json::from_str(&project.read("layouts/sales-overview.layout.json")).unwrap();
        layout["viewStateMap"]["viewers"][0]["look"]["columnNames"] = columns(prefix);
        serde_json::to_string_pretty(&layout).unwrap()
    };
    project.write("layouts/sales-overview.layout.json", &layout("before"));
    project.apply();
    project.write("layouts/sales-overview.layout.json", &layout("after"));
    let run = project.run(&["plan", "--format", "markdown", "--detailed-exitcode"]);
    run.code(2);
    let md = &run.stdout;
    assert!(
        md.chars().count() < 60_000,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("truncated"), "the note says it was cut: {md}");
    // The layout is saved in place; its section header stays, even when its diff was cut.
    assert!(md.contains("~ dashboard.sales-overview"), "{md}");
    // Keep the snapshot readable: the kept diff lines are regular, keep only the head and tail.
    let lines: Vec<&str> = md.lines().collect();
    let mut shown: Vec<String> = Vec::new();
    let mut elided = 0;
    for line in &lines {
        if line.contains("_column_") {
            elided += 1;
            if elided <= 3 {
                shown.push((*line).to_string());
            }
        } else {
            if elided > 3 {
                shown.push(format!("[… {} more column lines …]", elided - 3));
            }
            elided = 0;
            shown.push((*line).to_string());
        }
    }
    let text = shown.join("\n");
    project
        .filters()
        .bind(|| insta::assert_snapshot!("markdown_truncated_plan", text));
}
