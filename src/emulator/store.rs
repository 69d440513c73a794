//! Everything the emulator holds: table and file bytes on disk (never in memory), and the
//! metadata of tables, files, dashboards, shares and calls in one JSON document. With a data
//! folder the document is saved atomically after every change, so a restart finds it all;
//! without one, a private temporary folder holds the bytes and disappears with the store.
//!
//! Layout of the folder: `state.json`, `tables/<id>.csv`, `files/<connector>/<path>`, `tmp/`
//! (uploads in progress). Every path is built from validated names (`names`), so nothing a
//! request carries can point outside the folder.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::csv_check::CsvSummary;
use super::error::EmulatorError;
use super::ids::derived;
use super::names::{Connector, FilePath, TableName, as_uuid};

const FORMAT_VERSION: u32 = 1;

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
fn share_id(entity: Uuid, group: &str) -> Uuid {
    derived(&[
        b"permission",
        entity.as_bytes(),
        group.to_lowercase().as_bytes(),
    ])
}

/// A function call that ran.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CallMeta {
    function: String,
    params: Value,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Meta {
    format_version: u32,
    /// By lowercase Grok name.
    tables: BTreeMap<String, TableMeta>,
    /// By `<connector key>/<path>`.
    files: BTreeMap<String, FileMeta>,
    dashboards: Vec<DashboardMeta>,
    /// By `<entity id>/<lowercase group>`.
    shares: BTreeMap<String, ShareMeta>,
    calls: Vec<CallMeta>,
    /// The logical clock behind `createdOn` / `updatedOn`: one tick per change.
    #[serde(default)]
    clock: u64,
}

impl Meta {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn dashboard_mut(&mut self, id: Uuid) -> Option<&mut DashboardMeta> {
        self.dashboards.iter_mut().find(|d| d.id == id)
    }

    /// Advances the `updatedOn` of a dashboard or table, after a change to it or its grants.
    fn touch(&mut self, entity: Uuid) {
        let now = self.tick();
        if let Some(dashboard) = self.dashboard_mut(entity) {
            dashboard.updated_on = now;
        } else if let Some(table) = self.tables.values_mut().find(|t| t.id == entity) {
            table.updated_on = now;
        }
    }

    /// `wanted`, or `wanted_1`, `wanted_2`, … when another dashboard has that name.
    fn unique_name(&self, wanted: &str, except: Uuid) -> String {
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

/// The emulator's objects and their bytes.
pub struct Store {
    root: PathBuf,
    persist: bool,
    meta: Mutex<Meta>,
    /// Held locked while the store is open, so two emulators never share a data folder.
    _lock: Option<std::fs::File>,
    // dropped last: the folder must outlive every path handed out above
    _temp: Option<tempfile::TempDir>,
}

/// Locks `root/emulator.lock`. A previous emulator in this process may still be letting go
/// (an async handle's tasks finish after the handle drops), so a held lock is retried briefly.
fn lock_folder(root: &Path) -> Result<std::fs::File, EmulatorError> {
    let path = root.join("emulator.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| EmulatorError::DataDir {
            path: path.clone(),
            source,
        })?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(EmulatorError::DataDirInUse {
                    path: root.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(EmulatorError::DataDir { path, source });
            }
        }
    }
}

