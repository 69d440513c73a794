//! Reading the objects to adopt (`grokform import`, `import:` blocks) from the server: a
//! table by UUID or Grok name, a file by path, a dashboard by ID or name with the grants it
//! already has. The only I/O of adoption, kept apart so that what is recorded from the
//! answers (`plan::import_records`) stays a pure function the planner shares. It never
//! writes to the server.

mod error;

pub use error::AdoptError;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::address::{Address, Kind};
use crate::client::{Client, ClientError, Permission, Project, Table};
use crate::model::Model;
use crate::model::adopt::Lookup;
use crate::plan::{Found, ServerGrant, ServerObject};
use crate::state::State;

/// Reads every `import:` block of `model` whose address `state` does not hold yet.
pub async fn read_blocks(
    client: &Client,
    model: &Model,
    state: &State,
) -> Result<Vec<Found>, AdoptError> {
    let mut found = Vec::new();
    for import in &model.adoption.imports {
        if state.resources.contains_key(&import.to) {
            continue;
        }
        found.push(read(client, model, &import.to, &import.by).await?);
    }
    Ok(found)
}

/// Reads the object `by` names for `address` (a table, file or dashboard of `model`).
pub async fn read(
    client: &Client,
    model: &Model,
    address: &Address,
    by: &Lookup,
) -> Result<Found, AdoptError> {
    let failed = |source: ClientError| AdoptError::Read {
        address: address.clone(),
        source,
    };
    let object = match address.kind {
        Kind::Table => {
            let table = one_table(client, address, by).await?;
            let digest = client
                .table_digest(&table.id)
                .await
                .map_err(failed)?
                .ok_or_else(|| not_found(address, by))?;
            let wanted = model.tables[&address.key].name.to_string();
            ServerObject::Table {
                name: table_name(&table),
                name_matches: table.is_named(&wanted),
                columns: table
                    .column_names()
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                rows: table.row_count,
                sha256: digest.sha256,
                id: table.id,
            }
        }
        Kind::File => {
            let file = &model.files[&address.key];
            let path = by.text().trim_start_matches('/');
            let bytes: Bytes = client
                .download_file(file.connector.as_ref(), path)
                .await
                .map_err(failed)?
                .ok_or_else(|| not_found(address, by))?;
            ServerObject::File {
                path: path.to_string(),
                sha256: hex(&Sha256::digest(&bytes)),
                size: bytes.len() as u64,
            }
        }
        Kind::Dashboard => {
            let project = one_project(client, address, by).await?;
            let relations = client
                .project_relations(&project.id)
                .await
                .map_err(failed)?
                .ok_or_else(|| not_found(address, by))?;
            let layouts = client.layouts(&project.id).await.map_err(failed)?;
            let grants = client.permissions(&project.id).await.map_err(failed)?;
            let wanted = model.dashboards[&address.key].name.to_string();
            ServerObject::Dashboard {
                name: project_name(&project),
                name_matches: project.is_named(&wanted),
                table_ids: relations.entity_ids(),
                layout: layouts.into_iter().next().map(|l| l.raw),
                grants: own_grants(&project.id, &grants),
                id: project.id,
            }
        }
        Kind::Share | Kind::Call => {
            return Err(AdoptError::NotImportable {
                address: address.clone(),
            });
        }
    };
    Ok(Found {
        address: address.clone(),
        by: by.clone(),
        object,
    })
}

async fn one_table(client: &Client, address: &Address, by: &Lookup) -> Result<Table, AdoptError> {
    let failed = |source| AdoptError::Read {
        address: address.clone(),
        source,
    };
    let tables = match by {
        Lookup::Id(id) => client
            .table(id)
            .await
            .map_err(failed)?
            .into_iter()
            .collect(),
        Lookup::Name(name) => client.tables_named(name).await.map_err(failed)?,
    };
    let matches = tables
        .iter()
        .map(|t| (t.id.clone(), table_name(t)))
        .collect();
    only(address, by, tables, matches)
}

async fn one_project(
    client: &Client,
    address: &Address,
    by: &Lookup,
) -> Result<Project, AdoptError> {
    let failed = |source| AdoptError::Read {
        address: address.clone(),
        source,
    };
    let projects = match by {
        Lookup::Id(id) => client
            .project(id)
            .await
            .map_err(failed)?
            .into_iter()
            .collect(),
        Lookup::Name(name) => client.projects_named(name).await.map_err(failed)?,
    };
    let matches = projects
        .iter()
        .map(|p| (p.id.clone(), project_name(p)))
        .collect();
    only(address, by, projects, matches)
}

/// The one object found, or an error saying none or listing them all with their IDs.
fn only<T>(
    address: &Address,
    by: &Lookup,
    mut found: Vec<T>,
    matches: Vec<(String, String)>,
) -> Result<T, AdoptError> {
    match found.len() {
        0 => Err(not_found(address, by)),
        1 => Ok(found.remove(0)),
        _ => {
            let mut matches = matches;
            matches.sort();
            Err(AdoptError::Ambiguous {
                address: address.clone(),
                by: by.to_string(),
                matches: matches
                    .iter()
                    .map(|(id, name)| format!("`{name}` (ID `{id}`)"))
                    .collect::<Vec<_>>()
                    .join(", "),
                count: matches.len(),
            })
        }
    }
}

fn not_found(address: &Address, by: &Lookup) -> AdoptError {
    AdoptError::NotFound {
        address: address.clone(),
        kind: address.kind.to_string(),
        by: by.to_string(),
    }
}

/// `Namespace:Name` as the server names the table.
fn table_name(table: &Table) -> String {
    let name = table.name.clone().unwrap_or_default();
    match table.namespace.as_deref().map(|n| n.trim_end_matches(':')) {
        Some(namespace) if !namespace.is_empty() => format!("{namespace}:{name}"),
        _ => name,
    }
}

/// The name people see.
fn project_name(project: &Project) -> String {
    project
        .friendly_name
        .clone()
        .or_else(|| project.name.clone())
        .unwrap_or_default()
}

/// The grants on the dashboard itself (not inherited from what contains it), sorted.
fn own_grants(id: &str, rows: &[Permission]) -> Vec<ServerGrant> {
    let mut grants: Vec<ServerGrant> = rows
        .iter()
        .filter(|r| r.entity_id.as_deref().is_none_or(|e| e == id))
        .filter_map(|r| {
            Some(ServerGrant {
                group: r.group_name()?.to_string(),
                access: r.permission_name()?.to_string(),
            })
        })
        .collect();
    grants.sort_by(|a, b| (&a.group, &a.access).cmp(&(&b.group, &b.access)));
    grants.dedup();
    grants
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
