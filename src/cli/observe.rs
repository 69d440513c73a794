//! The refresh that `plan` and `apply` run before planning (`--refresh`, default on): the
//! server read back into an [`Observed`] the pure planner repairs from. It lives in `cli`
//! because it prints where the rest of the progress goes (standard error) and because the
//! choice to skip it (`--refresh=false`) is the user's.

use super::session::Session;
use crate::plan::Observed;
use crate::refresh::{self, RefreshOptions};
use crate::state::State;

/// What the server holds for everything `state` records, or `Observed::default()` (nothing
/// read) when `enabled` is false. A state with nothing applied needs no read to be verified.
pub async fn observe(
    session: &Session,
    state: &State,
    enabled: bool,
    parallelism: u16,
) -> Observed {
    if !enabled {
        return Observed::default();
    }
    let managed = state
        .resources
        .values()
        .filter(|r| r.status.is_applied() && r.kind != crate::address::Kind::Call)
        .count();
    if managed == 0 {
        return Observed {
            refreshed: true,
            ..Observed::default()
        };
    }
    anstream::eprintln!(
        "Refreshing: reading {managed} managed object{} back from the server…",
        if managed == 1 { "" } else { "s" }
    );
    let options = RefreshOptions {
        parallelism: usize::from(parallelism),
        ..RefreshOptions::default()
    };
    let mut observed = refresh::refresh(&session.client, state, &options).await;
    refresh::apply_ignore_rules(&mut observed, &refresh::ignore_rules(&session.model));
    let drift = observed.drift_count();
    anstream::eprintln!(
        "Refreshed: {drift} change{} outside grokform, {} ignored, {} unverified.",
        if drift == 1 { "" } else { "s" },
        observed.ignored_count(),
        observed.unverified().len()
    );
    observed
}
