//! The state journal: what apply saved since the last snapshot (`state.json`), one line per
//! save, appended and fsynced. Rewriting the whole snapshot after every action made apply
//! quadratic; a journal line costs the size of what changed. The snapshot stays the committed,
//! reviewable file; the journal is compacted into it at the end of a locked run and whenever
//! it grows past the snapshot's size.
//!
//! Format: each line is `<checksum> <json>\n`, the checksum being the first 16 hex digits of
//! the SHA-256 of the JSON text. The first line names the snapshot the records continue (its
//! lineage, serial and SHA-256); every other line is one save: the serial it made, the server
//! and each changed address with its entry (`null`: removed).
//!
//! A run killed while appending leaves a torn last line; it was never acknowledged (the save
//! had not returned), so it is ignored, and reported. A bad line followed by good ones is
//! damage, not a torn write: an error, never a silent loss.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{FORMAT_VERSION, ResourceState, State, StateError};
use crate::address::Address;

/// The snapshot a journal continues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Base {
    pub lineage: String,
    pub serial: u64,
    /// SHA-256 (hex) of the snapshot's bytes.
    pub sha256: String,
}

/// One save: the serial it made and what changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
    #[serde(default)]
    pub server: Option<String>,
    /// Changed addresses; `None` (JSON `null`) removes the entry.
    pub resources: BTreeMap<Address, Option<ResourceState>>,
}

/// A `Record` as written: the same JSON, borrowing the state's changed entries, so that a
/// save copies none of them (the fingerprints recorded at the end of an apply change half of
/// the state at once).
#[derive(Serialize)]
pub(crate) struct RecordRef<'a> {
    pub format_version: u32,
    pub lineage: &'a str,
    pub serial: u64,
    pub server: Option<&'a str>,
    pub resources: BTreeMap<&'a Address, Option<&'a ResourceState>>,
}

impl Record {
    /// This record as written.
    #[cfg(test)]
    pub(crate) fn borrowed(&self) -> RecordRef<'_> {
        RecordRef {
            format_version: self.format_version,
            lineage: &self.lineage,
            serial: self.serial,
            server: self.server.as_deref(),
            resources: self
                .resources
                .iter()
                .map(|(address, entry)| (address, entry.as_ref()))
                .collect(),
        }
    }
}

impl<'a> RecordRef<'a> {
    /// The next save of `state`: its entries at `changed`, as `state` holds them now.
    pub(crate) fn of(state: &'a State, changed: &'a BTreeSet<Address>) -> Self {
        RecordRef {
            format_version: super::FORMAT_VERSION,
            lineage: &state.lineage,
            serial: state.serial + 1,
            server: state.server.as_deref(),
            resources: changed
                .iter()
                .map(|address| (address, state.resources.get(address)))
                .collect(),
        }
    }
}

/// One line's content, as read.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Base(Base),
    Record(Record),
}

/// One line's content, as written (borrowed: a save does not copy its record).
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum LineRef<'a> {
    Base(&'a Base),
    Record(&'a RecordRef<'a>),
}

/// A journal as read: its base and records, and what was ignored at its end.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub base: Option<Base>,
    pub records: Vec<Record>,
    pub ignored: Option<Ignored>,
}

/// The ignored tail of a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    /// 1-based line number of the first ignored line.
    pub line: usize,
    /// `torn` (no line end) or `bad checksum`.
    pub reason: &'static str,
}

/// What reading state replayed from a journal, for the caller to tell the user: left by a
/// run that did not finish, or being written by one in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The journal, for messages (`.grokform/state.journal`).
    pub journal: String,
    /// How many saves were replayed.
    pub replayed: usize,
    /// A torn or damaged last line that was ignored.
    pub ignored: Option<Ignored>,
    /// The run holding the lock while the journal was read (it is still writing it).
    pub running: Option<String>,
}

