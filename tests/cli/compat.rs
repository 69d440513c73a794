//! The older helper names (`common`, `project`, `emulator_http`, `client`) still work, so test
//! files written against them keep compiling and meaning the same: one test drives them all.

use crate::common::{Run, grokform};
use crate::emulator_http::{api, start, upload_table};
use crate::project::{Project, emulator, emulator_with_key, filters, held};

#[test]
fn the_older_helpers_still_drive_the_binary_and_the_emulator() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let plan: Run = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    filters().bind(|| {
        insta::assert_snapshot!(
            plan.stdout.lines().next().unwrap(),
            @"grokform will perform the following actions on http://127.0.0.1:[PORT]/api:"
        )
    });
    project.apply();
    assert_eq!(held(&server, "tables").len(), 2);

    let keyed = emulator_with_key("compat-key");
    let mut other = Project::quickstart(&keyed);
    other.key = "compat-key".into();
    other.run(&["plan"]).code(0);

    grokform(["--version"]).run().code(0);

    let raw = start();
    let id = upload_table(&raw, "Admin.T.T", "a\n1\n");
    assert_eq!(
        api(&raw, "GET", &format!("/public/v1/tables/{id}"))
            .send()
            .ok()
            .text(),
        "a\n1\n"
    );
}

#[tokio::test]
async fn the_older_client_helpers_still_start_a_server_and_a_client() {
    let (_emulator, client) = crate::client::start().await;
    assert_eq!(client.healthcheck().await.unwrap().status, "ok");
    let _ = crate::client::fast_options();
}
