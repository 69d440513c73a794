//! Locating many sources in few system calls. `source::locate` canonicalises each path, which
//! resolves every component (a `readlink` per folder level) and then stats the file again: for
//! 10,000 sources in a handful of folders that is most of the system time of a no-op plan.
//! The folders are few, so each is canonicalised once; a source whose own name is a plain
//! regular file (not a link) is then its folder's canonical path plus its name, which is
//! exactly what canonicalising it would give. Anything else (a link, a `..`, a missing file)
//! takes the full path of `source::locate`, so the answers and errors are the same.

// Part of the source reader: it owns looking at local sources in the manifest folder.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use super::source::{self, SourceError};

/// Canonical folders seen so far (`None`: the folder could not be canonicalised).
#[derive(Default)]
pub struct Locator {
    folders: HashMap<PathBuf, Option<PathBuf>>,
}

impl Locator {
    /// The same answer as `source::locate(root, relative)`.
    pub fn locate(&mut self, root: &Path, relative: &str) -> Result<PathBuf, SourceError> {
        self.fast(root, relative)
            .map_or_else(|| source::locate(root, relative), Ok)
    }

    /// The canonical path when `relative` is plain (no `.`, `..` or root) and names a regular
    /// file that is not a link inside a folder under `root`; `None` otherwise.
    fn fast(&mut self, root: &Path, relative: &str) -> Option<PathBuf> {
        let relative = Path::new(relative);
        if !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            return None;
        }
        let name = relative.file_name()?;
        let folder = root.join(relative.parent()?);
        let canonical = self
            .folders
            .entry(folder)
            .or_insert_with_key(|folder| fs::canonicalize(folder).ok())
            .clone()?;
        if !canonical.starts_with(root) {
            return None;
        }
        let path = canonical.join(name);
        let meta = fs::symlink_metadata(&path).ok()?;
        meta.file_type().is_file().then_some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_canonicalising_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap().join("p");
        fs::create_dir_all(root.join("data/sub")).unwrap();
        fs::write(root.join("data/a.csv"), "a\n").unwrap();
        fs::write(root.join("data/sub/b.csv"), "b\n").unwrap();
        fs::write(dir.path().join("outside.csv"), "o\n").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("data"), root.join("linked")).unwrap();
            std::os::unix::fs::symlink(root.join("data/a.csv"), root.join("data/l.csv")).unwrap();
            std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        }
        let mut locator = Locator::default();
        for relative in [
            "data/a.csv",
            "data/sub/b.csv",
            "data/../data/a.csv",
            "./data/a.csv",
            "linked/a.csv",
            "data/l.csv",
            "up/outside.csv",
            "../outside.csv",
            "data/missing.csv",
            "data",
            "data/sub",
        ] {
            let fast = locator.locate(&root, relative);
            let slow = source::locate(&root, relative);
            assert_eq!(
                format!("{fast:?}"),
                format!("{slow:?}"),
                "`{relative}` is located alike"
            );
        }
        assert_eq!(
            locator.locate(&root, "linked/a.csv").unwrap(),
            root.join("data/a.csv")
        );
    }
}