impl Recovery {
    /// One sentence for the user.
    pub fn describe(&self) -> String {
        let saves = format!(
            "{} save{}",
            self.replayed,
            if self.replayed == 1 { "" } else { "s" }
        );
        if let Some(holder) = &self.running {
            let mut text = format!(
                "included {saves} from `{}` of a run in progress: {holder}",
                self.journal
            );
            if let Some(ignored) = &self.ignored {
                text.push_str(&format!("; its line {} is being written", ignored.line));
            }
            return text;
        }
        let mut text = if self.replayed > 0 {
            format!(
                "replayed {saves} from `{}` left by a run that did not finish; they are included \
                 here, and the next run that holds the lock (`apply`, `plan --lock`) writes them \
                 into the state file",
                self.journal
            )
        } else {
            format!("`{}` was left by a run that did not finish", self.journal)
        };
        if let Some(ignored) = &self.ignored {
            text.push_str(&format!(
                "; ignored its line {} ({}: that run was killed while writing it, before the save counted as done)",
                ignored.line, ignored.reason
            ));
        }
        text
    }
}

/// The journal beside a snapshot: `state.json` → `state.journal`.
pub(crate) fn path_beside(snapshot: &Path) -> PathBuf {
    snapshot.with_extension("journal")
}

/// SHA-256 (hex) of a snapshot's bytes.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `<checksum> <json>\n`.
fn encode_line(line: LineRef<'_>) -> Vec<u8> {
    let json = serde_json::to_string(&line).expect("journal lines serialise");
    let mut out = Vec::with_capacity(json.len() + 18);
    out.extend_from_slice(checksum(json.as_bytes()).as_bytes());
    out.push(b' ');
    out.extend_from_slice(json.as_bytes());
    out.push(b'\n');
    out
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn checksum(json: &[u8]) -> String {
    hex(&Sha256::digest(json)[..8])
}

/// A line's content, or why it is not one.
fn decode_line(line: &[u8]) -> Result<Line, &'static str> {
    let text = std::str::from_utf8(line).map_err(|_| "bad checksum")?;
    let (sum, json) = text.split_once(' ').ok_or("bad checksum")?;
    if sum != checksum(json.as_bytes()) {
        return Err("bad checksum");
    }
    // A line with a right checksum that is not a journal line was written by something else.
    serde_json::from_str(json).map_err(|_| "not a journal line")
}

/// Reads a journal's bytes. A torn or bad tail is ignored (`Parsed::ignored`); a bad line
/// followed by good ones, or records before a base line, are an error naming the line.
pub(crate) fn parse(bytes: &[u8], location: &str) -> Result<Parsed, StateError> {
    let damaged = |line: usize, reason: &str| StateError::JournalDamaged {
        location: location.to_string(),
        line,
        reason: reason.to_string(),
    };
    let mut parsed = Parsed::default();
    let mut segments: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // `split` yields an empty piece after the last line end; anything else there is torn.
    let torn = segments.pop().filter(|last| !last.is_empty());
    let mut first_bad: Option<Ignored> = None;
    for (i, segment) in segments.iter().enumerate() {
        let number = i + 1;
        let line = match decode_line(segment) {
            Err(reason @ "not a journal line") => return Err(damaged(number, reason)),
            Err(reason) => {
                first_bad.get_or_insert(Ignored {
                    line: number,
                    reason,
                });
                continue;
            }
            Ok(line) => line,
        };
        if let Some(bad) = &first_bad {
            return Err(damaged(bad.line, bad.reason));
        }
        match line {
            Line::Base(base) if number == 1 => parsed.base = Some(base),
            Line::Base(_) => return Err(damaged(number, "a second base line")),
            Line::Record(_) if number == 1 => {
                return Err(damaged(number, "a record before the base line"));
            }
            Line::Record(record) => parsed.records.push(record),
        }
    }
    parsed.ignored = first_bad.or_else(|| {
        torn.map(|_| Ignored {
            line: segments.len() + 1,
            reason: "torn",
        })
    });
    Ok(parsed)
}

