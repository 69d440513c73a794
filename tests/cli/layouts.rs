//! Layouts compared by meaning, through the binary against the emulator: a layout exported
//! again from Datagrok with only server-owned fields changed plans nothing; a viewer edit
//! plans a replace with a viewer summary above the diff; `tableName` follows `tableId`.

use serde_json::{Map, Value, json};

use crate::project::{Project, emulator, filters, held};

const LAYOUT: &str = "layouts/sales-overview.layout.json";

/// The quickstart's layout as the Datagrok UI exports it: every viewer with its UUID, a
/// `tableName` beside the `tableId`, column tags with IDs, a fractional width, an author and
/// a date. `n` makes the server-owned values differ per export.
fn exported(project: &Project, n: u32, width: f64) -> Value {
    let mut layout: Value = serde_json::from_str(&project.read(LAYOUT)).unwrap();
    let uuid = |i: u32| format!("{n:08x}-48b0-11f1-921a-{i:012x}");
    for (i, viewer) in layout["viewStateMap"]["viewers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        viewer["id"] = json!(uuid(i as u32));
    }
    let view = layout["viewStateMap"].as_object_mut().unwrap();
    view.insert("tableName".into(), json!("orders (2)"));
    view.insert("state".into(), json!({"width": width, "height": 833}));
    for (i, column) in layout["columns"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        column["entityTags"] =
            json!([{"tag": ".semantic-detection-duration", "id": uuid(100 + i as u32)}]);
        column["metaParams"] = json!({".semantic-detection-duration": format!("{}", n + i as u32)});
    }
    layout["author"] = json!({"id": uuid(999)});
    layout["createdOn"] = json!(format!("2026-05-{:02}T21:56:31.107Z", n));
    layout
}

/// The same JSON with every object's keys in reverse order, on one line.
fn reordered(value: &Value) -> String {
    fn reverse(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map.iter().rev() {
                    out.insert(k.clone(), reverse(v));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(reverse).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&reverse(value)).unwrap()
}

#[test]
fn a_layout_exported_again_with_only_server_fields_changed_plans_nothing() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let first = exported(&project, 12, 1616.0423728813557);
    project.write(LAYOUT, &serde_json::to_string_pretty(&first).unwrap());
    project.apply();

    // `tableName` followed the table the template names.
    let orders = held(&server, "tables")
        .into_iter()
        .find(|t| t["name"] == "Admin:Sales:Orders")
        .unwrap();
    let dashboard = held(&server, "dashboards")
        .into_iter()
        .find(|d| d["name"] == "Sales overview")
        .unwrap();
    let sent = &dashboard["layout"]["viewStateMap"];
    assert_eq!(sent["tableId"], orders["id"], "{dashboard:#}");
    assert_eq!(sent["tableName"], json!("Orders"), "{dashboard:#}");

    let again = exported(&project, 13, 1616.04);
    let text = reordered(&again);
    assert_ne!(project.read(LAYOUT), text);
    project.write(LAYOUT, &text);
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("No changes. The server matches the manifest."),
        "{}",
        plan.stdout
    );

    // a real width change is a change
    project.write(LAYOUT, &reordered(&exported(&project, 14, 1200.0)));
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout.contains("~ dashboard.sales-overview"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+      \"width\": 1200"),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_viewer_title_edit_shows_the_viewer_summary_above_the_diff() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.edit(LAYOUT, |text| {
        text.replace("\"Revenue by region\"", "\"Revenue per region\"")
    });

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    let line =
        "~ Bar chart (region, revenue): title \"Revenue by region\" → \"Revenue per region\"";
    assert!(plan.stdout.contains(line), "{}", plan.stdout);
    assert!(
        plan.stdout.find("viewers:") < plan.stdout.find("layout:"),
        "{}",
        plan.stdout
    );
    filters().bind(|| insta::assert_snapshot!("viewer_title_edit_plan", plan.stdout));

    let markdown = project.run(&["plan", "--format", "markdown", "--detailed-exitcode"]);
    markdown.code(2);
    assert!(markdown.stdout.contains(line), "{}", markdown.stdout);
    filters().bind(|| insta::assert_snapshot!("viewer_title_edit_markdown", markdown.stdout));

    let json = project.run(&["plan", "--format", "json"]);
    json.code(0);
    let plan: Value = serde_json::from_str(&json.stdout).unwrap();
    let change = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "dashboard.sales-overview")
        .unwrap();
    assert_eq!(change["layout_summary"][0]["change"], "changed");
    assert_eq!(change["layout_summary"][0]["viewer"], "Bar chart");

    // applied, the edit is recorded and the next plan is clean
    project.apply();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
