//! Every read method against every envelope the internal routes use: a record, an `ApiError`
//! on HTTP 200 as an object and as a JSON string (missing), an unknown route's HTML 404 and a
//! 401 (refused, with the reason a note would give), and a hang (the read deadline).

use std::time::Duration;

use super::{Reply, Server};
use crate::client::{Client, ClientError, route_refusal};

/// One record that fits every read below (an array of one is what `/entities/{id}` answers
/// and what a list route answers).
const RECORD: &str = r#"[{"id":"x-1","entityId":"x-1","name":"D","namespace":"A:"}]"#;

const READS: [&str; 8] = [
    "project",
    "projects_named",
    "layouts",
    "entity",
    "permissions",
    "table",
    "tables_named",
    "project_relations",
];

/// Whether the read found something, by method name.
async fn read(client: &Client, which: &str) -> Result<bool, ClientError> {
    Ok(match which {
        "project" => client.project("x-1").await?.is_some(),
        "projects_named" => !client.projects_named("D").await?.is_empty(),
        "layouts" => !client.layouts("x-1").await?.is_empty(),
        "entity" => client.entity("x-1").await?.is_some(),
        "permissions" => !client.permissions("x-1").await?.is_empty(),
        "table" => client.table("x-1").await?.is_some(),
        "tables_named" => !client.tables_named("A:D").await?.is_empty(),
        "project_relations" => client.project_relations("x-1").await?.is_some(),
        other => unreachable!("{other}"),
    })
}

fn describe(result: Result<bool, ClientError>) -> String {
    match result {
        Ok(true) => "found".into(),
        Ok(false) => "missing".into(),
        Err(ClientError::Timeout { .. }) => "deadline".into(),
        Err(error) => route_refusal(&error).unwrap_or_else(|| error.to_string()),
    }
}

#[tokio::test]
async fn every_read_tells_found_missing_refused_and_hung_apart() {
    let relation = r#"[{"id":"r-1","entity":{"id":"t-1"}}]"#;
    let mut replies = Vec::new();
    for which in READS {
        replies.push(Reply::new(
            200,
            if which == "project_relations" {
                relation
            } else {
                RECORD
            },
        ));
        replies.push(Reply::api_error("Not found"));
        if which == "project_relations" {
            // The relations route found nothing, so the project is read: it is missing too.
            replies.push(Reply::api_error("Project not found"));
        }
        replies.push(Reply::api_error_string("Entity not found"));
        if which == "project_relations" {
            replies.push(Reply::api_error_string("Project not found"));
        }
        replies.push(Reply::html_404());
        if which == "project_relations" {
            // The relations route was refused, so the project is read (and refused too).
            replies.push(Reply::html_404());
        }
        replies.push(Reply::new(401, ""));
        if which == "project_relations" {
            replies.push(Reply::new(401, ""));
        }
        replies.push(Reply::hang());
        if which == "project_relations" {
            replies.push(Reply::hang());
        }
    }
    let server = Server::replies(replies).await;
    let client = server.client_with_read_deadline(Duration::from_millis(300));
    for which in READS {
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.push(describe(read(&client, which).await));
        }
        assert_eq!(
            seen,
            [
                "found",
                "missing",
                "missing",
                "404 HTML page",
                "401 Unauthorized",
                "deadline"
            ],
            "{which}"
        );
    }
}
