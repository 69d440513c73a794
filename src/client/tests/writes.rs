//! The lifecycle writes: deletes, revoke, grant and the in-place save, with what each one
//! records about the server's capabilities.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Reply, Server};
use crate::client::{Availability, Capability, ClientError, Deletion};
use crate::model::Access;

#[tokio::test]
async fn deletes_report_deleted_or_already_gone() {
    let server = Server::replies(vec![
        Reply::new(200, ""),
        Reply::api_error("Project not found"),
        Reply::new(200, "true"),
        Reply::api_error_string("Permission not found"),
    ])
    .await;
    let client = server.client();
    assert_eq!(
        client.delete_project("p-1").await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(
        client.delete_project("p-1").await.unwrap(),
        Deletion::AlreadyGone
    );
    assert_eq!(client.delete_table("t-1").await.unwrap(), Deletion::Deleted);
    assert_eq!(
        client.revoke("perm-1").await.unwrap(),
        Deletion::AlreadyGone
    );
    assert_eq!(
        server.requests(),
        [
            "DELETE /projects/p-1",
            "DELETE /projects/p-1",
            "DELETE /tables/t-1",
            "DELETE /privileges/permissions/perm-1",
        ]
    );
    let capabilities = client.probe_capabilities().await;
    for capability in [
        Capability::DeleteProject,
        Capability::DeleteTable,
        Capability::Revoke,
    ] {
        assert_eq!(
            capabilities.availability(capability),
            &Availability::Available
        );
    }
    assert_eq!(
        capabilities.availability(Capability::SaveInPlace),
        &Availability::Untried
    );
}

#[tokio::test]
async fn a_delete_is_never_sent_twice_on_a_guess() {
    let server = Server::replies(vec![
        Reply::new(502, "bad gateway"),
        Reply::new(429, "slow down"),
        Reply::new(200, ""),
    ])
    .await;
    let client = server.client();
    let err = client.delete_project("p-1").await.unwrap_err();
    assert!(err.is_ambiguous(), "{err:?}");
    assert_eq!(server.seen().len(), 1);
    assert_eq!(
        client.delete_project("p-1").await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(server.seen().len(), 3, "the 429 was retried");
    assert!(
        client
            .probe_capabilities()
            .await
            .allows(Capability::DeleteProject),
        "a 502 says nothing about the route"
    );
}

#[tokio::test]
async fn a_refused_write_turns_its_capability_off_for_the_run() {
    let server = Server::replies(vec![
        Reply::html_404(),
        Reply::new(200, ""),
        Reply::api_error("Access denied"),
    ])
    .await;
    let client = server.client();
    let err = client.delete_table("t-1").await.unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 404, .. }),
        "{err:?}"
    );
    // A later success does not switch it back on: the run already told the user.
    client.delete_table("t-2").await.unwrap();
    client.revoke("perm-1").await.unwrap_err();
    let capabilities = client.clone().probe_capabilities().await;
    assert_eq!(
        capabilities.availability(Capability::DeleteTable),
        &Availability::Refused {
            reason: "internal route refused: 404 HTML page".into()
        }
    );
    let notes: Vec<String> = capabilities
        .notes()
        .into_iter()
        .filter(|n| n.contains("deleted") || n.contains("revoked"))
        .collect();
    assert_eq!(
        notes,
        [
            "tables on this server cannot be deleted (internal route refused: 404 HTML page)",
            "grants on this server cannot be revoked (internal route refused: ApiError \"Access denied\")",
        ]
    );
    client.record_refused(
        Capability::SaveInPlace,
        "the save was accepted but the read-back shows the old layout",
    );
    assert!(
        !client
            .probe_capabilities()
            .await
            .allows(Capability::SaveInPlace)
    );
}

#[tokio::test]
async fn a_grant_carries_its_own_id() {
    let server = Server::replies(vec![
        Reply::new(200, ""),
        Reply::new(200, r#"{"id":"srv-1"}"#),
    ])
    .await;
    let client = server.client();
    let id = client.grant("d-1", "g-1", Access::Edit).await.unwrap();
    let seen = server.seen();
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["id"], json!(id));
    assert_eq!(body["entityId"], json!("d-1"));
    assert_eq!(body["userGroup"], json!({"id": "g-1"}));
    assert_eq!(body["permission"], json!({"name": "Edit"}));
    assert_eq!(server.requests()[0], "POST /privileges/permissions");
    assert_eq!(
        client.grant("d-1", "g-1", Access::View).await.unwrap(),
        "srv-1"
    );
}

#[tokio::test]
async fn a_project_is_saved_in_place_and_deadlocks_are_retried_twice() {
    let deadlock = || Reply::api_error("ERROR: deadlock detected (SQLSTATE 40P01)");
    let server = Server::replies(vec![
        deadlock(),
        deadlock(),
        Reply::new(200, r#"{"id":"p-1","name":"D"}"#),
        deadlock(),
        deadlock(),
        deadlock(),
        Reply::new(200, r#"{"ID":"p-other"}"#),
    ])
    .await;
    let client = server.client();
    let project = json!({"id": "p-1", "name": "D", "relations": [{"entity": {"id": "t-1"}}]});
    let started = Instant::now();
    assert_eq!(client.save_project(&project, true).await.unwrap(), "p-1");
    assert!(
        started.elapsed() >= Duration::from_millis(750),
        "250 ms + 500 ms"
    );
    let err = client.save_project(&project, false).await.unwrap_err();
    assert!(err.to_string().contains("40P01"), "{err}");
    assert_eq!(server.seen().len(), 6, "3 attempts each");
    assert_eq!(
        client.save_project(&project, false).await.unwrap(),
        "p-other",
        "the id the server says it saved under"
    );
    let requests = server.requests();
    assert_eq!(requests[0], "POST /projects?saveRelations=true");
    assert_eq!(requests[3], "POST /projects");
    let sent: serde_json::Value = serde_json::from_slice(&server.seen()[0].body).unwrap();
    assert_eq!(sent, project);
    assert_eq!(
        client
            .probe_capabilities()
            .await
            .availability(Capability::SaveInPlace),
        &Availability::Available
    );
}

#[tokio::test]
async fn a_save_without_an_id_is_not_sent() {
    let server = Server::replies(vec![]).await;
    let err = server
        .client()
        .save_project(&json!({"name": "D"}), false)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Invalid { .. }), "{err:?}");
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_layout_is_saved_over_its_own_id_and_a_refusal_is_recorded() {
    let server = Server::replies(vec![
        Reply::new(200, r#"{"id":"l-1","name":"wide"}"#),
        Reply::new(403, r#"{"message":"forbidden"}"#),
    ])
    .await;
    let client = server.client();
    let layout = json!({"#type": "ViewLayout", "name": "wide", "id": "stale"});
    let saved = client.save_layout("l-1", &layout).await.unwrap();
    assert_eq!(saved["id"], "l-1");
    assert_eq!(server.requests(), ["POST /layouts"]);
    let sent: serde_json::Value = serde_json::from_slice(&server.seen()[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"#type": "ViewLayout", "name": "wide", "id": "l-1"}),
        "the entity's own id replaces any id the template carried"
    );
    assert!(client.save_layout("l-1", &layout).await.is_err());
    assert!(matches!(
        client
            .probe_capabilities()
            .await
            .availability(Capability::SaveInPlace),
        Availability::Refused { .. }
    ));
    let err = client.save_layout("l-1", &json!([1])).await.unwrap_err();
    assert!(matches!(err, ClientError::Invalid { .. }), "{err:?}");
}
