//! Columns a layout needs that its tables lack on the server: a table edited outside grokform
//! (a column dropped or renamed in the web UI) leaves the viewer that charts it empty, and
//! nothing on the server says so. Reported as a notice of `grokform refresh`, with the same
//! extraction of the columns a layout uses as schema safety (`Layout::column_uses`).

use std::collections::{BTreeMap, BTreeSet};

use crate::address::Address;
use crate::client::{Capability, Client};
use crate::model::Model;
use crate::state::State;

/// One notice per column a managed dashboard's layout uses that none of its tables has on
/// the server, sorted. Dashboards with a table whose columns cannot be read are skipped:
/// the refresh already says why that table is unverified.
pub async fn missing_columns(client: &Client, model: &Model, state: &State) -> Vec<String> {
    if !client
        .probe_capabilities()
        .await
        .allows(Capability::ReadTables)
    {
        return vec![];
    }
    let mut columns: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    let mut notes = Vec::new();
    for (key, dashboard) in &model.dashboards {
        let address = Address::dashboard(key);
        let Some(layout) = dashboard.layout.as_ref().and_then(|l| model.layouts.get(l)) else {
            continue;
        };
        if !state.resources.contains_key(&address) {
            continue;
        }
        let mut header = BTreeSet::new();
        let mut known = true;
        for table in &dashboard.tables {
            let id = state
                .resources
                .get(&Address::table(table))
                .and_then(|r| r.remote_id.clone());
            let Some(id) = id else {
                known = false;
                break;
            };
            if !columns.contains_key(&id) {
                let read = match client.table(&id).await {
                    Ok(Some(t)) if !t.columns.is_empty() => {
                        Some(t.column_names().into_iter().map(str::to_string).collect())
                    }
                    _ => None,
                };
                columns.insert(id.clone(), read);
            }
            match &columns[&id] {
                Some(names) => header.extend(names.iter().cloned()),
                None => known = false,
            }
        }
        if !known {
            continue;
        }
        for used in &layout.column_uses() {
            if header.contains(&used.column) {
                continue;
            }
            let user = match &used.viewer {
                Some(viewer) => format!("viewer `{viewer}`"),
                None => "its column list".to_string(),
            };
            notes.push(format!(
                "{address}: {user} of layout `{}` uses column `{}`, which no table of the dashboard has on the server",
                layout.key, used.column
            ));
        }
    }
    notes.sort();
    notes.dedup();
    notes
}
