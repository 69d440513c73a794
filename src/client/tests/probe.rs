//! The capability probe: once per run, every internal read route tried on an entity that
//! cannot exist; what answers as expected is on, anything else off with its reason.

use std::time::Duration;

use super::{Reply, Server};
use crate::client::{Availability, Capability};

#[tokio::test]
async fn a_server_that_allows_the_internal_routes_is_fully_usable() {
    let server = Server::routed(
        vec![
            (
                "GET /info/server",
                Reply::new(200, r#"{"Version":"1.26.3"}"#),
            ),
            ("GET /projects/", Reply::api_error("Project not found")),
            ("GET /projects?", Reply::new(200, "[]")),
            ("GET /layouts?", Reply::new(200, "[]")),
            ("GET /privileges/permissions?", Reply::new(200, "[]")),
            ("GET /tables/", Reply::api_error_string("Table not found")),
            ("GET /tables?", Reply::new(200, "null")),
        ],
        vec![],
    )
    .await;
    let client = server.client();
    let capabilities = client.probe_capabilities().await;
    assert!(
        capabilities.notes().is_empty(),
        "{:?}",
        capabilities.notes()
    );
    for capability in Capability::ALL {
        let expected = if capability.is_write() {
            Availability::Untried
        } else {
            Availability::Available
        };
        assert_eq!(
            capabilities.availability(capability),
            &expected,
            "{capability}"
        );
        assert!(capabilities.allows(capability));
    }
    assert_eq!(
        capabilities.server().unwrap().version.as_deref(),
        Some("1.26.3")
    );
    let mut requests = server.requests();
    requests.sort();
    assert_eq!(requests.len(), 7, "{requests:?}");
    assert!(requests.iter().all(|r| r.starts_with("GET /")));

    // Once per run, shared by clones.
    let again = client.clone().probe_capabilities().await;
    assert_eq!(again, capabilities);
    assert_eq!(server.seen().len(), 7);

    // A read route that starts refusing later is turned off by whoever saw it.
    client.record_refused(
        Capability::ReadLayouts,
        "internal route refused: 403 Forbidden",
    );
    assert_eq!(
        client.probe_capabilities().await.notes(),
        [
            "dashboard layouts on this server cannot be verified (internal route refused: 403 Forbidden)"
        ]
    );
    assert_eq!(server.seen().len(), 7, "still no second probe");
}

#[tokio::test]
async fn refused_routes_become_notes_never_failures() {
    let server = Server::routed(
        vec![
            ("GET /info/server", Reply::html_404()),
            ("GET /projects", Reply::html_404()),
            ("GET /layouts?", Reply::new(401, "")),
            (
                "GET /privileges/permissions?",
                Reply::api_error("Access denied"),
            ),
            ("GET /tables/", Reply::hang()),
            ("GET /tables?", Reply::new(200, "[]")),
        ],
        vec![],
    )
    .await;
    let client = server.client_with_read_deadline(Duration::from_millis(300));
    let capabilities = client.probe_capabilities().await;
    assert_eq!(
        capabilities.notes(),
        [
            "dashboards on this server cannot be verified (internal route refused: 404 HTML page)",
            "dashboard layouts on this server cannot be verified (internal route refused: 401 Unauthorized)",
            "grants on this server cannot be verified (internal route refused: ApiError \"Access denied\")",
            "tables on this server cannot be verified (internal route unavailable: it got no answer within 300ms)",
        ]
    );
    assert_eq!(capabilities.server(), None);
    assert!(!capabilities.allows(Capability::ReadProjects));
    assert!(capabilities.allows(Capability::DeleteProject), "untried");
}

#[tokio::test]
async fn a_route_that_answers_json_of_another_shape_is_refused() {
    let server = Server::routed(
        vec![
            ("GET /projects/", Reply::new(200, r#"{"unexpected": true}"#)),
            ("GET /projects?", Reply::new(200, "[]")),
            ("GET /layouts?", Reply::new(200, r#"{"data": []}"#)),
        ],
        vec![],
    )
    .await;
    let capabilities = server.client().probe_capabilities().await;
    let notes = capabilities.notes();
    assert_eq!(
        notes,
        [
            "dashboards on this server cannot be verified (internal route refused: an answer of another shape)",
            "dashboard layouts on this server cannot be verified (internal route refused: an answer of another shape)",
        ]
    );
}
