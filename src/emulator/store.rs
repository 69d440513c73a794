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

use super::error::EmulatorError;
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
    pub bytes: u64,
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
    pub name: String,
    pub table_ids: Vec<Uuid>,
    pub layout: Option<Value>,
}

/// Access a share grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Access {
    View,
    Edit,
}

/// A grant of an entity to a group or user.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ShareMeta {
    entity_id: Uuid,
    group: String,
    access: Access,
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
        rows: u64,
        columns: Vec<String>,
        bytes: u64,
    ) -> Result<TableMeta, String> {
        let mut meta = self.lock();
        let key = name.key();
        let id = meta.tables.get(&key).map_or_else(Uuid::new_v4, |t| t.id);
        self.commit_blob(temp, &self.table_path(id))?;
        let table = TableMeta {
            id,
            // the first upload's spelling stays, as a rename is not an upload's business
            namespace: meta
                .tables
                .get(&key)
                .map_or(name.namespace.clone(), |t| t.namespace.clone()),
            project: meta
                .tables
                .get(&key)
                .map_or(name.project.clone(), |t| t.project.clone()),
            table: meta
                .tables
                .get(&key)
                .map_or(name.table.clone(), |t| t.table.clone()),
            rows,
            columns,
            bytes,
        };
        meta.tables.insert(key, table.clone());
        self.save(&meta)?;
        Ok(table)
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
        let dashboard = DashboardMeta {
            id: Uuid::new_v4(),
            name,
            table_ids,
            layout,
        };
        meta.dashboards.push(dashboard.clone());
        self.save(&meta)?;
        Ok(dashboard)
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
        let mut meta = self.lock();
        let key = format!("{entity}/{}", group.to_lowercase());
        match meta.shares.get_mut(&key) {
            Some(existing) if existing.access >= access => return Ok(ShareOutcome::AlreadyShared),
            Some(existing) => existing.access = access,
            None => {
                meta.shares.insert(
                    key,
                    ShareMeta {
                        entity_id: entity,
                        group: group.to_owned(),
                        access,
                    },
                );
            }
        }
        self.save(&meta)?;
        Ok(ShareOutcome::Shared)
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