impl Store {
    /// Opens `data_dir` (creating it), or a private temporary folder when `None`.
    pub fn open(data_dir: Option<&Path>) -> Result<Self, EmulatorError> {
        let (root, temp) = match data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| EmulatorError::DataDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
                let root = dir
                    .canonicalize()
                    .map_err(|source| EmulatorError::DataDir {
                        path: dir.to_path_buf(),
                        source,
                    })?;
                (root, None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("grokform-emulator-")
                    .tempdir()
                    .map_err(|source| EmulatorError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let io_error = |source| EmulatorError::DataDir {
            path: root.clone(),
            source,
        };
        let lock = match data_dir {
            Some(_) => Some(lock_folder(&root)?),
            None => None,
        };
        // uploads cut short by a previous stop leave temp files; they are garbage
        let _ = std::fs::remove_dir_all(root.join("tmp"));
        for sub in ["tmp", "tables", "files"] {
            std::fs::create_dir_all(root.join(sub)).map_err(io_error)?;
        }
        let state_path = root.join("state.json");
        let meta = match std::fs::read(&state_path) {
            Ok(bytes) => {
                let meta: Meta =
                    serde_json::from_slice(&bytes).map_err(|e| EmulatorError::CorruptState {
                        path: state_path.clone(),
                        message: e.to_string(),
                    })?;
                if meta.format_version != FORMAT_VERSION {
                    return Err(EmulatorError::CorruptState {
                        path: state_path,
                        message: format!("format version {} is unknown", meta.format_version),
                    });
                }
                let mut meta = meta;
                for share in meta.shares.values_mut() {
                    if share.id.is_nil() {
                        share.id = share_id(share.entity_id, &share.group);
                    }
                }
                meta
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Meta {
                format_version: FORMAT_VERSION,
                ..Meta::default()
            },
            Err(source) => return Err(io_error(source)),
        };
        Ok(Self {
            persist: data_dir.is_some(),
            root,
            meta: Mutex::new(meta),
            _lock: lock,
            _temp: temp,
        })
    }

    /// The folder everything lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn lock(&self) -> MutexGuard<'_, Meta> {
        // a panicking handler must not take the whole emulator down with it
        self.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh path for an upload in progress.
    pub fn temp_path(&self) -> PathBuf {
        self.root.join("tmp").join(Uuid::new_v4().to_string())
    }

    /// Where a table's CSV lives.
    pub fn table_path(&self, id: Uuid) -> PathBuf {
        self.root.join("tables").join(format!("{id}.csv"))
    }

    fn file_path(&self, connector_key: &str, path: &str) -> PathBuf {
        let mut full = self.root.join("files").join(connector_key);
        for segment in path.split('/') {
            full.push(segment);
        }
        full
    }

    /// Saves the metadata atomically (when persisting): temp file, fsync, rename, fsync folder.
    fn save(&self, meta: &Meta) -> Result<(), String> {
        if !self.persist {
            return Ok(());
        }
        let write = || -> std::io::Result<()> {
            let text = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
            let temp = self.root.join(format!("state.json.{}.tmp", Uuid::new_v4()));
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&temp, self.root.join("state.json"))?;
            std::fs::File::open(&self.root)?.sync_all()
        };
        write().map_err(|e| format!("the emulator could not save its state: {e}"))
    }

    /// Moves a finished upload into place, durably when persisting.
    fn commit_blob(&self, temp: &Path, target: &Path) -> Result<(), String> {
        if self.persist {
            std::fs::File::open(temp)
                .and_then(|f| f.sync_all())
                .map_err(|e| format!("the upload could not be saved: {e}"))?;
        }
        std::fs::rename(temp, target).map_err(|e| format!("the upload could not be saved: {e}"))
    }

    /// Stores the validated CSV at `temp` as table `name`: the same name (case-insensitive)
    /// keeps its ID and gets the new data.
    pub fn put_table(
        &self,
        name: &TableName,
        temp: &Path,
        summary: CsvSummary,
        bytes: u64,
    ) -> Result<TableMeta, String> {
        let mut meta = self.lock();
        let key = name.key();
        let now = meta.tick();
        let table = match meta.tables.get(&key) {
            // the first upload's spelling stays, as a rename is not an upload's business
            Some(existing) => TableMeta {
                rows: summary.rows,
                columns: summary.columns,
                types: summary.types,
                bytes,
                updated_on: now,
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
            },
        };
        self.commit_blob(temp, &self.table_path(table.id))?;
        meta.tables.insert(key, table.clone());
        self.save(&meta)?;
        Ok(table)
    }

    /// Replaces the data of the table with ID `id` (as a person re-importing it would).
    pub fn replace_table_data(
        &self,
        id: Uuid,
        temp: &Path,
        summary: CsvSummary,
        bytes: u64,
    ) -> Result<Option<TableMeta>, String> {
        let mut meta = self.lock();
        let Some(key) = meta
            .tables
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(k, _)| k.clone())
        else {
            return Ok(None);
        };
        self.commit_blob(temp, &self.table_path(id))?;
        let now = meta.tick();
        let table = meta.tables.get_mut(&key).expect("found above");
        table.rows = summary.rows;
        table.columns = summary.columns;
        table.types = summary.types;
        table.bytes = bytes;
        table.updated_on = now;
        let table = table.clone();
        self.save(&meta)?;
        Ok(Some(table))
    }

    /// Deletes the table with ID `id` everywhere: its data, its grants, and its place in every
    /// dashboard (a delete is global in Datagrok). `false` when there was none.
    pub fn delete_table(&self, id: Uuid) -> Result<bool, String> {
        let mut meta = self.lock();
        let before = meta.tables.len();
        meta.tables.retain(|_, t| t.id != id);
        if meta.tables.len() == before {
            return Ok(false);
        }
        meta.shares.retain(|_, s| s.entity_id != id);
        for dashboard in &mut meta.dashboards {
            dashboard.table_ids.retain(|t| *t != id);
        }
        match std::fs::remove_file(self.table_path(id)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot delete the data of table `{id}`: {e}")),
        }
        self.save(&meta)?;
        Ok(true)
    }

    /// The table with ID `id`.
    pub fn table(&self, id: Uuid) -> Option<TableMeta> {
        self.lock().tables.values().find(|t| t.id == id).cloned()
    }

    /// Every table, by name.
    pub fn tables(&self) -> Vec<TableMeta> {
        self.lock().tables.values().cloned().collect()
    }

    /// A table by ID or by name (URL or colon form, read as uploads read it).
    pub fn find_table(&self, ident: &str, user: &str) -> Option<TableMeta> {
        let meta = self.lock();
        if let Some(id) = as_uuid(ident) {
            return meta.tables.values().find(|t| t.id == id).cloned();
        }
        let name = TableName::parse(ident, user).ok()?;
        meta.tables.get(&name.key()).cloned()
    }

    /// Stores the upload at `temp` as `path` of `connector`, creating folders, replacing a file.
    pub fn put_file(
        &self,
        connector: &Connector,
        path: &FilePath,
        temp: &Path,
        size: u64,
        etag: String,
    ) -> Result<(), String> {
        let path_text = path.as_string();
        let target = self.file_path(&connector.key, &path_text);
        let mut meta = self.lock();
        // a file cannot sit where a folder is needed, nor a folder where the file goes
        let segments = path.segments();
        for depth in 1..segments.len() {
            let prefix = segments[..depth].join("/");
            if meta
                .files
                .contains_key(&format!("{}/{prefix}", connector.key))
            {
                return Err(format!(
                    "cannot create `{path_text}`: `{prefix}` is a file, not a folder"
                ));
            }
        }
        let folder_prefix = format!("{}/{path_text}/", connector.key);
        if meta
            .files
            .range(folder_prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&folder_prefix))
        {
            return Err(format!("cannot write `{path_text}`: it is a folder"));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the folder of `{path_text}`: {e}"))?;
        }
        self.commit_blob(temp, &target)?;
        meta.files.insert(
            format!("{}/{path_text}", connector.key),
            FileMeta {
                connector: connector.display.clone(),
                connector_key: connector.key.clone(),
                path: path_text,
                size,
                etag,
            },
        );
        self.save(&meta)
    }

