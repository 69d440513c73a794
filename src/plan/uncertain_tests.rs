//! How the plan shows requests an earlier apply left uncertain: a call is run again only when
//! declared idempotent (or confirmed), and the plan says which, with what the request got.

use super::testing::{baseline, change, options};
use super::*;
use crate::address::Address;
use crate::state::{REQUEST_OUTCOME, ResourceStatus};

#[test]
fn an_uncertain_call_is_shown_with_what_its_request_got() {
    let (fixture, mut state) = baseline();
    let call = state.resources.get_mut(&Address::call("refresh")).unwrap();
    call.status = ResourceStatus::Uncertain;
    call.attributes
        .insert(REQUEST_OUTCOME.into(), "answered 502 Bad Gateway".into());
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let refresh = change(&plan, "call.refresh");
    assert_eq!(
        (refresh.action, refresh.uncertain, refresh.sign()),
        (Action::Run, true, "?")
    );
    assert_eq!(
        refresh.reasons,
        ["an earlier apply sent this call and it answered 502 Bad Gateway"]
    );
    assert!(
        refresh.warnings[0].contains("apply refuses to run it again unless it is declared `idempotent: true` or you pass `--confirm-uncertain call.refresh`"),
        "{:?}",
        refresh.warnings
    );
    let human = crate::render::human(&plan, false);
    assert!(
        human.contains("call.refresh may already have run"),
        "{human}"
    );
}

#[test]
fn an_uncertain_idempotent_call_is_planned_to_run_again() {
    let (mut fixture, mut state) = baseline();
    fixture
        .model_mut()
        .calls
        .get_mut("refresh")
        .unwrap()
        .idempotent = true;
    let call = state.resources.get_mut(&Address::call("refresh")).unwrap();
    call.status = ResourceStatus::Uncertain;
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
    let refresh = change(&plan, "call.refresh");
    assert!(refresh.uncertain);
    assert!(
        refresh.warnings[0].contains("the run stopped before any answer was recorded")
            && refresh.warnings[0].contains("declared `idempotent: true`, so apply runs it again"),
        "{:?}",
        refresh.warnings
    );
}
