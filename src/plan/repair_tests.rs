//! Drift repaired: each kind a refresh names becomes the change that puts the manifest back,
//! ignored drift and grants added by hand are shown and left alone, and what could not be
//! verified becomes a note.

use super::testing::{actions, baseline, change, options, recorded};
use super::*;

/// What a refresh that read everything in sync, plus `drift`, would say.
fn observed(state: &crate::state::State, drift: &[(&str, Observation)]) -> Observed {
    let mut observed = Observed {
        refreshed: true,
        ..Observed::default()
    };
    for address in state
        .resources
        .keys()
        .filter(|a| a.kind != crate::address::Kind::Call)
    {
        observed
            .resources
            .insert(address.clone(), Observation::InSync);
    }
    for (address, observation) in drift {
        observed
            .resources
            .insert(address.parse().unwrap(), observation.clone());
    }
    observed
}

fn gone(kind: DriftKind) -> Observation {
    Observation::Gone {
        drift: Drift::new(kind, "seen"),
    }
}

fn drifted(kind: DriftKind) -> Observation {
    Observation::Drifted {
        drift: vec![Drift::new(kind, "seen")],
    }
}

fn planned(observed: &Observed) -> Plan {
    let (fixture, state) = baseline();
    plan(&fixture.model(), &state, observed, &options()).unwrap()
}

#[test]
fn in_sync_everywhere_plans_nothing_and_says_the_server_was_read() {
    let (fixture, state) = baseline();
    let plan = plan(&fixture.model(), &state, &observed(&state, &[]), &options()).unwrap();
    assert!(!plan.has_changes(), "{:?}", actions(&plan));
    assert_eq!(plan.refresh, Some(RefreshOutcome::default()));
    assert!(plan.notes.is_empty());
    let unread = super::plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(
        unread.refresh, None,
        "no refresh, no claim about the server"
    );
}

#[test]
fn a_table_whose_data_changed_is_uploaded_again_keeping_its_id() {
    let (_, state) = baseline();
    let plan = planned(&observed(
        &state,
        &[("table.orders", drifted(DriftKind::DataChanged))],
    ));
    let orders = change(&plan, "table.orders");
    assert_eq!(orders.action, Action::Update);
    assert!(orders.reasons[0].starts_with("changed outside grokform (data changed)"));
    assert_eq!(orders.drift, [Drift::new(DriftKind::DataChanged, "seen")]);
    // the ID stays, so the dashboard showing it is untouched; the call depending on it reruns
    assert_eq!(change(&plan, "dashboard.overview").action, Action::NoOp);
}

#[test]
fn a_deleted_table_is_uploaded_anew_and_its_dashboard_follows() {
    let (_, state) = baseline();
    let plan = planned(&observed(
        &state,
        &[("table.orders", gone(DriftKind::TableDeleted))],
    ));
    assert_eq!(change(&plan, "table.orders").action, Action::Create);
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Replace);
    assert!(
        dashboard
            .reasons
            .iter()
            .any(|r| r.contains("table.orders is created")),
        "{:?}",
        dashboard.reasons
    );
    assert_eq!(
        change(&plan, "share.overview.Analysts").action,
        Action::Create
    );
}

#[test]
fn deleted_or_changed_files_are_uploaded_again() {
    let (_, state) = baseline();
    for kind in [DriftKind::FileDeleted, DriftKind::FileChanged] {
        let observation = if kind == DriftKind::FileDeleted {
            gone(kind)
        } else {
            drifted(kind)
        };
        let plan = planned(&observed(&state, &[("file.raw-sales", observation)]));
        let file = change(&plan, "file.raw-sales");
        assert_eq!(file.action, Action::Update, "{kind}");
        assert!(
            file.reasons[0].contains(kind.phrase()),
            "{:?}",
            file.reasons
        );
        assert_eq!(
            actions(&plan)
                .iter()
                .filter(|a| !a.starts_with("no-op"))
                .count(),
            1
        );
    }
}

#[test]
fn a_deleted_dashboard_is_created_anew_and_its_shares_follow() {
    let (_, state) = baseline();
    let plan = planned(&observed(
        &state,
        &[("dashboard.overview", gone(DriftKind::DashboardDeleted))],
    ));
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.action, Action::Create);
    assert!(
        dashboard.warnings.is_empty(),
        "no old URL stays: {:?}",
        dashboard.warnings
    );
    assert_eq!(
        change(&plan, "share.overview.Managers").action,
        Action::Create
    );
}

