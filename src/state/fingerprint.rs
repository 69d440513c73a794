//! What the server said about an object right after apply wrote it: the cheap fields a
//! refresh compares before it decides to download a body. Kept apart from `attributes` (what
//! grokform applied, compared by the planner) because these are the server's words, recorded
//! only from a read-back after a write and never by plan; an entry without one is simply
//! compared the expensive way.

use serde::{Deserialize, Serialize};

/// The server's fingerprint of one applied object, as its read routes answer it
/// (`datagrok-api.md`). Every field is optional: a server that leaves one out, or refuses the
/// route, gives a fingerprint without it, and the refresh reads the body instead.
///
/// Only tables have one for now: `GET /tables/{id}` answers `updatedOn`. A dashboard's
/// layout, as `GET /layouts` serves it, has no `updatedOn` (only `createdOn`, which the API
/// notes list among the fields that change on every export), and that read carries the
/// layout itself anyway, so layouts are compared by meaning on every refresh.
///
/// `updatedOn` values are the server's own text, compared for equality only (never parsed,
/// never made up by grokform): they change when the object is written again, so the file
/// changes only when apply wrote the object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// A table's `updatedOn` (`GET /tables/{id}`): a new upload of its data advances it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_on: Option<String>,
}

impl Fingerprint {
    /// True when it holds nothing to compare.
    pub fn is_empty(&self) -> bool {
        *self == Fingerprint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_known_is_written_and_unknown_fields_are_refused() {
        let table = Fingerprint {
            updated_on: Some("2026-01-01T00:00:05.000Z".into()),
        };
        let text = serde_json::to_string(&table).unwrap();
        assert_eq!(text, r#"{"updated_on":"2026-01-01T00:00:05.000Z"}"#);
        assert_eq!(serde_json::from_str::<Fingerprint>(&text).unwrap(), table);
        assert!(Fingerprint::default().is_empty());
        assert!(!table.is_empty());
        assert!(serde_json::from_str::<Fingerprint>(r#"{"etag":"x"}"#).is_err());
    }
}
