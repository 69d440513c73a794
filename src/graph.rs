//! Dependency order of the model. Kept apart from `model` and `apply` because both need it
//! (resolve to report cycles, apply to walk the graph) and it is pure: addresses in, order out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::address::Address;

/// A dependency cycle: `path` starts and ends with the same address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Cycle {
    pub path: Vec<Address>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.path.iter().map(Address::to_string).collect();
        f.write_str(&parts.join(" → "))
    }
}

/// Every address in dependency order: each after everything it depends on, ties broken by
/// `Address` order so the result is deterministic (Kahn's algorithm). Dependencies that are
/// not keys of `deps` are ignored (resolve reports them as unknown references).
pub fn order(deps: &BTreeMap<Address, Vec<Address>>) -> Result<Vec<Address>, Cycle> {
    let mut waiting: BTreeMap<&Address, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&Address, Vec<&Address>> = BTreeMap::new();
    for (node, needs) in deps {
        let needs: BTreeSet<&Address> = needs.iter().filter(|d| deps.contains_key(*d)).collect();
        waiting.insert(node, needs.len());
        for need in needs {
            dependents.entry(need).or_default().push(node);
        }
    }
    let mut ready: BTreeSet<&Address> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(a, _)| *a)
        .collect();
    let mut out = Vec::with_capacity(deps.len());
    while let Some(node) = ready.pop_first() {
        out.push(node.clone());
        for dependent in dependents.get(node).into_iter().flatten() {
            let n = waiting
                .get_mut(dependent)
                .expect("every dependent is a node");
            *n -= 1;
            if *n == 0 {
                ready.insert(dependent);
            }
        }
    }
    if out.len() == deps.len() {
        return Ok(out);
    }
    let stuck: BTreeSet<&Address> = waiting
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(a, _)| *a)
        .collect();
    Err(find_cycle(deps, &stuck))
}

/// A cycle among `stuck` (nodes Kahn could not order), starting at the smallest address.
fn find_cycle(deps: &BTreeMap<Address, Vec<Address>>, stuck: &BTreeSet<&Address>) -> Cycle {
    // Every stuck node has a stuck dependency, so walking always reaches a node twice.
    let mut path: Vec<&Address> = Vec::new();
    let mut node = *stuck.first().expect("a cycle leaves stuck nodes");
    loop {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<Address> = path[i..].iter().map(|a| (*a).clone()).collect();
            cycle.push(node.clone());
            return Cycle { path: cycle };
        }
        path.push(node);
        let mut needs: Vec<&Address> = deps[node].iter().filter(|d| stuck.contains(d)).collect();
        needs.sort();
        node = needs.first().expect("a stuck node waits on a stuck node");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<Address, Vec<Address>> {
        edges
            .iter()
            .map(|(n, d)| {
                (
                    n.parse().unwrap(),
                    d.iter().map(|d| d.parse().unwrap()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn orders_dependencies_first_with_address_tie_break() {
        let g = graph(&[
            ("call.z", &["dashboard.d"]),
            ("dashboard.d", &["table.b", "table.a"]),
            ("table.b", &[]),
            ("table.a", &[]),
            ("file.f", &[]),
        ]);
        let order: Vec<String> = order(&g).unwrap().iter().map(|a| a.to_string()).collect();
        assert_eq!(
            order,
            ["file.f", "table.a", "table.b", "dashboard.d", "call.z"]
        );
    }

    #[test]
    fn reports_the_whole_cycle_path() {
        let g = graph(&[
            ("call.a", &["call.b"]),
            ("call.b", &["call.c"]),
            ("call.c", &["call.a"]),
            ("call.d", &["call.a"]),
        ]);
        let cycle = order(&g).unwrap_err();
        assert_eq!(cycle.to_string(), "call.a → call.b → call.c → call.a");
    }
}