    /// A stored file and where its bytes are.
    pub fn get_file(&self, connector: &Connector, path: &FilePath) -> Option<(FileMeta, PathBuf)> {
        let path_text = path.as_string();
        let meta = self.lock();
        meta.files
            .get(&format!("{}/{path_text}", connector.key))
            .map(|f| (f.clone(), self.file_path(&connector.key, &path_text)))
    }

    /// Deletes a file; `false` when there was none.
    pub fn delete_file(&self, connector: &Connector, path: &FilePath) -> Result<bool, String> {
        let path_text = path.as_string();
        let mut meta = self.lock();
        if meta
            .files
            .remove(&format!("{}/{path_text}", connector.key))
            .is_none()
        {
            return Ok(false);
        }
        let target = self.file_path(&connector.key, &path_text);
        match std::fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot delete `{path_text}`: {e}")),
        }
        // empty folders left behind are not files; tidy them so the disk mirrors the listing
        let base = self.root.join("files").join(&connector.key);
        let mut dir = target.parent().map(Path::to_path_buf);
        while let Some(current) = dir {
            if current == base || std::fs::remove_dir(&current).is_err() {
                break;
            }
            dir = current.parent().map(Path::to_path_buf);
        }
        self.save(&meta)?;
        Ok(true)
    }

    /// Files under `dir` of `connector` (direct children only unless `recursive`), with their
    /// paths relative to `dir` and where their bytes are.
    pub fn list_files(
        &self,
        connector: &Connector,
        dir: &FilePath,
        recursive: bool,
    ) -> Vec<(String, FileMeta, PathBuf)> {
        let meta = self.lock();
        let prefix = format!("{}/", connector.key);
        meta.files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(_, file)| {
                let path = FilePath::from_relative(&file.path).ok()?;
                if !path.is_under(dir) {
                    return None;
                }
                let relative = path.relative_to(dir);
                if !recursive && relative.contains('/') {
                    return None;
                }
                Some((
                    relative,
                    file.clone(),
                    self.file_path(&connector.key, &file.path),
                ))
            })
            .collect()
    }

    /// Creates a dashboard (always a new ID).
    pub fn add_dashboard(
        &self,
        name: String,
        table_ids: Vec<Uuid>,
        layout: Option<Value>,
    ) -> Result<DashboardMeta, String> {
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
        meta.dashboards.push(dashboard.clone());
        self.save(&meta)?;
        Ok(dashboard)
    }

    /// The dashboard with ID `id`.
    pub fn dashboard(&self, id: Uuid) -> Option<DashboardMeta> {
        self.lock().dashboards.iter().find(|d| d.id == id).cloned()
    }

    /// Every dashboard, in creation order.
    pub fn dashboards(&self) -> Vec<DashboardMeta> {
        self.lock().dashboards.clone()
    }

    /// Saves a project the way the internal route does: `save.id` naming an existing dashboard
    /// updates it in place, any other id (or none) creates one. A name another dashboard holds
    /// becomes `Name_1` (`Name_2`, …). `relations`, when given, replace the dashboard's tables
    /// and must all be stored tables.
    pub fn save_dashboard(&self, save: DashboardSave) -> Result<DashboardMeta, String> {
        let mut meta = self.lock();
        if let Some(relations) = &save.relations
            && let Some(missing) = relations
                .iter()
                .find(|id| !meta.tables.values().any(|t| t.id == **id))
        {
            return Err(format!(
                "entity `{missing}` not found: relations must be tables"
            ));
        }
        let id = save.id.unwrap_or_else(Uuid::new_v4);
        let now = meta.tick();
        let name = save.name.as_deref().map(|n| meta.unique_name(n, id));
        let dashboard = match meta.dashboard_mut(id) {
            Some(existing) => {
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
                existing.clone()
            }
            None => {
                let name = name
                    .or_else(|| save.friendly_name.clone())
                    .ok_or_else(|| "a project needs a `name` or `friendlyName`".to_owned())?;
                let dashboard = DashboardMeta {
                    id,
                    name,
                    friendly_name: save.friendly_name,
                    table_ids: save.relations.unwrap_or_default(),
                    layout: None,
                    created_on: now,
                    updated_on: now,
                    layout_saved_on: now,
                };
                meta.dashboards.push(dashboard.clone());
                dashboard
            }
        };
        self.save(&meta)?;
        Ok(dashboard)
    }

    /// Replaces the layout of dashboard `id`; `None` when there is no such dashboard.
    pub fn set_layout(&self, id: Uuid, layout: Value) -> Result<Option<DashboardMeta>, String> {
        let mut meta = self.lock();
        let now = meta.tick();
        let Some(dashboard) = meta.dashboard_mut(id) else {
            return Ok(None);
        };
        dashboard.layout = Some(layout);
        dashboard.layout_saved_on = now;
        dashboard.updated_on = now;
        let dashboard = dashboard.clone();
        self.save(&meta)?;
        Ok(Some(dashboard))
    }

    /// Renames dashboard `id` as a person in the web UI would (a taken name gets `_1`).
    pub fn rename_dashboard(&self, id: Uuid, name: &str) -> Result<Option<DashboardMeta>, String> {
        let mut meta = self.lock();
        let unique = meta.unique_name(name, id);
        let now = meta.tick();
        let Some(dashboard) = meta.dashboard_mut(id) else {
            return Ok(None);
        };
        dashboard.name = unique;
        dashboard.friendly_name = Some(name.to_owned());
        dashboard.updated_on = now;
        let dashboard = dashboard.clone();
        self.save(&meta)?;
        Ok(Some(dashboard))
    }

    /// Deletes dashboard `id`, its layout and its grants; `false` when there was none.
    pub fn delete_dashboard(&self, id: Uuid) -> Result<bool, String> {
        let mut meta = self.lock();
        let before = meta.dashboards.len();
        meta.dashboards.retain(|d| d.id != id);
        if meta.dashboards.len() == before {
            return Ok(false);
        }
        meta.shares.retain(|_, s| s.entity_id != id);
        self.save(&meta)?;
        Ok(true)
    }

    /// The ID of a shareable entity: a dashboard ID, a table ID, or a table name.
    pub fn entity(&self, ident: &str, user: &str) -> Option<Uuid> {
        if let Some(id) = as_uuid(ident)
            && self.lock().dashboards.iter().any(|d| d.id == id)
        {
            return Some(id);
        }
        self.find_table(ident, user).map(|t| t.id)
    }

    /// Grants `access` on `entity` to `group` (a canonical directory name).
    pub fn share(&self, entity: Uuid, group: &str, access: Access) -> Result<ShareOutcome, String> {
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
    ) -> Result<(ShareOutcome, ShareMeta), String> {
        let mut meta = self.lock();
        let key = format!("{entity}/{}", group.to_lowercase());
        let row = match meta.shares.get_mut(&key) {
            Some(existing) if existing.access >= access => {
                return Ok((ShareOutcome::AlreadyShared, existing.clone()));
            }
            Some(existing) => {
                existing.access = access;
                existing.clone()
            }
            None => {
                let row = ShareMeta {
                    id: share_id(entity, group),
                    entity_id: entity,
                    group: group.to_owned(),
                    access,
                };
                meta.shares.insert(key, row.clone());
                row
            }
        };
        meta.touch(entity);
        self.save(&meta)?;
        Ok((ShareOutcome::Shared, row))
    }

    /// The grants held on `entity` itself, by group.
    pub fn shares_of(&self, entity: Uuid) -> Vec<ShareMeta> {
        let meta = self.lock();
        let prefix = format!("{entity}/");
        meta.shares
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// Removes the permission row `id`; the row removed, `None` when there was none.
    pub fn revoke(&self, id: Uuid) -> Result<Option<ShareMeta>, String> {
        let mut meta = self.lock();
        let Some(key) = meta
            .shares
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(k, _)| k.clone())
        else {
            return Ok(None);
        };
        let row = meta.shares.remove(&key).expect("found above");
        meta.touch(row.entity_id);
        self.save(&meta)?;
        Ok(Some(row))
    }

    /// Records a function call that ran.
    pub fn record_call(&self, function: String, params: Value) -> Result<(), String> {
        let mut meta = self.lock();
        meta.calls.push(CallMeta { function, params });
        self.save(&meta)
    }

    /// Everything held, as the inspection route shows it (deterministic order).
    pub fn inspect(&self) -> Value {
        let meta = self.lock();
        json!({
            "tables": meta.tables.values().map(|t| json!({
                "id": t.id,
                "name": t.grok_name(),
                "rows": t.rows,
                "columns": t.columns,
                "bytes": t.bytes,
            })).collect::<Vec<_>>(),
            "files": meta.files.values().map(|f| json!({
                "connector": f.connector,
                "path": f.path,
                "size": f.size,
                "etag": f.etag,
            })).collect::<Vec<_>>(),
            "dashboards": meta.dashboards.iter().map(|d| json!({
                "id": d.id,
                "name": d.name,
                "table_ids": d.table_ids,
                "layout": d.layout,
            })).collect::<Vec<_>>(),
            "shares": meta.shares.values().map(|s| json!({
                "entity_id": s.entity_id,
                "group": s.group,
                "access": s.access,
            })).collect::<Vec<_>>(),
            "calls": meta.calls.iter().map(|c| json!({
                "function": c.function,
                "params": c.params,
            })).collect::<Vec<_>>(),
        })
    }
}
