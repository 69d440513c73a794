//! `--target`: which addresses a partial plan keeps.

use std::collections::{BTreeMap, BTreeSet};

use crate::address::Address;

/// The addresses to keep for `--target`: the targets and, transitively, what they depend on.
/// `None` when there are no targets. A `--replace` address is kept too: it was asked for by
/// name, and leaving it out of a partial plan would drop the request silently.
pub(super) fn targeted(
    targets: &[Address],
    replace: &[Address],
    deps: &BTreeMap<Address, Vec<Address>>,
    warnings: &mut BTreeSet<String>,
) -> Option<BTreeSet<Address>> {
    if targets.is_empty() {
        return None;
    }
    let mut keep = BTreeSet::new();
    let mut todo: Vec<&Address> = Vec::new();
    for target in targets {
        if deps.contains_key(target) {
            todo.push(target);
        } else {
            warnings.insert(format!(
                "`--target {target}` matches no resource in the manifest or the state"
            ));
        }
    }
    todo.extend(replace.iter().filter(|a| deps.contains_key(*a)));
    while let Some(address) = todo.pop() {
        if keep.insert(address.clone()) {
            todo.extend(deps.get(address).into_iter().flatten());
        }
    }
    Some(keep)
}
