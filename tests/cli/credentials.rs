//! The API key and the URL: the key never appears in output, saved plans, state or any file
//! grokform writes; credentials in a URL are refused without being repeated; a wrong key and a
//! wrong URL are told apart.

use crate::support::{Server, TestContext, grokform, grokform_snapshot};

#[test]
fn the_api_key_never_appears_anywhere() {
    let key = "gf-secret-9c2e41d7a0b34f5e";
    let project = TestContext::new()
        .with_example("quickstart")
        .with_server(Server::new().key(key));
    let server = project.server();
    let mut outputs = vec![
        project.run(&["plan", "--out", "saved.plan"]),
        project.run(&["apply", "--auto-approve", "--format", "json"]),
        project.run(&["plan", "--format", "json"]),
        project.run(&["plan", "--format", "markdown"]),
    ];
    server.add_fault("POST /public/v1/functions status=500".parse().unwrap());
    outputs.push(
        project
            .grokform(&["apply", "--auto-approve"])
            .env("DATAGROK_API_KEY", "wrong-key-x")
            .run(),
    );
    outputs.push(
        project
            .grokform(&["plan"])
            .env("DATAGROK_URL", "http://127.0.0.1:9/api")
            .run(),
    );
    for run in &outputs {
        assert!(
            !run.stdout.contains(key) && !run.stderr.contains(key),
            "{run:?}"
        );
    }
    for (path, bytes) in project.all_files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(key),
            "the key leaked into {}",
            path.display()
        );
    }
}

#[test]
fn no_secret_in_saved_plans_or_machine_output() {
    let key = "ci-secret-9f8e7d6c5b4a";
    let project = TestContext::new()
        .with_example("quickstart")
        .with_server(Server::new().key(key));
    // A URL with credentials in it is refused without repeating them.
    let with_userinfo = project.url.replace("http://", "http://bot:hunter2pass@");
    let refused = grokform_snapshot!(
        "credentials_in_the_url",
        project.filters(),
        project
            .grokform(&["plan"])
            .env("DATAGROK_URL", &with_userinfo)
            .run()
    );
    assert!(
        !refused.stderr.contains("hunter2pass"),
        "{}",
        refused.stderr
    );

    let json = project.run(&["plan", "--format", "json", "--out", "p.plan"]);
    json.code(0);
    let markdown = project.run(&["plan", "--format", "markdown"]);
    markdown.code(0);
    let file = project.read("p.plan");
    for text in [&file, &json.stdout, &json.stderr, &markdown.stdout] {
        assert!(!text.contains(key), "{text}");
    }
    let applied = project.run(&["apply", "p.plan", "--format", "json"]);
    applied.code(0);
    for (path, bytes) in project.all_files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(key), "{}", path.display());
    }
    assert!(!applied.stdout.contains(key) && !applied.stderr.contains(key));
}

#[test]
fn a_wrong_key_and_a_wrong_url_are_told_apart() {
    let project = TestContext::quickstart();
    grokform_snapshot!(
        "wrong_key",
        project.filters(),
        project
            .grokform(&["plan"])
            .env("DATAGROK_API_KEY", "nope")
            .run()
    );
    let no_api = project.url.trim_end_matches("/api").to_string();
    grokform_snapshot!(
        "wrong_url",
        project.filters(),
        project
            .grokform(&["plan"])
            .env("DATAGROK_URL", &no_api)
            .run()
    );
    grokform_snapshot!(
        "missing_key",
        project.filters(),
        grokform(["plan"])
            .current_dir(project.root())
            .env("DATAGROK_URL", &project.url)
            .run()
    );
}