/// Applies the records of `parsed` that `state` (read from a snapshot whose bytes hash to
/// `snapshot_sha256`) does not hold yet. Returns how many it applied.
///
/// Records at or below the snapshot's serial are already in it (a run compacted, then died
/// before removing the journal) and are skipped. Records beyond it must continue exactly this
/// snapshot: same lineage, same serial and hash as the journal's base, serials without gaps.
pub(crate) fn replay(
    state: &mut State,
    snapshot_sha256: &str,
    parsed: Parsed,
    location: &str,
) -> Result<usize, StateError> {
    let Some(base) = parsed.base else {
        return Ok(0);
    };
    let mismatch = |reason: String| StateError::JournalMismatch {
        location: location.to_string(),
        reason,
    };
    if base.lineage != state.lineage {
        return Err(mismatch(format!(
            "it continues the state with lineage `{}`, but the snapshot has lineage `{}`",
            base.lineage, state.lineage
        )));
    }
    let pending: Vec<Record> = parsed
        .records
        .into_iter()
        .filter(|r| r.serial > state.serial)
        .collect();
    if pending.is_empty() {
        return Ok(0);
    }
    if base.serial != state.serial || base.sha256 != snapshot_sha256 {
        return Err(mismatch(format!(
            "it continues serial {} of the state, but the snapshot holds {} serial {}",
            base.serial,
            if base.serial == state.serial {
                "a different"
            } else {
                "the state at"
            },
            state.serial
        )));
    }
    let count = pending.len();
    for record in pending {
        if u64::from(record.format_version) > u64::from(FORMAT_VERSION) {
            return Err(StateError::NewerFormat {
                location: location.to_string(),
                found: u64::from(record.format_version),
                supported: FORMAT_VERSION,
            });
        }
        if record.lineage != state.lineage || record.serial != state.serial + 1 {
            return Err(mismatch(format!(
                "after serial {} comes a record of serial {} (lineage `{}`)",
                state.serial, record.serial, record.lineage
            )));
        }
        state.serial = record.serial;
        state.server = record.server;
        for (address, resource) in record.resources {
            state.resources.replay(address, resource);
        }
    }
    Ok(count)
}

/// An open journal this process appends to.
#[derive(Debug)]
pub(crate) struct Writer {
    file: File,
    path: PathBuf,
    /// Its length after our last append.
    len: u64,
    /// Device and inode, to notice someone replacing it.
    id: Option<(u64, u64)>,
}

impl Writer {
    /// Starts a new journal at `path` continuing `base` (replacing any journal there: its
    /// records are in the snapshot `base` names), with `record` as its first save. The file and
    /// its folder entry are fsynced before this returns.
    pub(crate) fn create(
        path: &Path,
        base: Base,
        record: &RecordRef<'_>,
    ) -> std::io::Result<Writer> {
        let mut bytes = encode_line(LineRef::Base(&base));
        bytes.extend(encode_line(LineRef::Record(record)));
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        super::atomic::sync_dir(path.parent().unwrap_or(Path::new(".")))?;
        let id = file_id(&file.metadata()?);
        Ok(Writer {
            file,
            path: path.to_path_buf(),
            len: bytes.len() as u64,
            id,
        })
    }

    /// Appends one save and fsyncs it (data only: the length is part of it).
    /// On error the journal is cut back to its last whole line (best effort).
    pub(crate) fn append(&mut self, record: &RecordRef<'_>) -> std::io::Result<()> {
        let bytes = encode_line(LineRef::Record(record));
        let written = self
            .file
            .seek(SeekFrom::Start(self.len))
            .and_then(|_| self.file.write_all(&bytes))
            .and_then(|_| self.file.sync_data());
        if written.is_err() {
            let _ = self.file.set_len(self.len);
        }
        written?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file at its path is still the one this writer appended to, as long as it
    /// left it (nobody removed, replaced or wrote to it).
    pub(crate) fn is_intact(&self) -> bool {
        match std::fs::metadata(&self.path) {
            Ok(metadata) => metadata.len() == self.len && file_id(&metadata) == self.id,
            Err(_) => false,
        }
    }
}

/// Removes the journal at `path` (if any) and makes that durable.
pub(crate) fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => super::atomic::sync_dir(path.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn file_id(metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn file_id(_metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
