//! A table read back: gone, its columns changed, its data changed. The internal `GET
//! /tables/{id}` gives columns, a row count and `updatedOn` cheaply; the CSV is downloaded
//! (hashed as it streams, never held) only when those agree with the record but `updatedOn`
//! is not the one apply's read-back recorded (or none was recorded), or when the internal
//! route is refused (the public download still tells whether the table and its data are
//! there). A new upload of the data advances `updatedOn`, so a replaced CSV of the same size
//! and row count is still downloaded and caught.

use super::{Found, attribute, fingerprint, listed, recorded_id, unverified};
use crate::address::Address;
use crate::client::{Capabilities, Capability, Client};
use crate::plan::{Drift, DriftKind, Observation};
use crate::state::ResourceState;

pub(super) async fn check(
    client: &Client,
    capabilities: &Capabilities,
    address: Address,
    recorded: &ResourceState,
) -> Found {
    let observation = observe(client, capabilities, recorded).await;
    Found::one(address, observation)
}

async fn observe(
    client: &Client,
    capabilities: &Capabilities,
    recorded: &ResourceState,
) -> Observation {
    let id = match recorded_id(recorded) {
        Ok(id) => id,
        Err(unknown) => return unknown,
    };
    let recorded_columns: Vec<&str> = recorded
        .attributes
        .get("columns")
        .and_then(|c| c.as_array())
        .map(|c| c.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let recorded_rows = recorded.attributes.get("rows").and_then(|r| r.as_u64());
    if capabilities.allows(Capability::ReadTables) {
        match client.table(id).await {
            Ok(None) => return gone(),
            Ok(Some(table)) => {
                let columns = table.column_names();
                if !columns.is_empty()
                    && !recorded_columns.is_empty()
                    && columns != recorded_columns
                {
                    return Observation::Drifted {
                        drift: vec![Drift::new(
                            DriftKind::ColumnsChanged,
                            format!("columns on the server: {}", listed(columns)),
                        )],
                    };
                }
                if let (Some(seen), Some(rows)) = (table.row_count, recorded_rows)
                    && seen != rows
                {
                    return data_changed(format!("{seen} rows on the server, {rows} applied"));
                }
                if fingerprint::table_unchanged(recorded, &table) {
                    return Observation::InSync;
                }
            }
            // The public download below still answers for the table.
            Err(_) => {}
        }
    }
    match client.table_digest(id).await {
        Ok(None) => gone(),
        Ok(Some(digest)) => {
            if attribute(recorded, "sha256") == Some(digest.sha256.as_str()) {
                Observation::InSync
            } else {
                data_changed(format!(
                    "other data on the server ({} bytes, sha256 {})",
                    digest.bytes,
                    &digest.sha256[..12.min(digest.sha256.len())]
                ))
            }
        }
        Err(error) => unverified(&error),
    }
}

fn gone() -> Observation {
    Observation::Gone {
        drift: Drift::new(
            DriftKind::TableDeleted,
            "no table with its ID on the server",
        ),
    }
}

fn data_changed(seen: String) -> Observation {
    Observation::Drifted {
        drift: vec![Drift::new(DriftKind::DataChanged, seen)],
    }
}
