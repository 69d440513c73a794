//! What the emulator keeps about each object, exactly as it is persisted, and the one way the
//! in-memory metadata changes: a [`Change`], applied the same way live and when a journal is
//! replayed after a restart, so both always agree.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::emulator::ids::derived;

/// The format of `state.json` this version writes (1: pretty JSON, rewritten on every change;
/// 2: compact JSON with `seq`, plus `journal.jsonl`). Both are read.
pub const FORMAT_VERSION: u32 = 2;

/// A stored table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableMeta {
    pub id: Uuid,
    pub namespace: String,
    pub project: String,
    pub table: String,
    pub rows: u64,
    pub columns: Vec<String>,
    /// Datagrok's type of each column (older data folders lack them: read as `string`).
    #[serde(default)]
    pub types: Vec<String>,
    pub bytes: u64,
    #[serde(default)]
    pub created_on: u64,
    #[serde(default)]
    pub updated_on: u64,
    /// The name of its bytes under `blobs/`; `None` for `tables/<id>.csv` of older folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

impl TableMeta {
    /// The colon form of its name.
    pub fn grok_name(&self) -> String {
        format!("{}:{}:{}", self.namespace, self.project, self.table)
    }
}

/// A stored file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileMeta {
    pub connector: String,
    pub connector_key: String,
    pub path: String,
    pub size: u64,
    pub etag: String,
    /// The name of its bytes under `blobs/`; `None` for `files/<connector>/<path>` of older
    /// folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// A created dashboard.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DashboardMeta {
    pub id: Uuid,
    /// Unique among dashboards when saved through the internal route (`Name_1`, …).
    pub name: String,
    /// The name as a person reads it, when it was saved apart from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    pub table_ids: Vec<Uuid>,
    pub layout: Option<Value>,
    #[serde(default)]
    pub created_on: u64,
    #[serde(default)]
    pub updated_on: u64,
    /// When the layout was last saved (its `createdOn`, and the seed of its element ids).
    #[serde(default)]
    pub layout_saved_on: u64,
}

impl DashboardMeta {
    /// The name shown to people.
    pub fn friendly_name(&self) -> &str {
        self.friendly_name.as_deref().unwrap_or(&self.name)
    }

    /// The id of its layout entity (derived: a dashboard has at most one).
    pub fn layout_id(&self) -> Uuid {
        derived(&[b"layout", self.id.as_bytes()])
    }
}

/// Access a share grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Access {
    View,
    Edit,
}

impl Access {
    /// Datagrok's permission name.
    pub fn name(self) -> &'static str {
        match self {
            Self::View => "View",
            Self::Edit => "Edit",
        }
    }

    /// Reads `View` or `Edit`, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "view" => Some(Self::View),
            "edit" => Some(Self::Edit),
            _ => None,
        }
    }
}

/// A grant of an entity to a group or user (one permission row).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareMeta {
    /// The permission row's id (derived from entity and group; older data lacks it).
    #[serde(default = "Uuid::nil")]
    pub id: Uuid,
    pub entity_id: Uuid,
    pub group: String,
    pub access: Access,
}

/// The id of the permission row granting `entity` to `group`.
pub fn share_id(entity: Uuid, group: &str) -> Uuid {
    derived(&[
        b"permission",
        entity.as_bytes(),
        group.to_lowercase().as_bytes(),
    ])
}

/// The key shares are stored under: `<entity id>/<lowercase group>`.
pub fn share_key(entity: Uuid, group: &str) -> String {
    format!("{entity}/{}", group.to_lowercase())
}

/// A function call that ran.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallMeta {
    pub function: String,
    pub params: Value,
}

/// A project save through the internal route, as far as the emulator keeps it.
#[derive(Clone, Debug, Default)]
pub struct DashboardSave {
    /// The id the client chose; an existing dashboard's id saves in place.
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub friendly_name: Option<String>,
    /// The table ids of the new relation set (`?saveRelations=true`), else `None`.
    pub relations: Option<Vec<Uuid>>,
}

/// Whether a share was new (or raised the access) or already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareOutcome {
    Shared,
    AlreadyShared,
}

/// One change to the metadata: what a journal line records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    PutTable { key: String, table: TableMeta },
    DeleteTable { key: String },
    PutFile { key: String, file: FileMeta },
    DeleteFile { key: String },
    PutDashboard { dashboard: DashboardMeta },
    DeleteDashboard { id: Uuid },
    PutShare { key: String, share: ShareMeta },
    DeleteShare { key: String },
    AddCall { call: CallMeta },
}

