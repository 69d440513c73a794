//! `--target`: which addresses a partial plan keeps.

use std::collections::{BTreeMap, BTreeSet};

use crate::address::Address;

/// The addresses to keep for `--target`: the targets and, transitively, what they depend on.
/// `None` when there are no targets.
pub(super) fn targeted(
    targets: &[Address],
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
    while let Some(address) = todo.pop() {
        if keep.insert(address.clone()) {
            todo.extend(deps.get(address).into_iter().flatten());
        }
    }
    Some(keep)
}
