//! The closing line of an apply says truthfully what it did: an apply that only renamed
//! addresses in the state (`moved:`) changed the state, so it must not read as a no-op.

use crate::project::{Project, emulator};
use crate::support::writes_since;

#[test]
fn an_apply_of_only_a_move_says_the_server_did_not_change() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.run(&["apply", "--auto-approve"]).code(0);
    let manifest = std::fs::read_to_string(project.path("grokform.yaml")).unwrap();
    let renamed = manifest
        .replace(
            "  customers:\n    name: ${var.project} customers",
            "  cust:\n    name: ${var.project} customers",
        )
        .replace("  - dashboard: customers\n", "  - dashboard: cust\n")
        + "\nmoved:\n  - from: dashboard.customers\n    to: dashboard.cust\n";
    assert_ne!(
        renamed, manifest,
        "the quickstart's dashboard key was renamed"
    );
    project.write("grokform.yaml", &renamed);

    let before = server.requests().len();
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.code(0);
    assert_eq!(writes_since(&server, before), Vec::<String>::new());
    assert!(
        apply
            .stderr
            .contains("Moved `dashboard.customers` to `dashboard.cust` in the state."),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("Apply complete: nothing changed on the server."),
        "{}",
        apply.stderr
    );
}
