//! Dashboards (projects): created by the public route (always a new ID), saved in place or
//! created by the internal route, their layouts replaced, renamed, deleted with their grants.

use serde_json::Value;
use uuid::Uuid;

use super::types::{Change, DashboardMeta, DashboardSave, share_key};
use super::{Store, StoreError};

impl Store {
    /// Creates a dashboard (always a new ID).
    pub fn add_dashboard(
        &self,
        name: String,
        table_ids: Vec<Uuid>,
        layout: Option<Value>,
    ) -> Result<DashboardMeta, StoreError> {
        let mut meta = self.lock();
        let now = meta.tick();
        let dashboard = DashboardMeta {
            id: Uuid::new_v4(),
            name,
            friendly_name: None,
            table_ids,
            layout,
            created_on: now,
            updated_on: now,
            layout_saved_on: now,
        };
        let change = Change::PutDashboard {
            dashboard: dashboard.clone(),
        };
        self.commit(meta, vec![change])?;
        Ok(dashboard)
    }

    /// The dashboard with ID `id`.
    pub fn dashboard(&self, id: Uuid) -> Option<DashboardMeta> {
        self.lock().dashboard(id).cloned()
    }

    /// Runs `read` over every dashboard, in creation order, without copying them (layouts
    /// can be large); the metadata stays locked meanwhile, so `read` must not reach the store.
    pub fn with_dashboards<T>(&self, read: impl FnOnce(&[DashboardMeta]) -> T) -> T {
        read(&self.lock().dashboards)
    }

    /// Saves a project the way the internal route does: `save.id` naming an existing dashboard
    /// updates it in place, any other id (or none) creates one. A name another dashboard holds
    /// becomes `Name_1` (`Name_2`, …). `relations`, when given, replace the dashboard's tables
    /// and must all be stored tables.
    pub fn save_dashboard(&self, save: DashboardSave) -> Result<DashboardMeta, StoreError> {
        let mut meta = self.lock();
        if let Some(relations) = &save.relations
            && let Some(missing) = relations.iter().find(|id| meta.table_by_id(**id).is_none())
        {
            return Err(StoreError::UnknownRelation(*missing));
        }
        let id = save.id.unwrap_or_else(Uuid::new_v4);
        let name = save.name.as_deref().map(|n| meta.unique_name(n, id));
        let existing = meta.dashboard(id).cloned();
        let now = meta.tick();
        let dashboard = match existing {
            Some(mut existing) => {
                if let Some(name) = name {
                    existing.name = name;
                }
                if save.friendly_name.is_some() {
                    existing.friendly_name = save.friendly_name;
                }
                if let Some(relations) = save.relations {
                    existing.table_ids = relations;
                }
                existing.updated_on = now;
                existing
            }
            None => DashboardMeta {
                id,
                name: name
                    .or_else(|| save.friendly_name.clone())
                    .ok_or(StoreError::Unnamed)?,
                friendly_name: save.friendly_name,
                table_ids: save.relations.unwrap_or_default(),
                layout: None,
                created_on: now,
                updated_on: now,
                layout_saved_on: now,
            },
        };
        let change = Change::PutDashboard {
            dashboard: dashboard.clone(),
        };
        self.commit(meta, vec![change])?;
        Ok(dashboard)
    }

    /// Changes dashboard `id` with `edit` (at a new time); `None` when there is none.
    fn edit_dashboard(
        &self,
        id: Uuid,
        edit: impl FnOnce(&mut DashboardMeta, u64),
    ) -> Result<Option<DashboardMeta>, StoreError> {
        let mut meta = self.lock();
        let Some(mut dashboard) = meta.dashboard(id).cloned() else {
            return Ok(None);
        };
        let now = meta.tick();
        edit(&mut dashboard, now);
        dashboard.updated_on = now;
        let change = Change::PutDashboard {
            dashboard: dashboard.clone(),
        };
        self.commit(meta, vec![change])?;
        Ok(Some(dashboard))
    }

    /// Replaces the layout of dashboard `id`; `None` when there is no such dashboard.
    pub fn set_layout(&self, id: Uuid, layout: Value) -> Result<Option<DashboardMeta>, StoreError> {
        self.edit_dashboard(id, |dashboard, now| {
            dashboard.layout = Some(layout);
            dashboard.layout_saved_on = now;
        })
    }

    /// Renames dashboard `id` as a person in the web UI would (a taken name gets `_1`).
    pub fn rename_dashboard(
        &self,
        id: Uuid,
        name: &str,
    ) -> Result<Option<DashboardMeta>, StoreError> {
        let unique = self.lock().unique_name(name, id);
        self.edit_dashboard(id, |dashboard, _| {
            dashboard.name = unique;
            dashboard.friendly_name = Some(name.to_owned());
        })
    }

    /// Deletes dashboard `id`, its layout and its grants; `false` when there was none.
    pub fn delete_dashboard(&self, id: Uuid) -> Result<bool, StoreError> {
        let meta = self.lock();
        if meta.dashboard(id).is_none() {
            return Ok(false);
        }
        let prefix = share_key(id, "");
        let mut changes: Vec<Change> = meta
            .shares
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| Change::DeleteShare { key: k.clone() })
            .collect();
        changes.push(Change::DeleteDashboard { id });
        self.commit(meta, changes)?;
        Ok(true)
    }
}
