//! Edits of a loaded state by address, shared by `grokform state rm|mv` and by the manifest's
//! `moved:` blocks: pure functions on a `State`, so saving (lock, serial, backup) stays with the
//! store and every caller gets the same rules (same kind, no overwrite, shares follow their
//! dashboard).

use crate::address::{Address, Kind};

use super::State;

/// Why an edit of the state by address was refused. Nothing is changed when one is returned.
#[derive(Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum EditError {
    /// The address is not in the state.
    #[error("`{address}` is not in the state")]
    #[diagnostic(code(grokform::state::unknown_address))]
    Unknown {
        address: Address,
        #[help]
        help: Option<String>,
    },

    /// A move would overwrite what the state already records.
    #[error("cannot move `{from}` to `{to}`: `{to}` is already in the state")]
    #[diagnostic(
        code(grokform::state::address_taken),
        help("`grokform state rm {to}` first if it should be forgotten")
    )]
    Taken { from: Address, to: Address },

    /// A move between kinds (a table cannot become a dashboard).
    #[error("cannot move `{from}` to `{to}`: a {} cannot become a {}", from.kind, to.kind)]
    #[diagnostic(code(grokform::state::kind_change))]
    KindChange { from: Address, to: Address },

    /// A move onto itself.
    #[error("cannot move `{from}` onto itself")]
    #[diagnostic(code(grokform::state::same_address))]
    Same { from: Address },
}

/// One address renamed, with why (`follows`: the dashboard a share moved with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    pub from: Address,
    pub to: Address,
    pub follows: Option<Address>,
}

/// One address forgotten, with why (`follows`: the dashboard a share went with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub address: Address,
    pub follows: Option<Address>,
}

/// The state's addresses of `kind` (all with `None`), sorted.
pub fn list(state: &State, kind: Option<Kind>) -> Vec<&Address> {
    state
        .resources
        .keys()
        .filter(|address| kind.is_none_or(|k| address.kind == k))
        .collect()
}

/// Errors unless `address` is in the state, suggesting the closest address that is.
pub fn check_known(state: &State, address: &Address) -> Result<(), EditError> {
    if state.resources.contains_key(address) {
        return Ok(());
    }
    Err(EditError::Unknown {
        address: address.clone(),
        help: closest(state, address).map(|best| format!("did you mean `{best}`?")),
    })
}

/// The state's address most like `address`, if any is close enough to be a likely typo.
fn closest<'a>(state: &'a State, address: &Address) -> Option<&'a Address> {
    let wanted = address.to_string().to_lowercase();
    state
        .resources
        .keys()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&wanted, &candidate.to_string().to_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        // highest score; on a tie the first in address order, so the hint is stable
        .fold(
            None,
            |best: Option<(f64, &Address)>, (score, candidate)| match best {
                Some((b, _)) if b >= score => best,
                _ => Some((score, candidate)),
            },
        )
        .map(|(_, address)| address)
}

/// The shares granted on dashboard `key`, sorted.
fn shares_of(state: &State, dashboard: &str) -> Vec<Address> {
    let prefix = format!("{dashboard}.");
    state
        .resources
        .keys()
        .filter(|a| a.kind == Kind::Share && a.key.starts_with(&prefix))
        .cloned()
        .collect()
}

/// Forgets `addresses` (all or none: every one must be in the state). A dashboard takes its
/// shares with it, since a grant cannot be managed without its dashboard. Returns what was
/// forgotten, sorted.
pub fn remove(state: &mut State, addresses: &[Address]) -> Result<Vec<Removed>, EditError> {
    for address in addresses {
        check_known(state, address)?;
    }
    let mut removed = std::collections::BTreeMap::new();
    for address in addresses {
        removed.insert(address.clone(), None);
    }
    for address in addresses {
        if address.kind == Kind::Dashboard {
            for share in shares_of(state, &address.key) {
                removed
                    .entry(share)
                    .or_insert_with(|| Some(address.clone()));
            }
        }
    }
    for address in removed.keys() {
        state.resources.remove(address);
    }
    Ok(removed
        .into_iter()
        .map(|(address, follows)| Removed { address, follows })
        .collect())
}

/// Checks that `from` may become `to` in `state` and returns every rename it implies (a
/// dashboard's shares follow it), without changing anything.
pub fn plan_rename(state: &State, from: &Address, to: &Address) -> Result<Vec<Renamed>, EditError> {
    if from == to {
        return Err(EditError::Same { from: from.clone() });
    }
    if from.kind != to.kind {
        return Err(EditError::KindChange {
            from: from.clone(),
            to: to.clone(),
        });
    }
    check_known(state, from)?;
    if state.resources.contains_key(to) {
        return Err(EditError::Taken {
            from: from.clone(),
            to: to.clone(),
        });
    }
    let mut renames = vec![Renamed {
        from: from.clone(),
        to: to.clone(),
        follows: None,
    }];
    if from.kind == Kind::Dashboard {
        for share in shares_of(state, &from.key) {
            let group = &share.key[from.key.len() + 1..];
            let moved = Address::share(&to.key, group);
            if state.resources.contains_key(&moved) {
                return Err(EditError::Taken {
                    from: share,
                    to: moved,
                });
            }
            renames.push(Renamed {
                from: share,
                to: moved,
                follows: Some(from.clone()),
            });
        }
    }
    Ok(renames)
}

