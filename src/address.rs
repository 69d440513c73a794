//! Addresses name every resource grokform manages (`table.sales`, `share.overview.Analysts`).
//! They are the keys of the model, the state, the plan and the dependency graph, so they live
//! in a module of their own that every stage may use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of a managed resource; its `Ord` is the tie-break order of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Table,
    Dashboard,
    Share,
    Call,
}

impl Kind {
    /// The address prefix, also the manifest section's singular name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Table => "table",
            Kind::Dashboard => "dashboard",
            Kind::Share => "share",
            Kind::Call => "call",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `kind.key`; for shares the key is `<dashboard>.<group>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub kind: Kind,
    pub key: String,
}

impl Address {
    pub fn new(kind: Kind, key: impl Into<String>) -> Self {
        Address {
            kind,
            key: key.into(),
        }
    }

    pub fn file(key: &str) -> Self {
        Address::new(Kind::File, key)
    }

    pub fn table(key: &str) -> Self {
        Address::new(Kind::Table, key)
    }

    pub fn dashboard(key: &str) -> Self {
        Address::new(Kind::Dashboard, key)
    }

    pub fn share(dashboard: &str, group: &str) -> Self {
        Address::new(Kind::Share, format!("{dashboard}.{group}"))
    }

    pub fn call(key: &str) -> Self {
        Address::new(Kind::Call, key)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.key)
    }
}

/// Why a string is not an address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "`{0}` is not an address: expected `file.KEY`, `table.KEY`, `dashboard.KEY`, `share.DASHBOARD.GROUP` or `call.KEY`"
)]
pub struct AddressError(pub String);

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AddressError(s.to_string());
        let (kind, key) = s.split_once('.').ok_or_else(err)?;
        let kind = match kind {
            "file" => Kind::File,
            "table" => Kind::Table,
            "dashboard" => Kind::Dashboard,
            "share" => Kind::Share,
            "call" => Kind::Call,
            _ => return Err(err()),
        };
        if key.is_empty() || (kind == Kind::Share && !key.contains('.')) {
            return Err(err());
        }
        Ok(Address::new(kind, key))
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for text in ["table.sales", "share.overview.Analysts", "call.refresh"] {
            let address: Address = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
        assert_eq!(
            Address::share("overview", "Analysts").to_string(),
            "share.overview.Analysts"
        );
    }

    #[test]
    fn rejects_unknown_kinds_and_empty_keys() {
        assert!("layout.x".parse::<Address>().is_err());
        assert!("table.".parse::<Address>().is_err());
        assert!("share.overview".parse::<Address>().is_err());
        assert!("sales".parse::<Address>().is_err());
    }
}
