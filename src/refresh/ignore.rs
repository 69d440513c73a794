//! `ignore_changes` of the manifest applied to what a refresh saw: covered drift is marked
//! ignored (reported as "ignored drift", never repaired), never dropped, so a report always
//! shows everything that differs.

use std::collections::BTreeMap;

use crate::address::Kind;
use crate::plan::{DriftKind, Observed};

/// One `ignore_changes` entry of a dashboard.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IgnoreRule {
    /// `layout`: any edit of the layout.
    Layout,
    /// `shares`: grants added, removed or changed on the dashboard.
    Shares,
    /// A JSON pointer into the layout (`/viewStateMap/viewers/0/look/title`): edits at it or
    /// below it.
    LayoutPointer(String),
}

impl IgnoreRule {
    /// Reads one manifest entry: `layout`, `shares`, or a JSON pointer starting with `/`.
    pub fn parse(text: &str) -> Option<IgnoreRule> {
        match text {
            "layout" => Some(IgnoreRule::Layout),
            "shares" => Some(IgnoreRule::Shares),
            pointer if pointer.starts_with('/') => Some(IgnoreRule::LayoutPointer(pointer.into())),
            _ => None,
        }
    }

    /// Whether a layout edit at `pointer` is covered.
    fn covers_pointer(&self, pointer: &str) -> bool {
        match self {
            IgnoreRule::Layout => true,
            IgnoreRule::Shares => false,
            IgnoreRule::LayoutPointer(p) => {
                pointer == p
                    || pointer
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            }
        }
    }
}

/// The `ignore_changes` rules of the model's dashboards, by dashboard key.
pub fn ignore_rules(model: &crate::model::Model) -> BTreeMap<String, Vec<IgnoreRule>> {
    model
        .dashboards
        .iter()
        .map(|(key, d)| {
            let rules = d
                .ignore_changes
                .iter()
                .filter_map(|e| IgnoreRule::parse(e))
                .collect();
            (key.to_string(), rules)
        })
        .filter(|(_, rules): &(String, Vec<IgnoreRule>)| !rules.is_empty())
        .collect()
}

/// Marks the drift that `rules` (by dashboard key) cover as ignored.
pub fn apply_ignore_rules(observed: &mut Observed, rules: &BTreeMap<String, Vec<IgnoreRule>>) {
    let rules_of = |dashboard: &str| rules.get(dashboard).map(Vec::as_slice).unwrap_or(&[]);
    for (address, observation) in observed.resources.iter_mut() {
        let (dashboard, shares) = match address.kind {
            Kind::Dashboard => (address.key.as_str(), false),
            Kind::Share => (address.key.split_once('.').map_or("", |(d, _)| d), true),
            _ => continue,
        };
        let rules = rules_of(dashboard);
        if rules.is_empty() {
            continue;
        }
        let covered = |kind: DriftKind, pointers: &[String]| match kind {
            DriftKind::LayoutEdited => {
                !pointers.is_empty()
                    && pointers
                        .iter()
                        .all(|p| rules.iter().any(|r| r.covers_pointer(p)))
            }
            DriftKind::GrantRemoved | DriftKind::AccessChanged => {
                shares && rules.contains(&IgnoreRule::Shares)
            }
            _ => false,
        };
        match observation {
            crate::plan::Observation::Gone { drift } => {
                drift.ignored = covered(drift.kind, &drift.pointers);
            }
            crate::plan::Observation::Drifted { drift } => {
                for item in drift.iter_mut() {
                    item.ignored = covered(item.kind, &item.pointers);
                }
            }
            _ => {}
        }
    }
    for grant in observed.unmanaged_grants.iter_mut() {
        grant.ignored = rules_of(&grant.dashboard.key).contains(&IgnoreRule::Shares);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::plan::{Drift, Observation, UnmanagedGrant};

    fn layout_drift(pointers: &[&str]) -> Observation {
        Observation::Drifted {
            drift: vec![
                Drift {
                    pointers: pointers.iter().map(|p| p.to_string()).collect(),
                    ..Drift::new(DriftKind::LayoutEdited, "changed")
                },
                Drift::new(DriftKind::DashboardRenamed, "named `x`"),
            ],
        }
    }

    #[test]
    fn rules_mark_drift_ignored_and_keep_it() {
        let mut observed = Observed::default();
        observed.resources.insert(
            Address::dashboard("a"),
            layout_drift(&["/look/title", "/look/colors/0"]),
        );
        observed.resources.insert(
            Address::dashboard("b"),
            layout_drift(&["/look/title", "/x"]),
        );
        observed.resources.insert(
            Address::share("a", "Analysts"),
            Observation::Gone {
                drift: Drift::new(DriftKind::GrantRemoved, "none"),
            },
        );
        observed.unmanaged_grants.push(UnmanagedGrant {
            dashboard: Address::dashboard("a"),
            group: "Developers".into(),
            access: "Edit".into(),
            ignored: false,
        });
        let rules = BTreeMap::from([
            (
                "a".to_string(),
                vec![
                    IgnoreRule::parse("/look").unwrap(),
                    IgnoreRule::parse("shares").unwrap(),
                ],
            ),
            (
                "b".to_string(),
                vec![IgnoreRule::parse("/look/title").unwrap()],
            ),
        ]);
        apply_ignore_rules(&mut observed, &rules);
        let a = observed.get(&Address::dashboard("a")).unwrap();
        assert!(
            !a.has(DriftKind::LayoutEdited),
            "every pointer is under /look"
        );
        assert!(
            a.has(DriftKind::DashboardRenamed),
            "renames are never ignored"
        );
        let b = observed.get(&Address::dashboard("b")).unwrap();
        assert!(b.has(DriftKind::LayoutEdited), "`/x` is not covered");
        assert!(
            !observed
                .get(&Address::share("a", "Analysts"))
                .unwrap()
                .is_gone()
        );
        assert!(observed.unmanaged_grants[0].ignored);
        assert_eq!(observed.ignored_count(), 3);
        assert_eq!(observed.drift_count(), 3);
        assert_eq!(IgnoreRule::parse("colour"), None);
        assert!(!IgnoreRule::LayoutPointer("/look".into()).covers_pointer("/lookup"));
    }
}
