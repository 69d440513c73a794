//! The stat cache: a local file beside the state (`.grokform/[<env>/]sources.cache`, never in
//! `state.json`, which users commit) that remembers, per source, the stat it was read at and
//! what reading it gave (size, SHA-256, CSV summary). A source whose stat is unchanged is not
//! read again, so a no-op plan costs about a stat walk of its sources instead of a full read.
//!
//! Why it is safe:
//! - any difference in size, mtime (ns), ctime (ns), inode or device re-reads the source;
//! - the "racy" case: a file modified within the same timestamp granule as the read that
//!   cached it could change again without its mtime moving. So an entry is only stored when the
//!   file's mtime lies a whole [`RACY_WINDOW`] before the read started, and on load an entry
//!   whose mtime is not older than the cache file itself is not trusted either;
//! - a stat taken before and after the read must agree, else nothing is stored;
//! - a missing, corrupt or other-version cache is ignored (and rewritten), never fatal, and a
//!   cache that cannot be written is only a slower next run.

// Part of the source reader: it owns the stat cache file and the stats of the sources.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::CsvSummary;
use super::source::{CsvError, Reader};

/// The cache's file name inside the environment's `.grokform/` folder.
pub const FILE_NAME: &str = "sources.cache";

/// Bumped whenever the meaning of an entry changes; another version is ignored.
const VERSION: u32 = 1;

/// How recently before a read a file may have been modified and still be cached. Covers the
/// timestamp granularity of common file systems (ext4/xfs: ns stored, jiffy-granular clock;
/// FAT: 2 s), so a later same-size rewrite always moves the mtime of a cached file.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Below this many sources to read, threads cost more than they save.
const PARALLEL_FROM: usize = 8;

/// What identifies one version of a file without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stat {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

impl Stat {
    fn of(path: &Path) -> Option<Stat> {
        fs::metadata(path).ok().map(|meta| Stat::from_meta(&meta))
    }

    #[cfg(unix)]
    fn from_meta(meta: &fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }

    #[cfg(not(unix))]
    fn from_meta(meta: &fs::Metadata) -> Stat {
        Stat {
            size: meta.len(),
            mtime_ns: meta.modified().map(nanos).unwrap_or(0),
            ctime_ns: 0,
            ino: 0,
            dev: 0,
        }
    }
}

fn nanos(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    stat: Stat,
    sha256: String,
    /// Present once the file was read as a table's CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    csv: Option<CsvSummary>,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    /// Keyed by the source's canonical path.
    entries: BTreeMap<String, Entry>,
}

/// How many sources a resolve read and how many it took from the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceStats {
    pub read: usize,
    pub cached: usize,
}

/// Size, SHA-256 and (for tables) CSV summary of one source.
pub type Digest = (u64, String, Option<CsvSummary>);

/// What to read a source as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    File,
    Csv,
}

/// Why a source could not be digested (the resolver turns it into a problem).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(std::io::Error),
    #[error(transparent)]
    Csv(CsvError),
}

/// The cache of one run: entries loaded, entries confirmed or read this run, and whether the
/// file must be rewritten.
pub struct StatCache {
    path: Option<PathBuf>,
    /// The cache file's own mtime when loaded; entries not older than it are not trusted.
    written_ns: i128,
    loaded: BTreeMap<String, Entry>,
    kept: BTreeMap<String, Entry>,
    refresh: bool,
    dirty: bool,
    stats: SourceStats,
}

impl StatCache {
    /// No cache: every source is read and nothing is written (library callers, tests).
    pub fn disabled() -> StatCache {
        StatCache {
            path: None,
            written_ns: 0,
            loaded: BTreeMap::new(),
            kept: BTreeMap::new(),
            refresh: false,
            dirty: false,
            stats: SourceStats::default(),
        }
    }

    /// Opens the cache at `path`; `refresh` ignores its entries (every source is read) but
    /// still rewrites it. A missing, unreadable, corrupt or other-version file is empty.
    pub fn open(path: PathBuf, refresh: bool) -> StatCache {
        let mut cache = StatCache::disabled();
        cache.refresh = refresh;
        if let Ok(bytes) = fs::read(&path) {
            match serde_json::from_slice::<CacheFile>(&bytes) {
                Ok(file) if file.version == VERSION => {
                    cache.loaded = file.entries;
                    cache.written_ns = Stat::of(&path).map_or(0, |s| s.mtime_ns);
                }
                // Corrupt or another version: start over and replace it.
                _ => cache.dirty = true,
            }
        }
        cache.path = Some(path);
        cache
    }

    pub fn stats(&self) -> SourceStats {
        self.stats
    }