/// All the metadata, as `state.json` holds it, plus in-memory indexes by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Meta {
    pub format_version: u32,
    /// The last change applied (journal lines up to it are in this snapshot).
    #[serde(default)]
    pub seq: u64,
    /// The logical clock behind `createdOn` / `updatedOn`: one tick per change.
    #[serde(default)]
    pub clock: u64,
    /// By lowercase Grok name.
    pub tables: BTreeMap<String, TableMeta>,
    /// By `<connector key>/<path>`.
    pub files: BTreeMap<String, FileMeta>,
    /// In creation order.
    pub dashboards: Vec<DashboardMeta>,
    /// By `<entity id>/<lowercase group>`.
    pub shares: BTreeMap<String, ShareMeta>,
    pub calls: Vec<CallMeta>,
    /// Table key by table id.
    #[serde(skip)]
    table_keys: HashMap<Uuid, String>,
    /// Position in `dashboards` by dashboard id.
    #[serde(skip)]
    dashboard_index: HashMap<Uuid, usize>,
}

impl Meta {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            ..Self::default()
        }
    }

    /// Fills in what older formats lack and builds the indexes, after reading a snapshot.
    pub fn loaded(mut self) -> Self {
        for share in self.shares.values_mut() {
            if share.id.is_nil() {
                share.id = share_id(share.entity_id, &share.group);
            }
        }
        self.format_version = FORMAT_VERSION;
        self.table_keys = self.tables.iter().map(|(k, t)| (t.id, k.clone())).collect();
        self.reindex_dashboards();
        self
    }

    fn reindex_dashboards(&mut self) {
        self.dashboard_index = self
            .dashboards
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
    }

    /// Advances the clock; the new time.
    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The table with ID `id`, and its key.
    pub fn table_by_id(&self, id: Uuid) -> Option<(&String, &TableMeta)> {
        let key = self.table_keys.get(&id)?;
        self.tables.get_key_value(key)
    }

    /// The dashboard with ID `id`.
    pub fn dashboard(&self, id: Uuid) -> Option<&DashboardMeta> {
        self.dashboard_index
            .get(&id)
            .and_then(|i| self.dashboards.get(*i))
    }

    /// The `updatedOn` change of a dashboard or table after a change to it or its grants.
    pub fn touched(&self, entity: Uuid, now: u64) -> Option<Change> {
        if let Some(dashboard) = self.dashboard(entity) {
            return Some(Change::PutDashboard {
                dashboard: DashboardMeta {
                    updated_on: now,
                    ..dashboard.clone()
                },
            });
        }
        self.table_by_id(entity)
            .map(|(key, table)| Change::PutTable {
                key: key.clone(),
                table: TableMeta {
                    updated_on: now,
                    ..table.clone()
                },
            })
    }

    /// `wanted`, or `wanted_1`, `wanted_2`, … when another dashboard has that name.
    pub fn unique_name(&self, wanted: &str, except: Uuid) -> String {
        let taken = |name: &str| {
            self.dashboards
                .iter()
                .any(|d| d.id != except && d.name.eq_ignore_ascii_case(name))
        };
        if !taken(wanted) {
            return wanted.to_owned();
        }
        (1u64..)
            .map(|n| format!("{wanted}_{n}"))
            .find(|name| !taken(name))
            .unwrap_or_else(|| wanted.to_owned())
    }

    /// Applies one change (live, or replaying a journal).
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::PutTable { key, table } => {
                self.table_keys.insert(table.id, key.clone());
                self.tables.insert(key, table);
            }
            Change::DeleteTable { key } => {
                if let Some(table) = self.tables.remove(&key) {
                    self.table_keys.remove(&table.id);
                }
            }
            Change::PutFile { key, file } => {
                self.files.insert(key, file);
            }
            Change::DeleteFile { key } => {
                self.files.remove(&key);
            }
            Change::PutDashboard { dashboard } => match self.dashboard_index.get(&dashboard.id) {
                Some(&i) => self.dashboards[i] = dashboard,
                None => {
                    self.dashboard_index
                        .insert(dashboard.id, self.dashboards.len());
                    self.dashboards.push(dashboard);
                }
            },
            Change::DeleteDashboard { id } => {
                if self.dashboard_index.contains_key(&id) {
                    self.dashboards.retain(|d| d.id != id);
                    self.reindex_dashboards();
                }
            }
            Change::PutShare { key, share } => {
                self.shares.insert(key, share);
            }
            Change::DeleteShare { key } => {
                self.shares.remove(&key);
            }
            Change::AddCall { call } => self.calls.push(call),
        }
    }
}
