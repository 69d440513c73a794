//! Files of connectors: stored by `<connector key>/<path>` (paths case-sensitive), a folder
//! being implied by the files under it; their bytes are a blob each.

use std::path::{Path, PathBuf};

use super::types::{Change, FileMeta};
use super::{Store, StoreError, disk};
use crate::emulator::names::{Connector, FilePath};

impl Store {
    fn file_data_path(&self, file: &FileMeta) -> PathBuf {
        match &file.blob {
            Some(blob) => self.blob_path(blob),
            None => disk::legacy_file_path(&self.root, &file.connector_key, &file.path),
        }
    }

    /// Stores the upload at `temp` as `path` of `connector`, creating folders, replacing a file.
    pub fn put_file(
        &self,
        connector: &Connector,
        path: &FilePath,
        temp: &Path,
        size: u64,
        etag: String,
    ) -> Result<(), StoreError> {
        let path_text = path.as_string();
        let blob = self.place_blob(temp)?;
        let meta = self.lock();
        let refuse = |meta, error| {
            drop(meta);
            let _ = disk::remove_bytes(&self.blob_path(&blob));
            Err(error)
        };
        // a file cannot sit where a folder is needed, nor a folder where the file goes
        let segments = path.segments();
        for depth in 1..segments.len() {
            let prefix = segments[..depth].join("/");
            if meta
                .files
                .contains_key(&format!("{}/{prefix}", connector.key))
            {
                let error = StoreError::FileInTheWay {
                    path: path_text,
                    prefix,
                };
                return refuse(meta, error);
            }
        }
        let folder_prefix = format!("{}/{path_text}/", connector.key);
        if meta
            .files
            .range(folder_prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&folder_prefix))
        {
            return refuse(meta, StoreError::IsAFolder { path: path_text });
        }
        let key = format!("{}/{path_text}", connector.key);
        let old = meta.files.get(&key).cloned();
        let file = FileMeta {
            connector: connector.display.clone(),
            connector_key: connector.key.clone(),
            path: path_text,
            size,
            etag,
            blob: Some(blob),
        };
        self.commit(meta, vec![Change::PutFile { key, file }])?;
        if let Some(old) = old {
            let _ = disk::remove_bytes(&self.file_data_path(&old));
        }
        Ok(())
    }

    /// A stored file and where its bytes are.
    pub fn get_file(&self, connector: &Connector, path: &FilePath) -> Option<(FileMeta, PathBuf)> {
        let meta = self.lock();
        meta.files
            .get(&format!("{}/{}", connector.key, path.as_string()))
            .map(|f| (f.clone(), self.file_data_path(f)))
    }

    /// Deletes a file; `false` when there was none.
    pub fn delete_file(&self, connector: &Connector, path: &FilePath) -> Result<bool, StoreError> {
        let key = format!("{}/{}", connector.key, path.as_string());
        let meta = self.lock();
        let Some(old) = meta.files.get(&key).cloned() else {
            return Ok(false);
        };
        self.commit(meta, vec![Change::DeleteFile { key }])?;
        disk::remove_bytes(&self.file_data_path(&old))?;
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
                Some((relative, file.clone(), self.file_data_path(file)))
            })
            .collect()
    }
}
