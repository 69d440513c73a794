//! Adopting objects that already exist on the server (`grokform import`, `import:` blocks) and
//! renaming managed addresses (`moved:` blocks), through the binary against the emulator. The
//! objects are made by hand through the emulator's public routes, as a person or another tool
//! would have made them; what matters is what grokform sends afterwards (nothing that creates)
//! and that the next plan is honest.

use grokform::emulator::Emulator;
use serde_json::Value;

use crate::emulator_http::api;
use crate::project::{Project, emulator, held};
use crate::support::writes_since;

const ORDERS: &str = "id,region,amount\n1,North,10\n2,South,20\n";
const CUSTOMERS: &str = "id,name\n1,Ann\n2,Bob\n";

/// Two tables, a dashboard holding both, a grant for Analysts; `extra` appended.
fn manifest(dashboard_key: &str, extra: &str) -> String {
    format!(
        r#"version: 1
tables:
  orders:
    name: Admin:Sales:Orders
    source: data/orders.csv
  customers:
    name: Admin:Sales:Customers
    source: data/customers.csv
dashboards:
  {dashboard_key}:
    name: Sales
    tables: [orders, customers]
shares:
  - dashboard: {dashboard_key}
    groups: [Analysts]
{extra}"#
    )
}

fn project(server: &Emulator, manifest: &str) -> Project {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/orders.csv"), ORDERS).unwrap();
    std::fs::write(dir.path().join("data/customers.csv"), CUSTOMERS).unwrap();
    std::fs::write(dir.path().join("grokform.yaml"), manifest).unwrap();
    Project::at(dir, server)
}

/// Uploads a table by hand; returns its ID.
fn table_by_hand(server: &Emulator, name: &str, csv: &str) -> String {
    let answer = api(server, "POST", &format!("/public/v1/tables/{name}"))
        .body(csv.to_string())
        .send()
        .json();
    answer["ID"].as_str().expect("a table ID").to_string()
}

/// Creates a dashboard by hand holding `tables`, shared with Analysts; returns its ID.
fn dashboard_by_hand(server: &Emulator, name: &str, tables: &[&str]) -> String {
    let answer = api(
        server,
        "POST",
        &format!("/public/v1/dashboards/{name}/{}", tables.join(",")),
    )
    .send()
    .json();
    let id = answer["ID"].as_str().expect("a dashboard ID").to_string();
    api(
        server,
        "POST",
        &format!("/public/v1/entities/{id}/shares?groups=Analysts&access=View"),
    )
    .send()
    .ok();
    id
}

/// The two tables and the dashboard, made by hand: (orders, customers, dashboard) IDs.
fn made_by_hand(server: &Emulator) -> (String, String, String) {
    let orders = table_by_hand(server, "Admin.Sales.Orders", ORDERS);
    let customers = table_by_hand(server, "Admin.Sales.Customers", CUSTOMERS);
    let dashboard = dashboard_by_hand(server, "Sales", &[&orders, &customers]);
    (orders, customers, dashboard)
}

fn resource<'s>(state: &'s Value, address: &str) -> &'s Value {
    &state["resources"][address]
}

#[test]
fn import_adopts_what_was_made_by_hand_and_the_next_plan_is_clean() {
    let server = emulator();
    let (orders, customers, dashboard) = made_by_hand(&server);
    let project = project(&server, &manifest("sales", ""));
    let before = server.requests().len();

    let run = project.run(&["import", "table.orders", "Admin:Sales:Orders"]);
    run.code(0);
    assert!(
        run.stdout.contains(&format!(
            "Imported `table.orders` (ID `{orders}`, found by name `Admin:Sales:Orders`)."
        )),
        "{}",
        run.stdout
    );
    project
        .run(&["import", "table.customers", &customers])
        .code(0);
    let run = project.run(&["import", "dashboard.sales", "Sales"]);
    run.code(0);
    assert!(
        run.stdout
            .contains("Imported `share.sales.Analysts` (found by grant of `Analysts`)."),
        "{}",
        run.stdout
    );
    assert_eq!(writes_since(&server, before), Vec::<String>::new());

    let state = project.state();
    assert_eq!(state["serial"], 3, "one save per import");
    assert_eq!(
        resource(&state, "dashboard.sales")["remote_id"],
        dashboard.as_str()
    );
    assert_eq!(
        resource(&state, "table.customers")["remote_id"],
        customers.as_str()
    );

    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("No changes. The server matches the manifest."),
        "{}",
        plan.stdout
    );

    // already managed, not in the manifest: errors that change nothing
    let again = project.run(&["import", "dashboard.sales", &dashboard]);
    again.code(1);
    assert!(
        again
            .stderr
            .contains("`dashboard.sales` is already managed"),
        "{}",
        again.stderr
    );
    let unknown = project.run(&["import", "dashboard.sale", "Sales"]);
    unknown.code(1);
    assert!(
        unknown
            .stderr
            .contains("`dashboard.sale` is not a resource of")
            && unknown.stderr.contains("dashboard.sales"),
        "{}",
        unknown.stderr
    );
    let missing = project.run(&["import", "table.orders", "Admin:Sales:Nothing"]);
    missing.code(1);
    assert_eq!(project.state()["serial"], 3);
}

