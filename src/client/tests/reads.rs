//! The read layer: every internal read route, its envelopes (JSON, `ApiError` on 200 as an
//! object and as a JSON string, an empty answer, an unknown route's HTML 404, 401, a hang)
//! and what each becomes: a record, `None` / empty (missing), or an error (refused).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Reply, Server};
use crate::client::{ClientError, FileStatus, RelationSource};

fn project_json(id: &str, name: &str) -> serde_json::Value {
    json!({"id": id, "name": name.replace(' ', ""), "friendlyName": name, "namespace": "JohnDoe:"})
}

#[tokio::test]
async fn server_info_is_read() {
    let server = Server::replies(vec![Reply::new(
        200,
        r#"{"Version":"1.26.3","Commit":"abc"}"#,
    )])
    .await;
    let info = server.client().server_info().await.unwrap();
    assert_eq!(info.version.as_deref(), Some("1.26.3"));
    assert_eq!(info.commit.as_deref(), Some("abc"));
    assert_eq!(server.requests(), ["GET /info/server"]);
}

#[tokio::test]
async fn a_project_is_read_and_every_missing_envelope_is_none() {
    let server = Server::replies(vec![
        Reply::new(200, &project_json("p-1", "Sales Overview").to_string()),
        Reply::api_error("Project not found"),
        Reply::api_error_string("Entity not found"),
        Reply::new(200, "null"),
        Reply::new(200, ""),
        Reply::new(204, ""),
    ])
    .await;
    let client = server.client();
    let project = client.project("p-1").await.unwrap().unwrap();
    assert_eq!(project.id, "p-1");
    assert_eq!(project.friendly_name.as_deref(), Some("Sales Overview"));
    for _ in 0..5 {
        assert_eq!(client.project("p-2").await.unwrap(), None);
    }
    assert_eq!(server.requests()[0], "GET /projects/p-1");
}

#[tokio::test]
async fn refused_reads_are_errors_never_missing() {
    let server = Server::replies(vec![
        Reply::html_404(),
        Reply::new(401, ""),
        Reply::api_error("Access denied"),
        Reply::new(403, "forbidden"),
        Reply::new(200, "<!DOCTYPE html><html>web ui</html>"),
    ])
    .await;
    let client = server.client();
    let mut errors = Vec::new();
    for _ in 0..5 {
        let err = client.project("p-1").await.unwrap_err();
        errors.push(crate::client::route_refusal(&err).unwrap());
    }
    assert_eq!(
        errors,
        [
            "404 HTML page",
            "401 Unauthorized",
            "ApiError \"Access denied\"",
            "403 Forbidden",
            "an HTML page instead of JSON",
        ]
    );
}

#[tokio::test]
async fn a_hanging_project_read_ends_at_the_read_deadline() {
    let server = Server::replies(vec![Reply::hang()]).await;
    let client = server.client_with_read_deadline(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = client.project("p-huge").await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        crate::client::route_refusal(&err),
        None,
        "a hang is not a refusal"
    );
}

#[tokio::test]
async fn projects_are_searched_page_by_page_and_matched_exactly() {
    let mut first = vec![project_json("p-a", "Sales Overview")];
    first.extend((0..498).map(|i| project_json(&format!("x-{i:03}"), "Sales Overview 2")));
    first.push(project_json("p-b", "SalesOverview"));
    let second = vec![
        project_json("p-c", "Sales Overview"),
        project_json("p-d", "sales overview"),
    ];
    let server = Server::replies(vec![
        Reply::new(200, &json!(first).to_string()),
        Reply::new(200, &json!(second).to_string()),
    ])
    .await;
    let found = server
        .client()
        .projects_named("Sales Overview")
        .await
        .unwrap();
    let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p-a", "p-c"], "exact name or friendly name only");
    assert_eq!(
        server.requests(),
        [
            "GET /projects?text=Sales%20Overview&includeRoot=true&limit=500&page=1",
            "GET /projects?text=Sales%20Overview&includeRoot=true&limit=500&page=2",
        ]
    );
}

#[tokio::test]
async fn a_server_that_ignores_pages_is_not_paged_for_ever() {
    let page: Vec<_> = (0..500)
        .map(|i| project_json(&format!("p-{i:03}"), "D"))
        .collect();
    let server = Server::routed(
        vec![("GET /projects", Reply::new(200, &json!(page).to_string()))],
        vec![],
    )
    .await;
    let found = server.client().projects_named("D").await.unwrap();
    assert_eq!(found.len(), 500, "no duplicates");
    assert_eq!(server.seen().len(), 2, "the repeated page ends the search");
}

