//! Schema safety through the binary: a CSV that renames a column the quickstart's layout
//! charts is refused by `plan` and `apply` before anything is sent, and uploaded (with a
//! warning) once the table sets `allow_column_removal: true`.

use grokform::emulator::RequestRecord;

use crate::project::{Project, emulator, filters, held};

/// The writes (anything but GET) among `requests`, as `METHOD path`.
fn writes(requests: &[RequestRecord]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| !r.is_read())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The quickstart applied, then `revenue` renamed to `revenue_eur` in `data/orders.csv`: the
/// layout's grid, bar chart and line chart all use `revenue`, and `customers` has no such
/// column.
fn renamed_revenue(project: &Project) {
    project.apply();
    project.edit("data/orders.csv", |csv| {
        csv.replacen(",revenue,", ",revenue_eur,", 1)
    });
}

#[test]
fn a_renamed_column_a_layout_uses_stops_plan_and_apply_before_anything_is_sent() {
    let server = emulator();
    let project = Project::quickstart(&server);
    renamed_revenue(&project);
    let state = project.read(".grokform/state.json");
    let before = server.requests().len();

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(1);
    assert_eq!(plan.stdout, "", "no plan is printed");
    filters().bind(|| insta::assert_snapshot!("column_in_use_error", plan.stderr));

    let json = project.run(&["plan", "--format", "json", "--out", "refused.plan"]);
    json.code(1);
    assert_eq!(json.stdout, "");
    assert!(
        !project.path("refused.plan").exists(),
        "no plan file is written"
    );

    let apply = project.run(&["apply", "--auto-approve"]);
    apply.code(1);
    assert!(
        apply
            .stderr
            .contains("table.orders drops column `revenue`, used by viewer `Grid`"),
        "{}",
        apply.stderr
    );
    assert_eq!(writes(&server.requests()[before..]), Vec::<String>::new());
    assert_eq!(
        project.read(".grokform/state.json"),
        state,
        "the state is untouched"
    );
}

#[test]
fn allow_column_removal_uploads_the_csv_with_a_warning() {
    let server = emulator();
    let project = Project::quickstart(&server);
    renamed_revenue(&project);
    project.edit("grokform.yaml", |m| {
        m.replace(
            "    source: data/orders.csv\n",
            "    source: data/orders.csv\n    allow_column_removal: true\n",
        )
    });
    let table_id = project.state()["resources"]["table.orders"]["remote_id"].clone();

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(plan.stdout.contains("~ table.orders"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("header:  + revenue_eur, - revenue"),
        "{}",
        plan.stdout
    );
    for viewer in [
        "`Bar chart \"Revenue by region\"`",
        "`Grid`",
        "`Line chart`",
    ] {
        let warning = format!(
            "  - table.orders drops column `revenue`, used by viewer {viewer} of layout `sales-overview` in dashboard.sales-overview; uploaded anyway (`allow_column_removal: true`): the viewer will show nothing\n"
        );
        assert!(plan.stdout.contains(&warning), "{warning}\n{}", plan.stdout);
    }

    project.apply();
    let orders = held(&server, "tables")
        .into_iter()
        .find(|t| t["name"] == "Admin:Sales:Orders")
        .unwrap();
    assert_eq!(orders["id"], table_id);
    assert_eq!(
        project.state()["resources"]["table.orders"]["attributes"]["columns"][7],
        "revenue_eur"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
