//! Snapshots of a plan that repairs drift: the "Changed outside grokform" section, ignored
//! drift, grants left in place, notes, and the closing sentence that claims only what was read.

use super::*;
use crate::address::Address;
use crate::plan::testing::{Fixture, applied, empty_state, options};
use crate::plan::{Drift, DriftKind, Observation, Observed, Plan, UnmanagedGrant, plan};

fn refreshed(fixture: &Fixture, edit: impl FnOnce(&mut Observed)) -> Plan {
    let state = applied(&fixture.model(), &empty_state());
    let mut observed = Observed {
        refreshed: true,
        ..Observed::default()
    };
    for address in state.resources.keys() {
        observed
            .resources
            .insert(address.clone(), Observation::InSync);
    }
    edit(&mut observed);
    plan(&fixture.model(), &state, &observed, &options()).expect("the plan succeeds")
}

fn drifting() -> Plan {
    refreshed(&Fixture::sales(), |observed| {
        observed.resources.insert(
            Address::table("orders"),
            Observation::Drifted {
                drift: vec![Drift::new(
                    DriftKind::DataChanged,
                    "3 rows on the server, 2 applied",
                )],
            },
        );
        observed.resources.insert(
            Address::share("overview", "Analysts"),
            Observation::Gone {
                drift: Drift::new(
                    DriftKind::GrantRemoved,
                    "`Analysts` has no View grant on the server",
                ),
            },
        );
        let mut file = Drift::new(DriftKind::FileChanged, "other content (14 bytes)");
        file.ignored = true;
        observed.resources.insert(
            Address::file("raw-sales"),
            Observation::Drifted { drift: vec![file] },
        );
        observed.unmanaged_grants.push(UnmanagedGrant {
            dashboard: Address::dashboard("overview"),
            group: "Developers".into(),
            access: "Edit".into(),
            ignored: false,
        });
        observed
            .notes
            .push("table columns on this server cannot be verified; table data is compared through the public download (internal route refused: HTTP 403)".into());
    })
}

#[test]
fn drift_repairs_come_first_under_their_own_heading() {
    let plan = drifting();
    insta::assert_snapshot!("drift_human", human(&plan, false));
    insta::assert_snapshot!("drift_markdown", markdown(&plan, DEFAULT_LIMIT));
    let json: serde_json::Value = serde_json::from_str(&json(&plan)).unwrap();
    let orders = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "table.orders")
        .unwrap();
    assert_eq!(orders["drift"][0]["kind"], "data-changed");
    assert_eq!(json["notes"].as_array().unwrap().len(), 1);
}

#[test]
fn no_changes_claims_only_what_was_read() {
    let fixture = Fixture::sales();
    let clean = refreshed(&fixture, |_| {});
    assert!(human(&clean, false).contains("No changes. The server matches the manifest."));

    let state = applied(&fixture.model(), &empty_state());
    let unread = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let text = human(&unread, false);
    assert!(
        text.contains("the server was not read (--refresh=false)"),
        "{text}"
    );
    assert!(!text.contains("The server matches"), "{text}");

    let partly = refreshed(&fixture, |observed| {
        let reason =
            "dashboards on this server cannot be verified (internal route refused: HTTP 403)";
        observed.resources.insert(
            Address::dashboard("overview"),
            Observation::Unverified {
                reason: reason.into(),
            },
        );
        observed.notes.push(reason.into());
    });
    insta::assert_snapshot!("drift_unverified_human", human(&partly, false));
    let text = markdown(&partly, DEFAULT_LIMIT);
    assert!(text.contains("dashboards could not be verified"), "{text}");
}

#[test]
fn a_comment_lists_at_most_a_hundred_drift_rows() {
    let mut fixture = Fixture::sales();
    for i in 0..120 {
        fixture.table(
            &format!("t{i:03}"),
            &format!("JohnDoe:Sales:T{i:03}"),
            "id\n1\n",
        );
    }
    let plan = refreshed(&fixture, |observed| {
        for i in 0..120 {
            observed.resources.insert(
                Address::table(&format!("t{i:03}")),
                Observation::Drifted {
                    drift: vec![Drift::new(
                        DriftKind::DataChanged,
                        "2 rows on the server, 1 applied",
                    )],
                },
            );
        }
    });
    let text = markdown(&plan, DEFAULT_LIMIT);
    assert_eq!(text.matches("| data changed |").count(), 100, "{text}");
    assert!(text.contains("_… 20 more not shown; run `grokform plan` for all of them._"));
    assert!(text.chars().count() <= DEFAULT_LIMIT);
    assert_eq!(human(&plan, false).matches("~ data changed:").count(), 120);
}