#[tokio::test]
async fn relations_fall_back_to_the_project_when_their_route_fails() {
    let relations = json!([
        {"id": "r-1", "entity": {"#type": "TableInfo", "id": "t-2"}},
        {"id": "r-2", "entity": {"#type": "TableInfo", "id": "t-1"}}
    ]);
    let mut project = project_json("p-1", "D");
    project["relations"] = json!([{"id": "r-9", "entity": {"id": "t-9"}}]);
    let server = Server::replies(vec![
        Reply::new(200, &relations.to_string()),
        Reply::new(500, "<html><body>relations failed</body></html>"),
        Reply::new(200, &project.to_string()),
        Reply::new(200, "[]"),
        Reply::api_error("Project not found"),
    ])
    .await;
    let client = server.client_with_read_deadline(Duration::from_secs(5));
    let read = client.project_relations("p-1").await.unwrap().unwrap();
    assert_eq!(read.source, RelationSource::Route);
    assert_eq!(read.entity_ids(), ["t-1", "t-2"]);

    let read = client.project_relations("p-1").await.unwrap().unwrap();
    assert_eq!(read.entity_ids(), ["t-9"]);
    assert_eq!(
        read.source,
        RelationSource::ProjectFallback {
            reason: "`GET /projects/relations` answered 500 Internal Server Error".into()
        }
    );

    assert_eq!(client.project_relations("p-gone").await.unwrap(), None);
    let requests = server.requests();
    assert_eq!(
        requests[0],
        "GET /projects/relations?projectId=p-1&include=entity"
    );
    assert_eq!(requests.last().unwrap(), "GET /projects/p-gone");
}

