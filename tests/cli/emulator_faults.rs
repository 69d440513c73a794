//! Fault injection, through the handle and the control route: latency, failing statuses with
//! `Retry-After`, dropped connections, "commit then fail", and seeded random faults.

use std::time::{Duration, Instant};

use grokform::emulator::{FaultKind, FaultRule};
use serde_json::json;

use crate::support::Server;
use crate::support::http::{api, raw, upload_table};

fn start() -> grokform::emulator::Emulator {
    Server::new().start()
}

fn rule(spec: &str) -> FaultRule {
    spec.parse().expect("a valid fault spec")
}

#[test]
fn latency_delays_matching_requests_only() {
    let emulator = start();
    // A long delay, so an unmatched request on a loaded machine cannot look delayed too.
    emulator.add_fault(rule("GET /public/v1/healthcheck latency=1500"));
    let started = Instant::now();
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let started = Instant::now();
    api(&emulator, "POST", "/public/v1/functions/Sin/call")
        .body(r#"{"x":0}"#)
        .send()
        .ok();
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[test]
fn the_next_n_requests_fail_with_a_status_and_retry_after() {
    let emulator = start();
    emulator.add_fault(rule(
        "POST /public/v1/tables status=429 retry-after=3 count=2",
    ));
    for _ in 0..2 {
        let answer = api(&emulator, "POST", "/public/v1/tables/Cars")
            .body("a\n1\n")
            .send();
        assert_eq!(answer.status, 429);
        assert_eq!(answer.header("retry-after"), Some("3"));
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
    }
    assert_eq!(
        emulator.inspect()["tables"],
        json!([]),
        "failed requests store nothing"
    );
    upload_table(&emulator, "Cars", "a\n1\n");
    let statuses: Vec<u16> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    for status in [500, 502, 503] {
        emulator.add_fault(rule(&format!("status={status} count=1")));
        assert_eq!(
            api(&emulator, "GET", "/public/v1/healthcheck")
                .send()
                .status,
            status
        );
    }
}

#[test]
fn a_dropped_connection_gets_no_answer_and_stores_nothing() {
    let emulator = start();
    emulator.add_fault(rule("POST /public/v1/dashboards drop count=1"));
    let table = upload_table(&emulator, "Cars", "a\n1\n");
    let answer = api(
        &emulator,
        "POST",
        &format!("/public/v1/dashboards/D/{table}"),
    )
    .try_send();
    assert!(answer.is_none(), "expected no answer, got {answer:?}");
    assert_eq!(emulator.inspect()["dashboards"], json!([]));
    assert_eq!(emulator.requests().last().unwrap().status, 0);
    // the next one goes through
    api(
        &emulator,
        "POST",
        &format!("/public/v1/dashboards/D/{table}"),
    )
    .send()
    .ok();
}

#[test]
fn commit_then_fail_stores_the_object_but_answers_500() {
    let emulator = start();
    let table = upload_table(&emulator, "Cars", "a\n1\n");
    emulator.add_fault(FaultRule {
        method: Some("POST".into()),
        path_prefix: Some("/public/v1/dashboards".into()),
        kind: FaultKind::CommitThenFail,
        count: Some(1),
    });
    let answer = api(
        &emulator,
        "POST",
        &format!("/public/v1/dashboards/D/{table}"),
    )
    .send();
    assert_eq!(answer.status, 500);
    assert_eq!(
        emulator.inspect()["dashboards"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn random_faults_are_reproducible_with_a_seed() {
    let outcomes = || {
        let emulator = start();
        emulator.add_fault(rule("GET random=0.5 seed=99"));
        (0..30)
            .map(|_| {
                api(&emulator, "GET", "/public/v1/healthcheck")
                    .try_send()
                    .map(|a| a.status)
            })
            .collect::<Vec<_>>()
    };
    let first = outcomes();
    assert_eq!(first, outcomes());
    assert!(first.contains(&Some(200)));
    assert!(first.iter().any(|o| o != &Some(200)), "{first:?}");
    for outcome in first.iter().flatten() {
        assert!([200, 429, 502, 503].contains(outcome), "{outcome}");
    }
}

#[test]
fn faults_are_scriptable_over_the_control_route() {
    let emulator = start();
    let added = raw(&emulator, "POST", "/_emulator/faults")
        .body(r#"{"method":"GET","path_prefix":"/public/v1/healthcheck","kind":"status","status":503,"retry_after_secs":1,"count":1}"#)
        .send();
    assert_eq!(added.ok().json()[0]["kind"], "status");
    let answer = api(&emulator, "GET", "/public/v1/healthcheck").send();
    assert_eq!(
        (answer.status, answer.header("retry-after")),
        (503, Some("1"))
    );
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();

    raw(&emulator, "POST", "/_emulator/faults")
        .body(r#"{"kind":"status","status":502}"#)
        .send()
        .ok();
    assert_eq!(
        api(&emulator, "GET", "/public/v1/healthcheck")
            .send()
            .status,
        502
    );
    assert_eq!(
        raw(&emulator, "DELETE", "/_emulator/faults").send().status,
        204
    );
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();
    assert_eq!(
        raw(&emulator, "GET", "/_emulator/faults").send().json(),
        json!([])
    );

    for bad in [
        r#"{"kind":"status","status":200}"#,
        r#"{"kind":"explode"}"#,
        "not json",
    ] {
        let answer = raw(&emulator, "POST", "/_emulator/faults").body(bad).send();
        assert_eq!(answer.status, 400, "{bad}");
    }
    // control requests stay out of the API request log
    assert!(
        emulator
            .requests()
            .iter()
            .all(|r| !r.path.contains("_emulator"))
    );
}

#[test]
fn clear_faults_on_the_handle_removes_them() {
    let emulator = start();
    emulator.add_fault(rule("status=503"));
    assert_eq!(
        api(&emulator, "GET", "/public/v1/healthcheck")
            .send()
            .status,
        503
    );
    emulator.clear_faults();
    api(&emulator, "GET", "/public/v1/healthcheck").send().ok();
}