    /// Digests `sources` (canonical paths), in order: from the cache when the stat matches a
    /// trusted entry, else by reading them, in parallel when many must be read.
    pub fn digest(&mut self, sources: &[(PathBuf, As)]) -> Vec<Result<Digest, ReadError>> {
        let mut results: Vec<Option<Result<Digest, ReadError>>> = Vec::new();
        let mut misses = Vec::new();
        for (i, (path, kind)) in sources.iter().enumerate() {
            match self.hit(path, *kind) {
                Some(digest) => results.push(Some(Ok(digest))),
                None => {
                    results.push(None);
                    misses.push(i);
                }
            }
        }
        let jobs: Vec<(PathBuf, As)> = misses.iter().map(|&i| sources[i].clone()).collect();
        for (i, (read, entry)) in misses.into_iter().zip(read_all(&jobs)) {
            let key = key(&sources[i].0);
            if let Some(mut entry) = entry {
                // The same file read as a plain file and as a table keeps its CSV summary.
                if let Some(known) = self.kept.get(&key)
                    && entry.csv.is_none()
                    && (known.stat, &known.sha256) == (entry.stat, &entry.sha256)
                {
                    entry.csv = known.csv.clone();
                }
                if self.kept.get(&key) != Some(&entry) {
                    self.dirty = true;
                }
                self.kept.insert(key, entry);
            } else if self.loaded.contains_key(&key) {
                // A stale or racy entry is dropped: the file changes once it is rewritten.
                self.dirty = true;
            }
            self.stats.read += 1;
            results[i] = Some(read);
        }
        results
            .into_iter()
            .map(|r| r.expect("every source is a hit or was read"))
            .collect()
    }

    /// The cached digest of `path` when its stat is unchanged and the entry is trusted.
    fn hit(&mut self, path: &Path, kind: As) -> Option<Digest> {
        if self.refresh || self.path.is_none() {
            return None;
        }
        let key = key(path);
        let entry = self.kept.get(&key).or_else(|| self.loaded.get(&key))?;
        let stat = Stat::of(path)?;
        let racy = entry.stat.mtime_ns >= self.written_ns;
        if stat != entry.stat || racy || (kind == As::Csv && entry.csv.is_none()) {
            return None;
        }
        let entry = entry.clone();
        let digest = (
            entry.stat.size,
            entry.sha256.clone(),
            if kind == As::Csv {
                entry.csv.clone()
            } else {
                None
            },
        );
        self.kept.insert(key, entry);
        self.stats.cached += 1;
        Some(digest)
    }

    /// Writes the cache when anything changed (entries read, dropped, or a corrupt file),
    /// atomically. Errors are the caller's to ignore: a cache is only an optimisation.
    pub fn save(&mut self) -> std::io::Result<bool> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let dropped = self.loaded.keys().any(|k| !self.kept.contains_key(k));
        if !self.dirty && !dropped {
            return Ok(false);
        }
        let file = CacheFile {
            version: VERSION,
            entries: std::mem::take(&mut self.kept),
        };
        let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        self.kept = file.entries;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        write_atomically(path, &bytes)?;
        self.dirty = false;
        self.loaded = self.kept.clone();
        Ok(true)
    }
}

/// Temporary file (named `.tmp…`) beside `path`, then rename: a reader sees the old file or
/// the new one. No fsync: for caches, which a lost write only makes slower.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Reads every job, over the available cores when there are many; each worker reuses one
/// reader (its read buffer and CSV record).
fn read_all(jobs: &[(PathBuf, As)]) -> Vec<(Result<Digest, ReadError>, Option<Entry>)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len() / PARALLEL_FROM.max(1))
        .max(1);
    if threads == 1 {
        let mut reader = Reader::new();
        return jobs
            .iter()
            .map(|(p, k)| read_one(&mut reader, p, *k))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<_>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut reader = Reader::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, kind)) = jobs.get(i) else {
                        break;
                    };
                    let done = read_one(&mut reader, path, *kind);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(done);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job was taken by a worker")
        })
        .collect()
}

/// Reads one source; the entry to cache, when the file held still during the read and was
/// last modified a whole racy window before it.
fn read_one(
    reader: &mut Reader,
    path: &Path,
    kind: As,
) -> (Result<Digest, ReadError>, Option<Entry>) {
    let started = nanos(SystemTime::now());
    let before = Stat::of(path);
    let read = match kind {
        As::File => reader
            .file(path)
            .map(|(size, sha)| (size, sha, None))
            .map_err(ReadError::Io),
        As::Csv => reader
            .csv(path)
            .map(|(size, sha, csv)| (size, sha, Some(csv)))
            .map_err(ReadError::Csv),
    };
    let entry = match (&read, before, Stat::of(path)) {
        (Ok((size, sha256, csv)), Some(before), Some(after))
            if before == after
                && before.size == *size
                && before.mtime_ns + (RACY_WINDOW.as_nanos() as i128) <= started =>
        {
            Some(Entry {
                stat: before,
                sha256: sha256.clone(),
                csv: csv.clone(),
            })
        }
        _ => None,
    };
    (read, entry)
}

#[cfg(test)]
#[path = "stat_cache_tests.rs"]
mod tests;
