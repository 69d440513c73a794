//! `lifecycle.deletion: allowed`: tables and dashboards removed from the manifest are deleted
//! and read back; a table a dashboard still shows is refused at plan time; a refused delete
//! keeps the entry in the state.

use grokform::emulator::RefusalRule;

use crate::support::server::Server;
use crate::support::{TestContext, grokform_snapshot, ids, unwrapped};

const MANIFEST: &str = "version: 1
lifecycle:
  deletion: allowed
tables:
  a:
    name: Admin:Lc:A
    source: a.csv
  b:
    name: Admin:Lc:B
    source: b.csv
dashboards:
  one:
    name: One
    tables: [a]
  two:
    name: Two
    tables: [b]
shares:
  - dashboard: two
    groups: [Analysts]
";

/// Two tables, two dashboards (one shared), applied.
fn applied() -> TestContext {
    let project = TestContext::new().with_server(Server::new());
    project.write("grokform.yaml", MANIFEST);
    project.write("a.csv", "id\n1\n");
    project.write("b.csv", "id\n2\n");
    project.apply();
    project
}

/// The manifest without dashboard `two`, its share and table `b`.
fn without_two(project: &TestContext) {
    let cut = MANIFEST
        .replace("  b:\n    name: Admin:Lc:B\n    source: b.csv\n", "")
        .replace("  two:\n    name: Two\n    tables: [b]\n", "")
        .replace("shares:\n  - dashboard: two\n    groups: [Analysts]\n", "");
    project.write("grokform.yaml", &cut);
}

fn names(project: &TestContext, kind: &str) -> Vec<String> {
    let mut names = ids(&project.held(kind), "name");
    names.sort();
    names
}

#[test]
fn removed_tables_and_dashboards_are_deleted_and_read_back() {
    let project = applied();
    without_two(&project);
    grokform_snapshot!(
        "deletion_plan_human",
        project.filters(),
        project.run(&["plan"])
    );
    grokform_snapshot!(
        "deletion_plan_markdown",
        project.filters(),
        project.run(&["plan", "--format", "markdown"])
    );
    project.apply();
    assert_eq!(names(&project, "dashboards"), ["One"]);
    assert_eq!(names(&project, "tables"), ["Admin:Lc:A"]);
    let state = project.state();
    for address in ["table.b", "dashboard.two", "share.two.Analysts"] {
        assert!(state["resources"].get(address).is_none(), "{address}");
    }
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_table_a_kept_dashboard_shows_is_refused_at_plan_time() {
    let project = applied();
    // dashboards cannot be read back here, so `two` is forgotten, and it still shows `b`
    project
        .server()
        .refuse(&"projects-read=404".parse::<RefusalRule>().unwrap());
    without_two(&project);
    let run = project.run(&["plan"]);
    run.code(1);
    let stderr = unwrapped(&run.stderr);
    assert!(
        stderr.contains("`table.b` cannot be deleted: dashboard.two (`Two`) still shows it"),
        "{stderr}"
    );
    // and apply, which plans the same way, changes nothing
    project.run(&["apply", "--auto-approve"]).code(1);
    assert_eq!(names(&project, "tables"), ["Admin:Lc:A", "Admin:Lc:B"]);
    assert_eq!(names(&project, "dashboards"), ["One", "Two"]);
}

#[test]
fn a_refused_delete_keeps_the_table_in_the_state() {
    let project = applied();
    project
        .server()
        .refuse(&"tables-delete=403".parse::<RefusalRule>().unwrap());
    without_two(&project);
    let run = project.run(&["apply", "--auto-approve"]);
    run.code(1);
    let stderr = unwrapped(&run.stderr);
    assert!(stderr.contains("the server did not delete"), "{stderr}");
    assert!(stderr.contains("it stays in the state"), "{stderr}");
    // the dashboard went first; the table is still there and still managed
    assert_eq!(names(&project, "dashboards"), ["One"]);
    assert_eq!(names(&project, "tables"), ["Admin:Lc:A", "Admin:Lc:B"]);
    let state = project.state();
    assert!(state["resources"].get("table.b").is_some());
    assert!(state["resources"].get("dashboard.two").is_none());

    // once the server allows it, the next apply deletes it
    project.server().clear_refusals();
    project.apply();
    assert_eq!(names(&project, "tables"), ["Admin:Lc:A"]);
    assert!(project.state()["resources"].get("table.b").is_none());
}

#[test]
fn without_the_opt_in_removed_objects_are_forgotten() {
    let project = TestContext::new().with_server(Server::new());
    project.write(
        "grokform.yaml",
        &MANIFEST.replace("lifecycle:\n  deletion: allowed\n", ""),
    );
    project.write("a.csv", "id\n1\n");
    project.write("b.csv", "id\n2\n");
    project.apply();
    let cut = project
        .read("grokform.yaml")
        .replace("  b:\n    name: Admin:Lc:B\n    source: b.csv\n", "")
        .replace("  two:\n    name: Two\n    tables: [b]\n", "")
        .replace("shares:\n  - dashboard: two\n    groups: [Analysts]\n", "");
    project.write("grokform.yaml", &cut);
    let plan = project.run(&["plan"]);
    assert!(
        plan.stdout.contains("0 to delete, 3 to forget"),
        "{}",
        plan.stdout
    );
    project.apply();
    assert_eq!(names(&project, "dashboards"), ["One", "Two"]);
    assert_eq!(names(&project, "tables"), ["Admin:Lc:A", "Admin:Lc:B"]);
}