#[test]
fn an_edited_dashboard_is_replaced() {
    let (_, state) = baseline();
    for kind in [
        DriftKind::DashboardRenamed,
        DriftKind::TablesChanged,
        DriftKind::LayoutEdited,
    ] {
        let plan = planned(&observed(&state, &[("dashboard.overview", drifted(kind))]));
        let dashboard = change(&plan, "dashboard.overview");
        assert_eq!(dashboard.action, Action::Replace, "{kind}");
        assert_eq!(
            dashboard.reasons,
            [format!("changed outside grokform ({kind})")]
        );
        assert!(dashboard.warnings[0].contains("its URL changes"));
    }
}

#[test]
fn removed_or_changed_grants_are_granted_again() {
    let (_, state) = baseline();
    let plan = planned(&observed(
        &state,
        &[
            ("share.overview.Analysts", gone(DriftKind::GrantRemoved)),
            (
                "share.overview.Managers",
                Observation::Drifted {
                    drift: vec![Drift::new(
                        DriftKind::AccessChanged,
                        "`Managers` has View access on the server",
                    )],
                },
            ),
        ],
    ));
    for share in ["share.overview.Analysts", "share.overview.Managers"] {
        let change = change(&plan, share);
        assert_eq!(change.action, Action::Update, "{share}");
        assert!(change.reasons[0].ends_with("granted again"));
    }
    assert_eq!(change(&plan, "dashboard.overview").action, Action::NoOp);
}

#[test]
fn ignored_drift_is_shown_and_never_repaired() {
    let (_, state) = baseline();
    let mut layout = Drift::new(DriftKind::LayoutEdited, "changed at `/x`");
    layout.ignored = true;
    let plan = planned(&observed(
        &state,
        &[(
            "dashboard.overview",
            Observation::Drifted {
                drift: vec![layout.clone()],
            },
        )],
    ));
    assert!(!plan.has_changes(), "{:?}", actions(&plan));
    assert_eq!(change(&plan, "dashboard.overview").drift, [layout]);
}

#[test]
fn a_grant_added_by_hand_is_reported_on_its_dashboard_and_left_in_place() {
    let (_, state) = baseline();
    let mut seen = observed(&state, &[]);
    seen.unmanaged_grants.push(UnmanagedGrant {
        dashboard: Address::dashboard("overview"),
        group: "Developers".into(),
        access: "Edit".into(),
        ignored: false,
    });
    let plan = planned(&seen);
    assert!(!plan.has_changes());
    let dashboard = change(&plan, "dashboard.overview");
    assert_eq!(dashboard.drift.len(), 1);
    assert_eq!(dashboard.drift[0].kind, DriftKind::GrantAdded);
}

#[test]
fn what_could_not_be_verified_becomes_a_note_not_a_failure() {
    let (_, state) = baseline();
    let note = "dashboards on this server cannot be verified (internal route refused: HTTP 403)";
    let mut seen = observed(
        &state,
        &[
            (
                "dashboard.overview",
                Observation::Unverified {
                    reason: note.into(),
                },
            ),
            (
                "table.orders",
                Observation::Unverified {
                    reason: "no answer within 1m".into(),
                },
            ),
        ],
    );
    seen.notes.push(note.into());
    let plan = planned(&seen);
    assert!(!plan.has_changes());
    assert_eq!(
        plan.notes,
        [
            note.to_string(),
            "not verified on the server (no answer within 1m): `table.orders`".to_string()
        ]
    );
    assert_eq!(
        plan.refresh.unwrap().unverified,
        [Address::table("orders"), Address::dashboard("overview")]
    );
}

#[test]
fn the_repair_converges_once_applied() {
    let (fixture, state) = baseline();
    let drifting = observed(
        &state,
        &[
            ("table.orders", gone(DriftKind::TableDeleted)),
            ("share.overview.Analysts", gone(DriftKind::GrantRemoved)),
        ],
    );
    let plan = plan(&fixture.model(), &state, &drifting, &options()).unwrap();
    let after = recorded(&fixture.model(), &state, &plan);
    let next = super::plan(&fixture.model(), &after, &observed(&after, &[]), &options()).unwrap();
    assert!(!next.has_changes(), "{:?}", actions(&next));
}

#[test]
fn a_removed_file_already_deleted_on_the_server_is_only_forgotten() {
    let (mut fixture, state) = baseline();
    fixture.model_mut().files.clear();
    let seen = observed(&state, &[("file.raw-sales", gone(DriftKind::FileDeleted))]);
    let plan = plan(&fixture.model(), &state, &seen, &options()).unwrap();
    let file = change(&plan, "file.raw-sales");
    assert_eq!(file.action, Action::Forget);
    assert_eq!(
        file.reasons,
        [
            "removed from the manifest",
            "already deleted outside grokform: only forgotten"
        ]
    );
    let unread = super::plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    assert_eq!(change(&unread, "file.raw-sales").action, Action::Delete);
}
