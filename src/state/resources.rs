//! The state's resources, a map that remembers which addresses changed since the last save.
//! Apply saves after every action; for a save to cost the size of what changed rather than
//! the size of the whole state, the store must learn what changed without comparing every
//! entry. Reads go through `Deref` to the map; every write goes through `insert`, `remove`,
//! `get_mut` or `clear`, which record the address, so no change can bypass the journal.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ResourceState;
use crate::address::Address;

/// Address → what was applied there, sorted by address.
#[derive(Clone, Default)]
pub struct Resources {
    map: BTreeMap<Address, ResourceState>,
    /// Addresses inserted or removed since the store last took them.
    changed: BTreeSet<Address>,
}

impl Resources {
    /// Sets `address`; returns what was there.
    pub fn insert(&mut self, address: Address, resource: ResourceState) -> Option<ResourceState> {
        self.changed.insert(address.clone());
        self.map.insert(address, resource)
    }

    /// Removes `address`; returns what was there.
    pub fn remove(&mut self, address: &Address) -> Option<ResourceState> {
        let removed = self.map.remove(address);
        if removed.is_some() {
            self.changed.insert(address.clone());
        }
        removed
    }

    /// The entry at `address` to modify in place (counted as changed).
    pub fn get_mut(&mut self, address: &Address) -> Option<&mut ResourceState> {
        let entry = self.map.get_mut(address)?;
        self.changed.insert(address.clone());
        Some(entry)
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.changed
            .extend(std::mem::take(&mut self.map).into_keys());
    }

    /// The addresses changed since the last call, each with its entry now (`None`: removed).
    #[cfg(test)]
    pub(crate) fn take_changed(&mut self) -> Vec<(Address, Option<ResourceState>)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .map(|address| {
                let now = self.map.get(&address).cloned();
                (address, now)
            })
            .collect()
    }

    /// The addresses changed since the last call (their entries are read from the map, not
    /// copied: see `journal::RecordRef`).
    pub(crate) fn take_changed_addresses(&mut self) -> BTreeSet<Address> {
        std::mem::take(&mut self.changed)
    }

    /// Marks `addresses` changed again (a save that took them failed).
    pub(crate) fn mark_changed(&mut self, addresses: impl IntoIterator<Item = Address>) {
        self.changed.extend(addresses);
    }

    /// Whether anything changed since the store last took the changes.
    #[cfg(test)]
    pub(crate) fn has_changes(&self) -> bool {
        !self.changed.is_empty()
    }

    /// Applies a journal record's change without marking it (it is already on disk).
    pub(crate) fn replay(&mut self, address: Address, resource: Option<ResourceState>) {
        match resource {
            Some(resource) => self.map.insert(address, resource),
            None => self.map.remove(&address),
        };
    }
}

impl Deref for Resources {
    type Target = BTreeMap<Address, ResourceState>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

/// Equal when they hold the same entries; what changed since a save does not count.
impl PartialEq for Resources {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map.fmt(f)
    }
}

impl FromIterator<(Address, ResourceState)> for Resources {
    fn from_iter<I: IntoIterator<Item = (Address, ResourceState)>>(iter: I) -> Self {
        let mut resources = Resources::default();
        for (address, resource) in iter {
            resources.insert(address, resource);
        }
        resources
    }
}

impl<'a> IntoIterator for &'a Resources {
    type Item = (&'a Address, &'a ResourceState);
    type IntoIter = std::collections::btree_map::Iter<'a, Address, ResourceState>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl Serialize for Resources {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Resources {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Resources {
            map: BTreeMap::deserialize(deserializer)?,
            changed: BTreeSet::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Kind;

    fn entry(hash: &str) -> ResourceState {
        ResourceState {
            kind: Kind::Table,
            remote_id: None,
            inputs_hash: hash.into(),
            attributes: BTreeMap::new(),
            applied_serial: 1,
            status: Default::default(),
            observed: None,
        }
    }

    #[test]
    fn every_write_is_remembered_until_taken() {
        let mut resources = Resources::default();
        resources.insert(Address::table("a"), entry("1"));
        resources.insert(Address::table("b"), entry("2"));
        resources.insert(Address::table("a"), entry("3"));
        assert_eq!(
            resources.take_changed(),
            [
                (Address::table("a"), Some(entry("3"))),
                (Address::table("b"), Some(entry("2")))
            ]
        );
        assert!(!resources.has_changes());
        assert_eq!(resources.remove(&Address::table("missing")), None);
        assert!(!resources.has_changes(), "removing nothing changes nothing");
        resources.remove(&Address::table("a"));
        assert_eq!(resources.take_changed(), [(Address::table("a"), None)]);
        resources.get_mut(&Address::table("b")).unwrap().inputs_hash = "4".into();
        assert_eq!(
            resources.take_changed(),
            [(Address::table("b"), Some(entry("4")))]
        );
        assert!(resources.get_mut(&Address::table("a")).is_none());
        assert!(!resources.has_changes());
        resources.clear();
        assert_eq!(resources.take_changed(), [(Address::table("b"), None)]);
        assert!(resources.is_empty());
    }

    #[test]
    fn replayed_entries_are_not_changes_and_equality_ignores_changes() {
        let mut replayed = Resources::default();
        replayed.replay(Address::table("a"), Some(entry("1")));
        assert!(!replayed.has_changes());
        let written: Resources = [(Address::table("a"), entry("1"))].into_iter().collect();
        assert!(written.has_changes());
        assert_eq!(replayed, written);
        let text = serde_json::to_string(&written).unwrap();
        let back: Resources = serde_json::from_str(&text).unwrap();
        assert_eq!(back, written);
        assert!(!back.has_changes());
    }
}
