//! The no-op plan memo: `plan --refresh=false` answering "No changes" again without parsing
//! the manifest, decoding the state or planning, when nothing it was computed from changed.
//!
//! A plan that reads nothing from the server is a pure function of the binary, its arguments
//! and the few variables `cli` reads, the manifest's bytes, the state's bytes and the sources
//! (and layouts) the manifest names. After a full plan that found nothing to change and sent
//! no request but the healthcheck, this file records all of those in
//! `.grokform/[<env>/]plan-memo/` (local and gitignored, like the stat cache beside it) with
//! the exact text it printed. The next `plan` with the same arguments checks every one of
//! them again, the healthcheck included (a wrong key or URL still fails), and prints that
//! text; any difference, or anything it cannot check, runs the full plan instead.
//!
//! Why it cannot answer wrongly:
//! - the manifest and the state are compared by SHA-256 of their bytes (the state's as the
//!   plan decoded them; a journal beside it, a run in progress or one to recover, always
//!   takes the full plan);
//! - each source is compared by `lstat` (kind, size, mtime and ctime in ns, inode, device), and
//!   so is each folder between the manifest's folder and it, so a renamed, replaced or
//!   re-linked folder shows too. Only sources whose written path is their canonical path (no
//!   link, no `..`) are memoised;
//! - an entry is recorded only when its ctime lies a whole [`RACY_WINDOW`] before the plan
//!   started: a later change then always moves it (the same rule as the stat cache's);
//! - the key covers the binary (version, inode, size, mtime), the working folder, every
//!   argument, `DATAGROK_URL`, `GROKFORM_ENV`, `GITHUB_ACTIONS` and the colour decision.
//!
//! A missing, corrupt, other-version or unwritable memo only means a full plan.

// `cli` owns the environment, and this cache file is its own (like the stat cache is the
// source reader's): it reads the manifest, state and source metadata only to compare them.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::plan::Args;
use super::session::LOCAL;
use crate::model::Model;
use crate::model::stat_cache::RACY_WINDOW;
use crate::state::{JOURNAL_FILE, STATE_FILE, Snapshot};

/// The memos' folder inside the environment's `.grokform/` folder: one file per key, named
/// after it, so plans with other arguments (`--format markdown` beside `--detailed-exitcode`
/// in one CI job) each keep theirs.
pub const FOLDER: &str = "plan-memo";

/// How many memos a folder keeps; writing one more removes the least recently written.
const KEEP: usize = 8;

/// Bumped whenever what the memo records or means changes; another version is ignored.
const VERSION: u32 = 1;

/// The variables `cli` reads that can change what `plan` prints.
const ENV_KEYS: [&str; 3] = ["DATAGROK_URL", "GROKFORM_ENV", "GITHUB_ACTIONS"];

/// What a plan run is, before anything is parsed: where its memo lives and its key.
pub struct Run {
    root: PathBuf,
    manifest: PathBuf,
    memo: PathBuf,
    key: String,
    /// When the run started, in ns since the epoch (for the racy rule).
    started_ns: i64,
}

/// The memo file.
#[derive(Serialize, Deserialize)]
struct Memo {
    version: u32,
    key: String,
    root: String,
    manifest_sha256: String,
    /// SHA-256 of `state.json`; `None`: there was none (and no journal).
    state_sha256: Option<String>,
    /// The server the healthcheck goes to (`ServerUrl`'s normalised text).
    server: String,
    entries: Vec<Entry>,
    /// What the plan printed on standard output (it printed nothing else and exited 0).
    stdout: String,
}

/// `[kind, dev, ino, size, mtime_ns, ctime_ns, path relative to the root]`; kind `d` or `f`.
type Entry = (char, u64, u64, u64, i64, i64, String);

/// The environment name as a folder, like the stat cache's and the local state's.
fn env_dir(root: &Path, env: Option<&str>) -> Option<PathBuf> {
    let mut dir = root.join(".grokform");
    if let Some(env) = env {
        // The state's own rule for an environment folder (the full plan reports a bad name).
        if crate::key::Key::parse(env).is_err() {
            return None;
        }
        dir.push(env);
    }
    Some(dir)
}

impl Run {
    /// The run's memo and key, or `None` when this plan can never be memoised: it reads the
    /// server (`--refresh`), takes the lock, saves a plan, re-reads sources or runs the
    /// built-in emulator.
    pub fn new(args: &Args) -> Option<Run> {
        if args.refresh
            || args.lock
            || args.out.is_some()
            || args.sources.refresh_sources
            || args.server.server.as_deref() == Some(LOCAL)
        {
            return None;
        }
        let started_ns = nanos(SystemTime::now());
        let manifest = std::path::absolute(args.manifest.manifest_path()).ok()?;
        let root = fs::canonicalize(manifest.parent()?).ok()?;
        let key = key()?;
        let memo = env_dir(&root, args.manifest.env.as_deref())?
            .join(FOLDER)
            .join(&key[..32]);
        Some(Run {
            key,
            root,
            manifest,
            memo,
            started_ns,
        })
    }

