//! A private topological order until the lead switches the planner to `graph::order`.

use std::collections::{BTreeMap, BTreeSet};

use crate::address::Address;

/// Kahn's algorithm over `deps` (address → what it depends on) with the smallest ready address
/// first, so the order is deterministic. Dependencies outside `deps` are ignored; addresses
/// left in a cycle (resolve reports cycles before planning) follow in address order.
pub(crate) fn topological(deps: &BTreeMap<Address, Vec<Address>>) -> Vec<Address> {
    let mut waiting: BTreeMap<&Address, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&Address, Vec<&Address>> = BTreeMap::new();
    for (address, on) in deps {
        let on: BTreeSet<&Address> = on.iter().filter(|d| deps.contains_key(*d)).collect();
        waiting.insert(address, on.len());
        for dep in on {
            dependents.entry(dep).or_default().push(address);
        }
    }
    let mut ready: BTreeSet<&Address> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(a, _)| *a)
        .collect();
    let mut out = Vec::with_capacity(deps.len());
    while let Some(next) = ready.pop_first() {
        out.push(next.clone());
        waiting.remove(next);
        for dependent in dependents.get(next).into_iter().flatten() {
            if let Some(n) = waiting.get_mut(dependent) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(dependent);
                }
            }
        }
    }
    out.extend(waiting.keys().map(|a| (*a).clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first_ties_by_address() {
        let deps = BTreeMap::from([
            (Address::share("d", "A"), vec![Address::dashboard("d")]),
            (
                Address::dashboard("d"),
                vec![Address::table("z"), Address::table("a")],
            ),
            (Address::table("z"), vec![]),
            (Address::table("a"), vec![]),
            (Address::file("f"), vec![]),
        ]);
        let order: Vec<String> = topological(&deps).iter().map(|a| a.to_string()).collect();
        assert_eq!(
            order,
            ["file.f", "table.a", "table.z", "dashboard.d", "share.d.A"]
        );
    }

    #[test]
    fn a_cycle_does_not_lose_addresses() {
        let deps = BTreeMap::from([
            (Address::call("a"), vec![Address::call("b")]),
            (Address::call("b"), vec![Address::call("a")]),
        ]);
        assert_eq!(topological(&deps).len(), 2);
    }
}
