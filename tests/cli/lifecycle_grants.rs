//! `lifecycle.shares: authoritative`: a share removed from the manifest is revoked (the
//! emulator's inspection shows the grant gone), `Edit` → `View` revokes the `Edit` grant, and
//! each refusal of the server falls back as the plan says.

use grokform::emulator::RefusalRule;
use serde_json::Value;

use crate::support::{TestContext, grokform_snapshot, unwrapped};

/// The quickstart, opted into authoritative grants, applied.
fn authoritative() -> TestContext {
    let project = TestContext::quickstart();
    project.edit("grokform.yaml", |m| {
        format!("{m}\nlifecycle:\n  shares: authoritative\n")
    });
    project.apply();
    project
}

/// The groups holding a grant on the dashboard `key` of the state, with their access.
fn grants(project: &TestContext, key: &str) -> Vec<(String, String)> {
    let id = project.state()["resources"][format!("dashboard.{key}")]["remote_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut grants: Vec<(String, String)> = project
        .held("shares")
        .iter()
        .filter(|s| s["entity_id"] == id.as_str())
        .map(|s| {
            (
                s["group"].as_str().unwrap().to_string(),
                s["access"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    grants.sort();
    grants
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(g, a)| (g.to_string(), a.to_string()))
        .collect()
}

fn drop_managers(project: &TestContext) {
    project.edit("grokform.yaml", |m| {
        m.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
}

#[test]
fn a_removed_share_is_revoked_and_the_grant_is_gone() {
    let project = authoritative();
    assert_eq!(
        grants(&project, "sales-overview"),
        pairs(&[("Analysts", "View"), ("Managers", "View")])
    );
    drop_managers(&project);
    grokform_snapshot!(
        "revoke_plan_human",
        project.filters(),
        project.run(&["plan"])
    );
    grokform_snapshot!(
        "revoke_plan_markdown",
        project.filters(),
        project.run(&["plan", "--format", "markdown"])
    );
    project.apply();
    assert_eq!(
        grants(&project, "sales-overview"),
        pairs(&[("Analysts", "View")])
    );
    assert!(
        project.state()["resources"]
            .get("share.sales-overview.Managers")
            .is_none()
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn edit_to_view_revokes_the_edit_grant_then_grants_view() {
    let project = authoritative();
    assert_eq!(
        grants(&project, "customers"),
        pairs(&[("Analysts", "Edit")])
    );
    project.edit("grokform.yaml", |m| {
        m.replace("access: Edit", "access: View")
    });
    let plan = project.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("the Edit grant is revoked, then View is granted"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("keeps Edit access"),
        "{}",
        plan.stdout
    );
    project.apply();
    assert_eq!(
        grants(&project, "customers"),
        pairs(&[("Analysts", "View")])
    );
    assert_eq!(
        project.state()["resources"]["share.customers.Analysts"]["attributes"]["access"],
        Value::from("View")
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_refused_revoke_fails_and_keeps_the_share_in_the_state() {
    let project = authoritative();
    project
        .server()
        .refuse(&"permissions-revoke=403".parse::<RefusalRule>().unwrap());
    drop_managers(&project);
    let run = project.run(&["apply", "--auto-approve"]);
    run.code(1);
    let stderr = unwrapped(&run.stderr);
    assert!(
        stderr.contains("did not revoke `Managers`'s grant"),
        "{stderr}"
    );
    assert!(stderr.contains("lifecycle.shares: additive"), "{stderr}");
    // nothing was lost: the grant is still there, and the state still manages it
    assert_eq!(
        grants(&project, "sales-overview"),
        pairs(&[("Analysts", "View"), ("Managers", "View")])
    );
    assert!(
        project.state()["resources"]
            .get("share.sales-overview.Managers")
            .is_some()
    );
}

#[test]
fn unreadable_grants_fall_back_to_forget_and_the_plan_says_why() {
    let project = authoritative();
    project
        .server()
        .refuse(&"permissions-read=404".parse::<RefusalRule>().unwrap());
    drop_managers(&project);
    grokform_snapshot!(
        "revoke_refused_plan_human",
        project.filters(),
        project.run(&["plan"])
    );
    grokform_snapshot!(
        "revoke_refused_plan_markdown",
        project.filters(),
        project.run(&["plan", "--format", "markdown"])
    );
    project.apply();
    // today's behaviour: the grant stays on the server, grokform stops managing it
    assert_eq!(
        grants(&project, "sales-overview"),
        pairs(&[("Analysts", "View"), ("Managers", "View")])
    );
    assert!(
        project.state()["resources"]
            .get("share.sales-overview.Managers")
            .is_none()
    );
}

#[test]
fn an_unknown_shares_mode_is_a_located_error() {
    let project = TestContext::quickstart();
    project.edit("grokform.yaml", |m| {
        format!("{m}\nlifecycle:\n  shares: authoritive\n")
    });
    let run = project.run(&["validate"]);
    run.code(1);
    let stderr = unwrapped(&run.stderr);
    assert!(
        stderr.contains("unknown `lifecycle.shares` mode `authoritive`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `authoritative`"), "{stderr}");
    assert!(stderr.contains("grokform.yaml"), "{stderr}");
}
