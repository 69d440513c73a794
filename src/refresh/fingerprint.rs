//! Server fingerprints: what apply records from a read-back right after a write, and what a
//! refresh compares before it downloads a body. Both sides live here so that "the fingerprint
//! matches" means one thing: the object is as apply left it and as apply verified it.
//!
//! A fingerprint is recorded only when the read-back agrees with what was applied (a table's
//! columns and row count); otherwise none is recorded and the next refresh compares the
//! expensive way and reports what it sees, as without fingerprints. Dashboards are read back
//! to verify the create (a dashboard the server cannot find is a failed apply) but record
//! nothing: see `Fingerprint` for why.

use serde_json::Value;

use crate::address::{Address, Kind};
use crate::client::{Capabilities, Capability, Client, ClientError, Table};
use crate::state::{Fingerprint, ResourceState};

/// Why a read-back after a write did not give a fingerprint.
#[derive(Debug, thiserror::Error)]
pub enum ReadBackError {
    /// The server accepted the write, but reading the object back by the ID it answered finds
    /// nothing: the write did not take effect (`grok s push` counts this as a failed save).
    #[error(
        "the server accepted the write and answered ID `{id}`, but reading it back (`{route}`) finds nothing there"
    )]
    Missing { id: String, route: String },
    /// The read itself failed (timeout, server error): nothing is known, nothing recorded.
    #[error("the read-back after the write failed: {0}")]
    Read(#[source] ClientError),
}

/// Reads back what apply just wrote at `address` (recorded as `entry`) and returns the
/// fingerprint to record: `None` when the server refuses the read routes, when the kind has
/// none, or when what the server holds is not what was applied.
pub async fn read_back(
    client: &Client,
    capabilities: &Capabilities,
    address: &Address,
    entry: &ResourceState,
) -> Result<Option<Fingerprint>, ReadBackError> {
    let Some(id) = entry.remote_id.as_deref() else {
        return Ok(None);
    };
    match address.kind {
        Kind::Table if capabilities.allows(Capability::ReadTables) => {
            match client.table(id).await.map_err(ReadBackError::Read)? {
                None => Err(ReadBackError::Missing {
                    id: id.into(),
                    route: format!("GET /tables/{id}"),
                }),
                Some(table) => Ok(of_table(entry, &table)),
            }
        }
        Kind::Dashboard if capabilities.allows(Capability::ReadProjects) => {
            if client
                .project(id)
                .await
                .map_err(ReadBackError::Read)?
                .is_none()
            {
                return Err(ReadBackError::Missing {
                    id: id.into(),
                    route: format!("GET /projects/{id}"),
                });
            }
            // Verified; a dashboard has no cheap field a refresh could use (see `Fingerprint`).
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// A table's fingerprint: its `updatedOn`, when its columns and row count are what was
/// applied (else the refresh has drift to report and must see it).
pub(super) fn of_table(entry: &ResourceState, table: &Table) -> Option<Fingerprint> {
    let updated_on = table.updated_on.clone()?;
    if !table_agrees(entry, table) {
        return None;
    }
    Some(Fingerprint {
        updated_on: Some(updated_on),
    })
}

/// True when the table read now is the one apply read back: same `updatedOn` (the server
/// advances it on every new upload of the data), so its CSV need not be downloaded.
pub(super) fn table_unchanged(recorded: &ResourceState, table: &Table) -> bool {
    let recorded = recorded
        .observed
        .as_ref()
        .and_then(|f| f.updated_on.as_deref());
    recorded.is_some() && recorded == table.updated_on.as_deref()
}

/// Whether the table's columns and row count are what `entry` applied (unknowns agree).
fn table_agrees(entry: &ResourceState, table: &Table) -> bool {
    let recorded_columns: Vec<&str> = entry
        .attributes
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let columns = table.column_names();
    let columns_agree =
        columns.is_empty() || recorded_columns.is_empty() || columns == recorded_columns;
    let rows_agree = match (
        table.row_count,
        entry.attributes.get("rows").and_then(Value::as_u64),
    ) {
        (Some(seen), Some(applied)) => seen == applied,
        _ => true,
    };
    columns_agree && rows_agree
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::state::ResourceStatus;

    fn entry(kind: Kind, attributes: Value, observed: Option<Fingerprint>) -> ResourceState {
        let attributes: BTreeMap<String, Value> =
            serde_json::from_value(attributes).expect("an object");
        ResourceState {
            kind,
            remote_id: Some("id-1".into()),
            inputs_hash: "h".into(),
            attributes,
            applied_serial: 1,
            status: ResourceStatus::Applied,
            observed,
        }
    }

    fn table(updated_on: Option<&str>, columns: &[&str], rows: u64) -> Table {
        Table {
            id: "id-1".into(),
            updated_on: updated_on.map(str::to_string),
            row_count: Some(rows),
            columns: columns
                .iter()
                .map(|name| crate::client::Column {
                    name: name.to_string(),
                    type_name: None,
                })
                .collect(),
            ..Table::default()
        }
    }

    const T1: &str = "2026-01-01T00:00:05.000Z";
    const T2: &str = "2026-01-01T00:00:09.000Z";

    #[test]
    fn a_table_is_fingerprinted_only_when_it_holds_what_was_applied() {
        let applied = entry(Kind::Table, json!({"columns": ["a", "b"], "rows": 3}), None);
        let fingerprint = of_table(&applied, &table(Some(T1), &["a", "b"], 3)).unwrap();
        assert_eq!(fingerprint.updated_on.as_deref(), Some(T1));
        assert_eq!(of_table(&applied, &table(Some(T1), &["a"], 3)), None);
        assert_eq!(of_table(&applied, &table(Some(T1), &["a", "b"], 4)), None);
        assert_eq!(of_table(&applied, &table(None, &["a", "b"], 3)), None);
    }

    #[test]
    fn a_table_is_unchanged_only_with_the_same_updated_on() {
        let observed = Some(Fingerprint {
            updated_on: Some(T1.into()),
        });
        let recorded = entry(Kind::Table, json!({}), observed);
        assert!(table_unchanged(&recorded, &table(Some(T1), &[], 0)));
        assert!(!table_unchanged(&recorded, &table(Some(T2), &[], 0)));
        assert!(!table_unchanged(&recorded, &table(None, &[], 0)));
        let unrecorded = entry(Kind::Table, json!({}), None);
        assert!(!table_unchanged(&unrecorded, &table(None, &[], 0)));
        assert!(!table_unchanged(&unrecorded, &table(Some(T1), &[], 0)));
    }
}