    /// The server to check, the memoised output and how many sources it checked, when every
    /// input is unchanged (the server is not asked yet).
    pub fn check(&self) -> Option<(String, String, usize)> {
        let memo: Memo = serde_json::from_slice(&fs::read(&self.memo).ok()?).ok()?;
        if memo.version != VERSION || memo.key != self.key || Path::new(&memo.root) != self.root {
            return None;
        }
        if sha256(&fs::read(&self.manifest).ok()?) != memo.manifest_sha256 {
            return None;
        }
        let dir = self.memo.parent()?.parent()?;
        if dir.join(JOURNAL_FILE).symlink_metadata().is_ok() {
            return None;
        }
        match (&memo.state_sha256, fs::read(dir.join(STATE_FILE))) {
            (Some(expected), Ok(bytes)) if sha256(&bytes) == *expected => {}
            (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            _ => return None,
        }
        for entry in &memo.entries {
            if stat(&self.root.join(&entry.6), &entry.6)? != *entry {
                return None;
            }
        }
        let sources = memo.entries.iter().filter(|e| e.0 == 'f').count();
        Some((memo.server, memo.stdout, sources))
    }

    /// Records a full plan that found nothing to change, when every input can be checked
    /// next time; otherwise leaves things as they are. Errors are ignored: a memo is only an
    /// optimisation.
    pub fn record(&self, model: &Model, server: &str, state: &Snapshot, stdout: &str) {
        if let Some(memo) = self.memo_of(model, server, state, stdout)
            && let Ok(bytes) = serde_json::to_vec(&memo)
        {
            let _ = write_atomically(&self.memo, &bytes);
        }
    }

    fn memo_of(&self, model: &Model, server: &str, state: &Snapshot, stdout: &str) -> Option<Memo> {
        if server == LOCAL || model.state != crate::model::StateBackend::Local {
            return None;
        }
        if std::path::absolute(&model.manifest_path).ok()? != self.manifest
            || model.root != self.root
        {
            return None;
        }
        let state_sha256 = match state {
            Snapshot::Absent => None,
            Snapshot::Exact(sha) => Some(sha.clone()),
            Snapshot::Journaled => return None,
        };
        let mut paths: BTreeSet<(char, String)> = BTreeSet::new();
        for source in model.sources() {
            // Only a path that is its own canonical path: no link or `..` to follow later.
            if self.root.join(&source.relative) != source.path {
                return None;
            }
            let mut folder = PathBuf::new();
            let parts: Vec<&OsStr> = Path::new(&source.relative).iter().collect();
            for part in &parts[..parts.len().saturating_sub(1)] {
                folder.push(part);
                paths.insert(('d', folder.to_str()?.to_string()));
            }
            paths.insert(('f', source.relative.clone()));
        }
        let racy_before = self.started_ns - i64::try_from(RACY_WINDOW.as_nanos()).ok()?;
        let mut entries = Vec::with_capacity(paths.len());
        for (kind, relative) in paths {
            let entry = stat(&self.root.join(&relative), &relative)?;
            if entry.0 != kind || entry.5 >= racy_before {
                return None;
            }
            entries.push(entry);
        }
        Some(Memo {
            version: VERSION,
            key: self.key.clone(),
            root: self.root.to_str()?.to_string(),
            manifest_sha256: model.manifest_sha256.clone(),
            state_sha256,
            server: server.to_string(),
            entries,
            stdout: stdout.to_string(),
        })
    }
}

/// Without inodes and ctimes a replaced file cannot be told apart: never memoised.
#[cfg(not(unix))]
fn stat(_path: &Path, _relative: &str) -> Option<Entry> {
    None
}

/// The entry of `path` as it is now (`None`: gone, or neither a folder nor a regular file).
#[cfg(unix)]
fn stat(path: &Path, relative: &str) -> Option<Entry> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(path).ok()?;
    let kind = if meta.file_type().is_dir() {
        'd'
    } else if meta.file_type().is_file() {
        'f'
    } else {
        return None;
    };
    Some((
        kind,
        meta.dev(),
        meta.ino(),
        if kind == 'f' { meta.len() } else { 0 },
        meta.mtime().checked_mul(1_000_000_000)? + meta.mtime_nsec(),
        meta.ctime().checked_mul(1_000_000_000)? + meta.ctime_nsec(),
        relative.to_string(),
    ))
}

#[cfg(not(unix))]
fn key() -> Option<String> {
    None
}

/// The key of everything outside the files that decides what `plan` prints.
#[cfg(unix)]
fn key() -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(&VERSION.to_le_bytes());
    field(env!("CARGO_PKG_VERSION").as_bytes());
    let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
    for number in [exe.dev(), exe.ino(), exe.len()] {
        field(&number.to_le_bytes());
    }
    field(&exe.mtime().to_le_bytes());
    field(&exe.mtime_nsec().to_le_bytes());
    field(std::env::current_dir().ok()?.as_os_str().as_bytes());
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    field(&(args.len() as u64).to_le_bytes());
    for arg in &args {
        field(arg.as_bytes());
    }
    for name in ENV_KEYS {
        match std::env::var_os(name) {
            Some(value) => field(&[&[1], value.as_bytes()].concat()),
            None => field(&[0]),
        }
    }
    field(&[u8::from(super::color_stdout())]);
    Some(crate::model::source::hex(&hash.finalize()))
}

fn sha256(bytes: &[u8]) -> String {
    crate::model::source::hex(&Sha256::digest(bytes))
}

fn nanos(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// A temporary file beside the memo, then rename: a reader sees the old memo or the new one.
/// Then only the [`KEEP`] most recently written memos stay.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    crate::model::stat_cache::write_atomically(path, bytes)?;
    let mut memos: Vec<(SystemTime, PathBuf)> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if memos.len() > KEEP {
        memos.sort();
        for (_, old) in &memos[..memos.len() - KEEP] {
            let _ = fs::remove_file(old);
        }
    }
    Ok(())
}
