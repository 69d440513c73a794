//! Grants (permission rows) of dashboards and tables, and the record of function calls.

use serde_json::Value;
use uuid::Uuid;

use super::types::{Access, CallMeta, Change, ShareMeta, ShareOutcome, share_id, share_key};
use super::{Store, StoreError};
use crate::emulator::names::as_uuid;

impl Store {
    /// The ID of a shareable entity: a dashboard ID, a table ID, or a table name.
    pub fn entity(&self, ident: &str, user: &str) -> Option<Uuid> {
        if let Some(id) = as_uuid(ident)
            && self.lock().dashboard(id).is_some()
        {
            return Some(id);
        }
        self.find_table(ident, user).map(|t| t.id)
    }

    /// Grants `access` on `entity` to `group` (a canonical directory name).
    pub fn share(
        &self,
        entity: Uuid,
        group: &str,
        access: Access,
    ) -> Result<ShareOutcome, StoreError> {
        self.grant(entity, group, access)
            .map(|(outcome, _)| outcome)
    }

    /// Grants `access` on `entity` to `group`, returning the permission row as it now is.
    /// Asking for `Edit` where `View` was granted raises it; anything else already held is
    /// left alone. A change advances the entity's `updatedOn`.
    pub fn grant(
        &self,
        entity: Uuid,
        group: &str,
        access: Access,
    ) -> Result<(ShareOutcome, ShareMeta), StoreError> {
        let mut meta = self.lock();
        let key = share_key(entity, group);
        let row = match meta.shares.get(&key) {
            Some(existing) if existing.access >= access => {
                return Ok((ShareOutcome::AlreadyShared, existing.clone()));
            }
            Some(existing) => ShareMeta {
                access,
                ..existing.clone()
            },
            None => ShareMeta {
                id: share_id(entity, group),
                entity_id: entity,
                group: group.to_owned(),
                access,
            },
        };
        let now = meta.tick();
        let mut changes = vec![Change::PutShare {
            key,
            share: row.clone(),
        }];
        changes.extend(meta.touched(entity, now));
        self.commit(meta, changes)?;
        Ok((ShareOutcome::Shared, row))
    }

    /// The grants held on `entity` itself, by group.
    pub fn shares_of(&self, entity: Uuid) -> Vec<ShareMeta> {
        let meta = self.lock();
        let prefix = share_key(entity, "");
        meta.shares
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// Removes the permission row `id`; the row removed, `None` when there was none.
    pub fn revoke(&self, id: Uuid) -> Result<Option<ShareMeta>, StoreError> {
        let mut meta = self.lock();
        let Some((key, row)) = meta
            .shares
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(k, s)| (k.clone(), s.clone()))
        else {
            return Ok(None);
        };
        let now = meta.tick();
        let mut changes = vec![Change::DeleteShare { key }];
        changes.extend(meta.touched(row.entity_id, now));
        self.commit(meta, changes)?;
        Ok(Some(row))
    }

    /// Records a function call that ran.
    pub fn record_call(&self, function: String, params: Value) -> Result<(), StoreError> {
        let meta = self.lock();
        let call = CallMeta { function, params };
        self.commit(meta, vec![Change::AddCall { call }])
    }
}