#[test]
fn an_imported_object_that_differs_plans_as_an_ordinary_change() {
    let server = emulator();
    let orders = table_by_hand(
        &server,
        "Admin.Sales.Orders",
        "id,region,amount\n1,North,10\n",
    );
    let project = project(&server, &manifest("sales", ""));
    project.run(&["import", "table.orders", &orders]).code(0);
    let plan = project.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains("~ table.orders") && plan.stdout.contains("data changed"),
        "{}",
        plan.stdout
    );
    // the table keeps its ID: an update, not a new table
    assert!(!plan.stdout.contains("+ table.orders"), "{}", plan.stdout);
}

#[test]
fn an_ambiguous_name_lists_every_match_with_its_id() {
    let server = emulator();
    let orders = table_by_hand(&server, "Admin.Sales.Orders", ORDERS);
    table_by_hand(&server, "Admin.Sales.Customers", CUSTOMERS);
    let first = dashboard_by_hand(&server, "Sales", &[&orders]);
    let second = dashboard_by_hand(&server, "Sales", &[&orders]);
    let project = project(&server, &manifest("sales", ""));
    let run = project.run(&["import", "dashboard.sales", "Sales"]);
    run.code(1);
    let err = crate::support::unwrapped(&run.stderr);
    assert!(
        err.contains("2 objects on the server match name `Sales`"),
        "{err}"
    );
    assert!(err.contains(&first) && err.contains(&second), "{err}");
    assert!(err.contains("import one of them by its ID"), "{err}");
    assert!(!project.path(".grokform/state.json").exists());

    // the same through an `import:` block
    let blocks = project_with_blocks(&server, "name: Sales");
    let plan = blocks.run(&["plan"]);
    plan.code(1);
    assert!(
        crate::support::unwrapped(&plan.stderr).contains("2 objects on the server match"),
        "{}",
        plan.stderr
    );
}

fn project_with_blocks(server: &Emulator, dashboard_lookup: &str) -> Project {
    project(
        server,
        &manifest(
            "sales",
            &format!(
                "import:\n  - to: table.orders\n    name: Admin:Sales:Orders\n  - to: table.customers\n    name: Admin:Sales:Customers\n  - to: dashboard.sales\n    {dashboard_lookup}\n"
            ),
        ),
    )
}

