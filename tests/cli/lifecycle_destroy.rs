//! `grokform destroy`: everything the state manages is removed from the server (grants
//! revoked, dashboards, tables and files deleted, each read back) and from the state.

use crate::support::TestContext;

#[test]
fn destroy_empties_the_server_of_managed_objects_and_the_state() {
    let project = TestContext::quickstart();
    project.apply();
    assert!(!project.held("dashboards").is_empty());
    assert!(!project.held("shares").is_empty());

    // without a terminal and without --auto-approve, nothing happens
    let refused = project.run(&["destroy"]);
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("refusing to destroy without confirmation"),
        "{}",
        refused.stderr
    );
    assert_eq!(project.held("dashboards").len(), 2);

    let run = project.run(&["destroy", "--auto-approve"]);
    run.code(0);
    assert!(run.stdout.contains("will be revoked"), "{}", run.stdout);
    for kind in ["tables", "dashboards", "files", "shares"] {
        assert!(
            project.held(kind).is_empty(),
            "{kind} left: {:?}",
            project.held(kind)
        );
    }
    let state = project.state();
    assert_eq!(
        state["resources"].as_object().map(|r| r.len()),
        Some(0),
        "{state}"
    );

    // nothing left to destroy; a plan of the manifest creates everything again
    project.run(&["destroy", "--auto-approve"]).code(0);
    let plan = project.run(&["plan"]);
    assert!(plan.stdout.contains("to create"), "{}", plan.stdout);
}

#[test]
fn destroy_where_deleting_is_refused_stops_before_an_unsafe_table_delete() {
    let project = TestContext::quickstart();
    project.apply();
    project.server().refuse(
        &"projects-read=404"
            .parse::<grokform::emulator::RefusalRule>()
            .unwrap(),
    );
    let run = project.run(&["destroy", "--auto-approve"]);
    run.code(1);
    let stderr = crate::support::unwrapped(&run.stderr);
    assert!(stderr.contains("cannot be deleted"), "{stderr}");
    assert!(stderr.contains("still shows it"), "{stderr}");
    assert_eq!(project.held("dashboards").len(), 2);
    assert_eq!(project.held("tables").len(), 2);
}

#[test]
fn destroy_keeps_what_prevent_destroy_protects() {
    let project = TestContext::quickstart();
    project.edit("grokform.yaml", |m| {
        m.replace(
            "    name: ${var.project} customers\n    tables: [customers]\n",
            "    name: ${var.project} customers\n    tables: [customers]\n    prevent_destroy: true\n",
        )
    });
    project.apply();
    project.run(&["destroy", "--auto-approve"]).code(0);
    let names = |kind: &str| -> Vec<String> {
        let mut names: Vec<String> = project
            .held(kind)
            .iter()
            .map(|v| v["name"].as_str().unwrap_or_default().to_string())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("dashboards"), ["Sales customers"]);
    assert_eq!(names("tables"), ["Admin:Sales:Customers"]);
    assert!(project.held("files").is_empty());
    assert_eq!(project.held("shares").len(), 1);
    let state = project.state();
    let mut kept: Vec<&String> = state["resources"].as_object().unwrap().keys().collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            "dashboard.customers",
            "share.customers.Analysts",
            "table.customers"
        ]
    );
}