/// Renames `from` to `to` (same kind; `to` must not be in the state); a dashboard's shares
/// follow it. Returns every rename made, the asked one first.
pub fn rename(state: &mut State, from: &Address, to: &Address) -> Result<Vec<Renamed>, EditError> {
    let renames = plan_rename(state, from, to)?;
    apply_renames(state, &renames);
    Ok(renames)
}

/// Makes renames already checked by `plan_rename`.
pub fn apply_renames(state: &mut State, renames: &[Renamed]) {
    for rename in renames {
        if let Some(resource) = state.resources.remove(&rename.from) {
            state.resources.insert(rename.to.clone(), resource);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ResourceState, ResourceStatus};

    fn resource(kind: Kind, id: &str) -> ResourceState {
        ResourceState {
            kind,
            remote_id: Some(id.to_string()),
            inputs_hash: "h".into(),
            attributes: Default::default(),
            applied_serial: 1,
            status: ResourceStatus::Applied,
            observed: None,
        }
    }

    fn state() -> State {
        let mut state = State::new();
        for (address, id) in [
            ("table.orders", "t1"),
            ("dashboard.overview", "d1"),
            ("dashboard.other", "d2"),
            ("share.overview.Analysts", "s1"),
            ("share.overview.Managers", "s2"),
            ("share.other.Analysts", "s3"),
        ] {
            let address: Address = address.parse().unwrap();
            let kind = address.kind;
            state.resources.insert(address, resource(kind, id));
        }
        state
    }

    fn addr(text: &str) -> Address {
        text.parse().unwrap()
    }

    #[test]
    fn list_filters_by_kind_in_address_order() {
        let state = state();
        let dashboards: Vec<String> = list(&state, Some(Kind::Dashboard))
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(dashboards, ["dashboard.other", "dashboard.overview"]);
        assert_eq!(list(&state, None).len(), 6);
    }

    #[test]
    fn a_renamed_dashboard_takes_its_shares_and_keeps_its_ids() {
        let mut state = state();
        let renames = rename(
            &mut state,
            &addr("dashboard.overview"),
            &addr("dashboard.sales"),
        )
        .unwrap();
        let pairs: Vec<(String, String)> = renames
            .iter()
            .map(|r| (r.from.to_string(), r.to.to_string()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("dashboard.overview".into(), "dashboard.sales".into()),
                (
                    "share.overview.Analysts".into(),
                    "share.sales.Analysts".into()
                ),
                (
                    "share.overview.Managers".into(),
                    "share.sales.Managers".into()
                ),
            ]
        );
        assert_eq!(
            state.resources[&addr("dashboard.sales")]
                .remote_id
                .as_deref(),
            Some("d1")
        );
        assert_eq!(
            state.resources[&addr("share.sales.Managers")]
                .remote_id
                .as_deref(),
            Some("s2")
        );
        assert!(!state.resources.contains_key(&addr("dashboard.overview")));
        assert!(state.resources.contains_key(&addr("share.other.Analysts")));
    }

    #[test]
    fn refused_renames_change_nothing() {
        let mut state = state();
        let before = state.clone();
        let cases = [
            ("dashboard.overview", "dashboard.other", "address_taken"),
            ("dashboard.overview", "table.overview", "kind_change"),
            ("dashboard.overview", "dashboard.overview", "same_address"),
            ("dashboard.nope", "dashboard.new", "unknown_address"),
        ];
        for (from, to, code) in cases {
            let err = rename(&mut state, &addr(from), &addr(to)).unwrap_err();
            let got = miette::Diagnostic::code(&err).unwrap().to_string();
            assert_eq!(got, format!("grokform::state::{code}"), "{from} → {to}");
            assert_eq!(state, before);
        }
    }

    #[test]
    fn unknown_addresses_suggest_the_closest() {
        let state = state();
        let err = check_known(&state, &addr("dashboard.overveiw")).unwrap_err();
        assert_eq!(
            err,
            EditError::Unknown {
                address: addr("dashboard.overveiw"),
                help: Some("did you mean `dashboard.overview`?".into()),
            }
        );
        let err = check_known(&state, &addr("call.zzzzzzzz")).unwrap_err();
        assert!(
            matches!(err, EditError::Unknown { help: None, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn removing_is_all_or_nothing_and_a_dashboard_takes_its_shares() {
        let mut state = state();
        let before = state.clone();
        assert!(remove(&mut state, &[addr("table.orders"), addr("table.nope")]).is_err());
        assert_eq!(state, before);
        let removed = remove(&mut state, &[addr("dashboard.overview")]).unwrap();
        let names: Vec<(String, Option<String>)> = removed
            .iter()
            .map(|r| {
                (
                    r.address.to_string(),
                    r.follows.as_ref().map(|a| a.to_string()),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("dashboard.overview".into(), None),
                (
                    "share.overview.Analysts".into(),
                    Some("dashboard.overview".into())
                ),
                (
                    "share.overview.Managers".into(),
                    Some("dashboard.overview".into())
                ),
            ]
        );
        assert_eq!(state.resources.len(), 3);
    }
}