/// The issue's "Done when": a dashboard and its two tables made by hand are adopted by
/// `import:` blocks in one reviewed (saved) plan without a single create request, and later
/// renamed through `moved:` without a new dashboard.
#[test]
fn import_blocks_in_a_saved_plan_then_a_moved_rename() {
    let server = emulator();
    let (_orders, _customers, dashboard) = made_by_hand(&server);
    let project = project_with_blocks(&server, &format!("id: {dashboard}"));

    let plan = project.run(&["plan", "--out", "adopt.json", "--detailed-exitcode"]);
    plan.code(2);
    for expected in [
        "`table.orders` will be imported",
        "`table.customers` will be imported",
        &format!(
            "`dashboard.sales` will be imported (ID `{dashboard}`, found by ID `{dashboard}`)"
        ),
        "`share.sales.Analysts` will be imported",
        "Adopt: 4 to import, 0 moved",
        "Plan: 0 to create",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "missing {expected:?} in\n{}",
            plan.stdout
        );
    }
    let saved: Value = serde_json::from_str(&project.read("adopt.json")).unwrap();
    assert_eq!(saved["imports"].as_array().unwrap().len(), 4);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::repo_root().join("schema/plan.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&saved)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let before = server.requests().len();
    let apply = project.run(&["apply", "adopt.json"]);
    apply.code(0);
    assert_eq!(
        writes_since(&server, before),
        Vec::<String>::new(),
        "no create, no share"
    );
    let state = project.state();
    assert_eq!(
        resource(&state, "dashboard.sales")["remote_id"],
        dashboard.as_str()
    );
    assert!(resource(&state, "share.sales.Analysts").is_object());
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // rename the key: `moved:` renames in the state, nothing is sent, no new dashboard
    let renamed = manifest(
        "overview",
        "moved:\n  - from: dashboard.sales\n    to: dashboard.overview\n",
    );
    project.write("grokform.yaml", &renamed);
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout
            .contains("`dashboard.sales` has moved to `dashboard.overview`"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 0 to update, 0 to replace"),
        "{}",
        plan.stdout
    );
    let before = server.requests().len();
    project.run(&["apply", "--auto-approve"]).code(0);
    assert_eq!(writes_since(&server, before), Vec::<String>::new());
    let state = project.state();
    assert_eq!(
        resource(&state, "dashboard.overview")["remote_id"],
        dashboard.as_str()
    );
    assert!(resource(&state, "share.overview.Analysts").is_object());
    assert!(resource(&state, "dashboard.sales").is_null());
    assert_eq!(held(&server, "dashboards").len(), 1);
    // the block is done: it can stay (a no-op) or go
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn moved_chains_clashes_and_kind_changes_are_located_errors() {
    let server = emulator();
    let cases = [
        (
            "moved:\n  - from: dashboard.old\n    to: dashboard.older\n  - from: dashboard.older\n    to: dashboard.sales\n",
            "`moved` chain through `dashboard.older`",
        ),
        (
            "moved:\n  - from: dashboard.a\n    to: dashboard.sales\n  - from: dashboard.b\n    to: dashboard.sales\n",
            "two `moved` blocks move to `dashboard.sales`",
        ),
        (
            "moved:\n  - from: table.old\n    to: dashboard.sales\n",
            "`moved` cannot change `table.old` into a dashboard",
        ),
        (
            "moved:\n  - from: table.orders\n    to: table.customers\n",
            "`table.orders` is moved but still in the manifest",
        ),
    ];
    for (extra, message) in cases {
        let project = project(&server, &manifest("sales", extra));
        let run = project.run(&["validate"]);
        run.code(1);
        let err = crate::support::unwrapped(&run.stderr);
        assert!(err.contains(message), "missing {message:?} in\n{err}");
        assert!(err.contains("grokform::manifest::invalid_moved"), "{err}");
        assert!(err.contains("grokform.yaml:"), "located: {err}");
    }

    // a clash with the state: both addresses are managed
    let (_o, _c, _d) = made_by_hand(&server);
    let project = project_with_blocks(&server, "name: Sales");
    project.run(&["apply", "--auto-approve"]).code(0);
    let mut text = project.read("grokform.yaml");
    text = text.replace(
        "dashboards:\n",
        "dashboards:\n  old:\n    tables: [orders]\n",
    );
    project.write("grokform.yaml", &text);
    project.run(&["apply", "--auto-approve"]).code(0);
    let text = project
        .read("grokform.yaml")
        .replace("  old:\n    tables: [orders]\n", "")
        + "moved:\n  - from: dashboard.old\n    to: dashboard.sales\n";
    project.write("grokform.yaml", &text);
    let run = project.run(&["plan"]);
    run.code(1);
    let err = crate::support::unwrapped(&run.stderr);
    assert!(
        err.contains("the `moved` block from `dashboard.old` to `dashboard.sales` clashes"),
        "{err}"
    );
    assert!(
        err.contains("grokform.yaml:") && err.contains("already in the state"),
        "located: {err}"
    );
}

#[test]
fn bad_import_blocks_are_located_errors() {
    let server = emulator();
    let cases = [
        (
            "import:\n  - to: table.orders\n    id: a\n    name: b\n",
            "the import of `table.orders` gives both `id` and `name`",
        ),
        (
            "import:\n  - to: share.sales.Analysts\n    name: x\n",
            "`share.sales.Analysts` cannot be imported",
        ),
        (
            "import:\n  - to: dashboard.sale\n    name: Sales\n",
            "`import` names `dashboard.sale`, which the manifest does not declare",
        ),
        (
            "import:\n  - to: table.orders\n    name: a\n  - to: table.orders\n    name: b\n",
            "`table.orders` is imported twice",
        ),
    ];
    for (extra, message) in cases {
        let project = project(&server, &manifest("sales", extra));
        let run = project.run(&["validate"]);
        run.code(1);
        let err = crate::support::unwrapped(&run.stderr);
        assert!(err.contains(message), "missing {message:?} in\n{err}");
        assert!(err.contains("grokform::manifest::invalid_import"), "{err}");
        assert!(err.contains("grokform.yaml:"), "located: {err}");
    }
    let help = project(&server, &manifest("sales", "")).run(&["import", "--help"]);
    help.code(0);
    assert!(help.stdout.contains("ID-or-GROK-NAME"), "{}", help.stdout);
}

#[test]
fn import_works_on_remote_state() {
    let server = emulator();
    let (orders, _customers, _dashboard) = made_by_hand(&server);
    let remote = manifest("sales", "")
        + "state:\n  backend: datagrok\n  connector: System:AppData\n  path: grokform/state.json\n";
    let project = project(&server, &remote);
    project.run(&["import", "table.orders", &orders]).code(0);
    let list = project.run(&["state", "list"]);
    list.code(0);
    assert_eq!(list.stdout, "table.orders\n");
    assert!(!project.path(".grokform/state.json").exists());
}
