//! Tables: stored by case-insensitive Grok name, the same name keeps its ID; their bytes are
//! a blob each.

use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::types::{Change, TableMeta, share_key};
use super::{Store, StoreError, disk};
use crate::emulator::csv_check::CsvSummary;
use crate::emulator::names::{TableName, as_uuid};

impl Store {
    /// Where a table's bytes are.
    pub fn table_data_path(&self, table: &TableMeta) -> PathBuf {
        match &table.blob {
            Some(blob) => self.blob_path(blob),
            None => disk::legacy_table_path(&self.root, table.id),
        }
    }

    /// Removes bytes a committed change replaced (best effort: the next start sweeps blobs).
    fn drop_table_bytes(&self, old: Option<TableMeta>) {
        if let Some(old) = old {
            let _ = disk::remove_bytes(&self.table_data_path(&old));
        }
    }

    /// Stores the validated CSV at `temp` as table `name`: the same name (case-insensitive)
    /// keeps its ID and gets the new data.
    pub fn put_table(
        &self,
        name: &TableName,
        temp: &Path,
        summary: CsvSummary,
        bytes: u64,
    ) -> Result<TableMeta, StoreError> {
        let blob = self.place_blob(temp)?;
        let mut meta = self.lock();
        let key = name.key();
        let now = meta.tick();
        let old = meta.tables.get(&key).cloned();
        let table = match &old {
            // the first upload's spelling stays, as a rename is not an upload's business
            Some(existing) => TableMeta {
                rows: summary.rows,
                columns: summary.columns,
                types: summary.types,
                bytes,
                updated_on: now,
                blob: Some(blob),
                ..existing.clone()
            },
            None => TableMeta {
                id: Uuid::new_v4(),
                namespace: name.namespace.clone(),
                project: name.project.clone(),
                table: name.table.clone(),
                rows: summary.rows,
                columns: summary.columns,
                types: summary.types,
                bytes,
                created_on: now,
                updated_on: now,
                blob: Some(blob),
            },
        };
        let change = Change::PutTable {
            key,
            table: table.clone(),
        };
        self.commit(meta, vec![change])?;
        self.drop_table_bytes(old);
        Ok(table)
    }

    /// Replaces the data of the table with ID `id` (as a person re-importing it would).
    pub fn replace_table_data(
        &self,
        id: Uuid,
        temp: &Path,
        summary: CsvSummary,
        bytes: u64,
    ) -> Result<Option<TableMeta>, StoreError> {
        let blob = self.place_blob(temp)?;
        let mut meta = self.lock();
        let now = meta.tick();
        let Some((key, old)) = meta.table_by_id(id).map(|(k, t)| (k.clone(), t.clone())) else {
            drop(meta);
            let _ = disk::remove_bytes(&self.blob_path(&blob));
            return Ok(None);
        };
        let table = TableMeta {
            rows: summary.rows,
            columns: summary.columns,
            types: summary.types,
            bytes,
            updated_on: now,
            blob: Some(blob),
            ..old.clone()
        };
        let change = Change::PutTable {
            key,
            table: table.clone(),
        };
        self.commit(meta, vec![change])?;
        self.drop_table_bytes(Some(old));
        Ok(Some(table))
    }

    /// Deletes the table with ID `id` everywhere: its data, its grants, and its place in every
    /// dashboard (a delete is global in Datagrok). `false` when there was none.
    pub fn delete_table(&self, id: Uuid) -> Result<bool, StoreError> {
        let meta = self.lock();
        let Some((key, old)) = meta.table_by_id(id).map(|(k, t)| (k.clone(), t.clone())) else {
            return Ok(false);
        };
        let mut changes = vec![Change::DeleteTable { key }];
        let prefix = share_key(id, "");
        changes.extend(
            meta.shares
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| Change::DeleteShare { key: k.clone() }),
        );
        for dashboard in meta.dashboards.iter().filter(|d| d.table_ids.contains(&id)) {
            let mut dashboard = dashboard.clone();
            dashboard.table_ids.retain(|t| *t != id);
            changes.push(Change::PutDashboard { dashboard });
        }
        self.commit(meta, changes)?;
        self.drop_table_bytes(Some(old));
        Ok(true)
    }

    /// The table with ID `id`.
    pub fn table(&self, id: Uuid) -> Option<TableMeta> {
        self.lock().table_by_id(id).map(|(_, t)| t.clone())
    }

    /// The stored tables among `ids` (a dashboard's), without copying the others.
    pub fn tables_by_id(&self, ids: &[Uuid]) -> Vec<TableMeta> {
        let meta = self.lock();
        ids.iter()
            .filter_map(|id| meta.table_by_id(*id).map(|(_, t)| t.clone()))
            .collect()
    }

    /// Every table, by name.
    pub fn tables(&self) -> Vec<TableMeta> {
        self.lock().tables.values().cloned().collect()
    }

    /// A table by ID or by name (URL or colon form, read as uploads read it).
    pub fn find_table(&self, ident: &str, user: &str) -> Option<TableMeta> {
        if let Some(id) = as_uuid(ident) {
            return self.table(id);
        }
        let name = TableName::parse(ident, user).ok()?;
        self.lock().tables.get(&name.key()).cloned()
    }
}