#[tokio::test]
async fn layouts_entities_and_tables_are_read() {
    let server = Server::replies(vec![
        Reply::new(
            200,
            r##"[{"id":"l-1","#type":"ViewLayout","name":"overview","viewStateMap":{}}]"##,
        ),
        Reply::api_error("Project not found"),
        Reply::new(200, r##"[{"#type":"Project","id":"p-1","name":"D"}]"##),
        Reply::new(200, "[]"),
        Reply::new(200, r#"[{"id":"a"},{"id":"b"}]"#),
        Reply::new(
            200,
            r#"{"ID":"t-1","name":"Q1","namespace":"JohnDoe:Sales:","columns":[{"name":"region","type":"string"},{"name":"amount","type":"double"}]}"#,
        ),
        Reply::api_error_string("Table not found"),
        Reply::new(
            200,
            r#"[{"id":"t-1","name":"Q1","namespace":"JohnDoe:Sales:"},{"id":"t-2","name":"Q1","namespace":"Jane:Sales:"},{"id":"t-3","name":"Q10","namespace":"JohnDoe:Sales:"}]"#,
        ),
    ])
    .await;
    let client = server.client();
    let layouts = client.layouts("p-1").await.unwrap();
    assert_eq!(layouts[0].id, "l-1");
    assert_eq!(layouts[0].raw["viewStateMap"], json!({}));
    assert!(client.layouts("p-gone").await.unwrap().is_empty());

    let entity = client.entity("p-1").await.unwrap().unwrap();
    assert_eq!(entity.type_name.as_deref(), Some("Project"));
    assert_eq!(client.entity("p-gone").await.unwrap(), None);
    let err = client.entity("p-1").await.unwrap_err();
    assert!(matches!(err, ClientError::Unexpected { .. }), "{err:?}");

    let table = client.table("t-1").await.unwrap().unwrap();
    assert_eq!(table.column_names(), ["region", "amount"]);
    assert_eq!(client.table("t-gone").await.unwrap(), None);

    let tables = client.tables_named("JohnDoe:Sales:Q1").await.unwrap();
    let ids: Vec<&str> = tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t-1"]);

    assert_eq!(
        server.requests(),
        [
            "GET /layouts?projectId=p-1",
            "GET /layouts?projectId=p-gone",
            "GET /entities/p-1",
            "GET /entities/p-gone",
            "GET /entities/p-1",
            "GET /tables/t-1",
            "GET /tables/t-gone",
            "GET /tables?text=Q1&limit=100",
        ]
    );
}

#[tokio::test]
async fn permissions_keep_only_the_entitys_own_grants() {
    let rows = json!([
        {"id": "g-3", "entityId": "d-1", "userGroup": {"name": "Managers"}, "permission": {"name": "Edit"}},
        {"id": "g-1", "entityId": "folder", "userGroup": {"name": "All users"}, "permission": {"name": "View"}},
        {"id": "g-2", "entityId": "d-1", "userGroup": {"friendlyName": "Analysts"}, "permission": {"name": "View"}}
    ]);
    let server = Server::replies(vec![
        Reply::new(200, &rows.to_string()),
        Reply::new(401, ""),
    ])
    .await;
    let client = server.client();
    let grants = client.permissions("d-1").await.unwrap();
    let seen: Vec<(&str, Option<&str>)> = grants
        .iter()
        .map(|g| (g.id.as_str(), g.group_name()))
        .collect();
    assert_eq!(seen, [("g-2", Some("Analysts")), ("g-3", Some("Managers"))]);
    let err = client.permissions("d-1").await.unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        server.requests()[0],
        "GET /privileges/permissions?entityId=d-1&all=true"
    );
}

#[tokio::test]
async fn ids_that_would_widen_a_route_are_refused_before_sending() {
    let server = Server::replies(vec![]).await;
    let client = server.client();
    for id in ["", " ", "a\nb"] {
        assert!(matches!(
            client.project(id).await,
            Err(ClientError::BadName { .. })
        ));
        assert!(matches!(
            client.permissions(id).await,
            Err(ClientError::BadName { .. })
        ));
    }
    assert!(server.seen().is_empty());
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn file_etags_are_read_from_the_multipart_answer() {
    let body = "--b1\r\nContent-Disposition: attachment; filename=\"q1.csv\"\r\n\
X-File-E-Tag: e-new\r\n\r\na,b\n1,2\n\r\n--b1\r\n\
Content-Disposition: attachment; filename=\"q2.csv\"\r\nX-File-E-Tag: e-2\r\n\
X-File-Status: not-modified\r\n\r\n\r\n--b1\r\n\
Content-Disposition: attachment; filename=\"q3.csv\"\r\nX-File-Status: deleted\r\n\r\n\r\n--b1--\r\n";
    let server = Server::replies(vec![
        Reply::new(200, body).header("content-type", "multipart/mixed; boundary=b1"),
        Reply::new(204, ""),
        Reply::api_error("Connection `System:Nope` not found"),
    ])
    .await;
    let client = server.client();
    let known: BTreeMap<String, String> =
        [("q2.csv", "e-2"), ("q3.csv", "e-3"), ("sub/q4.csv", "e-4")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let files = client
        .file_etags("System:AppData", "Sales/raw", false, Some(".csv"), &known)
        .await
        .unwrap();
    assert_eq!(
        files.len(),
        3,
        "the subfolder file is out of scope: {files:?}"
    );
    let q1 = &files["q1.csv"];
    assert_eq!(q1.status, FileStatus::Changed);
    assert_eq!(q1.etag.as_deref(), Some("e-new"));
    assert_eq!(q1.content.as_ref().unwrap().sha256, sha256(b"a,b\n1,2\n"));
    assert_eq!(files["q2.csv"].status, FileStatus::NotModified);
    assert_eq!(files["q3.csv"].status, FileStatus::Deleted);

    // An empty folder: everything known in scope is gone.
    let files = client
        .file_etags("System:AppData", "", true, None, &known)
        .await
        .unwrap();
    assert_eq!(files.len(), 3);
    assert!(files.values().all(|f| f.status == FileStatus::Deleted));

    let err = client
        .file_etags("System:Nope", "x", true, None, &known)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Api { .. }), "{err:?}");

    let seen = server.seen();
    assert_eq!(
        server.requests()[..2],
        [
            "POST /public/v1/files/sync/System.AppData/Sales/raw?recursive=false&ext=csv",
            "POST /public/v1/files/sync/System.AppData?recursive=true",
        ]
    );
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"q2.csv": "e-2", "q3.csv": "e-3", "sub/q4.csv": "e-4"})
    );
}

#[tokio::test]
async fn a_table_csv_is_hashed_as_it_streams() {
    let csv: String = (0..50_000).map(|i| format!("{i},row {i}\n")).collect();
    let server = Server::replies(vec![
        Reply::new(200, &csv).header("content-type", "text/csv"),
        Reply::api_error("Table not found"),
        Reply::api_error_string("Table not found").header("content-type", "text/plain"),
        Reply::new(200, r##"{"#type":"ApiError","message":"Access denied"}"##)
            .header("content-type", "text/csv"),
        Reply::new(200, "<!DOCTYPE html><html></html>").header("content-type", "text/html"),
    ])
    .await;
    let client = server.client();
    let digest = client.table_digest("t-1").await.unwrap().unwrap();
    assert_eq!(digest.bytes, csv.len() as u64);
    assert_eq!(digest.sha256, sha256(csv.as_bytes()));
    assert_eq!(client.table_digest("t-1").await.unwrap(), None);
    assert_eq!(client.table_digest("t-1").await.unwrap(), None);
    let err = client.table_digest("t-1").await.unwrap_err();
    assert!(matches!(err, ClientError::Api { .. }), "{err:?}");
    let err = client.table_digest("t-1").await.unwrap_err();
    assert!(matches!(err, ClientError::NotDatagrok { .. }), "{err:?}");
    assert_eq!(server.requests()[0], "GET /public/v1/tables/t-1");
}
