//! The local state lock: an OS file lock (`flock`) on `state.lock`, which dies with its holder
//! (a crashed run never leaves the state locked), and the holder's details written into it.
//!
//! Taking the lock and writing the details cannot be one step, so a run that finds the lock
//! held may read the file in between: empty (the winner has not written yet, or a holder is
//! letting go) or a previous holder's details (left by a run that was killed, not yet
//! overwritten). A refusal must name the real holder, so such content is not believed: the
//! loser looks again every few milliseconds until the details are there and their process
//! alive, for at most `DETAILS_GRACE`. Only a holder that never writes details (not grokform)
//! outlasts it; then the OS's own lock table names its pid.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{LockInfo, StateError};

/// How often a waiting run checks the lock again.
const POLL: Duration = Duration::from_millis(200);
/// How often a run that found the lock held without believable details looks again.
const DETAILS_POLL: Duration = Duration::from_millis(5);
/// How long a holder may take between locking and writing its details.
const DETAILS_GRACE: Duration = Duration::from_secs(2);

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.display().to_string();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

/// Takes the lock at `path` for `operation`, waiting up to `wait` for a holder to let go;
/// `location` names the state in the refusal.
pub(super) async fn acquire(
    path: &Path,
    location: &str,
    operation: &str,
    wait: Duration,
) -> Result<(File, LockInfo), StateError> {
    let deadline = Instant::now() + wait;
    // Since when the lock has been held by someone whose details are not (yet) believable.
    let mut unnamed_since: Option<Instant> = None;
    loop {
        // Not truncated on open: the content names the current holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io("open", path))?;
        match file.try_lock() {
            Ok(()) => {
                // `force-unlock` may have removed the file we locked; then lock the new one.
                if !same_file(&file, path) {
                    continue;
                }
                let info = LockInfo::current(operation);
                file.set_len(0)
                    .and_then(|_| file.seek(SeekFrom::Start(0)))
                    .and_then(|_| file.write_all(info.to_json().as_bytes()))
                    .and_then(|_| file.sync_all())
                    .map_err(io("write", path))?;
                return Ok((file, info));
            }
            Err(TryLockError::WouldBlock) => {
                // A file `force-unlock` removed meanwhile names a holder that no longer counts.
                if !same_file(&file, path) {
                    continue;
                }
                let now = Instant::now();
                let read = read_holder(&mut file);
                let holder = match read.filter(believable) {
                    Some(holder) => {
                        unnamed_since = None;
                        holder
                    }
                    None => {
                        let since = *unnamed_since.get_or_insert(now);
                        if now < since + DETAILS_GRACE {
                            tokio::time::sleep(DETAILS_POLL).await;
                            continue;
                        }
                        read_holder(&mut file)
                            .filter(|h| !h.id.is_empty())
                            .unwrap_or_else(|| from_lock_table(&file))
                    }
                };
                if now >= deadline {
                    return Err(StateError::Locked {
                        location: location.to_string(),
                        holder: Box::new(holder),
                    });
                }
                tokio::time::sleep(POLL.min(deadline - now)).await;
            }
            Err(TryLockError::Error(e)) => return Err(io("lock", path)(e)),
        }
    }
}

/// Details a refusal may name: complete (grokform writes an id), and, when written on this
/// machine, of a process that still runs (not a killed holder's leftover).
fn believable(holder: &LockInfo) -> bool {
    !holder.id.is_empty() && (holder.host != LockInfo::this_host() || alive(holder.pid))
}

/// Whether `pid` runs here; where that cannot be told (no `/proc`), assumed so.
fn alive(pid: u32) -> bool {
    !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Who holds the lock at `path` right now, without taking it (`None`: nobody, or no lock
/// file). Probing takes a shared lock for an instant: a run starting then finds the lock held
/// without details and looks again a few milliseconds later (see `acquire`).
pub(super) fn holder(path: &Path) -> Option<LockInfo> {
    let mut file = File::open(path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => Some(
            read_holder(&mut file)
                .filter(|h| !h.id.is_empty())
                .unwrap_or_else(|| from_lock_table(&file)),
        ),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Breaks the lock: a live holder's lock file is removed (the holder keeps a lock on a file
/// nobody uses any more), so the next run can lock. Returns who held it, or `None` when
/// nobody did.
pub(super) fn force_unlock(path: &Path) -> Result<Option<LockInfo>, StateError> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("open", path)(e)),
    };
    match file.try_lock() {
        Ok(()) => {
            // Nobody holds it: the OS released it when the holder ended. Clear leftovers.
            file.set_len(0).map_err(io("write", path))?;
            Ok(None)
        }
        Err(TryLockError::WouldBlock) => {
            let holder = read_holder(&mut file)
                .filter(|h| !h.id.is_empty())
                .unwrap_or_else(|| from_lock_table(&file));
            std::fs::remove_file(path).map_err(io("remove", path))?;
            Ok(Some(holder))
        }
        Err(TryLockError::Error(e)) => Err(io("lock", path)(e)),
    }
}

/// Lets go of a lock taken by `acquire`: the holder's name is cleared, then the OS lock
/// released. The file stays: removing it would let two runs lock two different files.
pub(super) fn release(file: &File) {
    let _ = file.set_len(0);
    let _ = file.sync_all();
    let _ = file.unlock();
}

/// The details in the lock file; `None` when it holds none (empty, or being written).
fn read_holder(file: &mut File) -> Option<LockInfo> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_end(&mut bytes).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A holder that wrote no details, named by the OS: on Linux `/proc/locks` lists the pid of
/// every `flock` holder by device and inode.
fn from_lock_table(file: &File) -> LockInfo {
    let pid = lock_table_pid(file).unwrap_or(0);
    LockInfo {
        pid,
        host: LockInfo::this_host(),
        ..LockInfo::default()
    }
}

#[cfg(target_os = "linux")]
fn lock_table_pid(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata().ok()?;
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    pid_in_lock_table(&table, metadata.dev(), metadata.ino())
}

#[cfg(not(target_os = "linux"))]
fn lock_table_pid(_file: &File) -> Option<u32> {
    None
}

/// The pid holding a `FLOCK` on the file `dev`/`ino` in `/proc/locks` text (lines like
/// `1: FLOCK  ADVISORY  WRITE 2236 fd:01:1054876 0 EOF`; waiters' lines have `->`).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn pid_in_lock_table(table: &str, dev: u64, ino: u64) -> Option<u32> {
    // Linux's dev_t: major in bits 8..20 and 32..; minor in bits 0..8 and 20..32.
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let mut id = fields.get(5)?.split(':');
        let (ma, mi, i) = (id.next()?, id.next()?, id.next()?);
        let matches = u64::from_str_radix(ma, 16).ok()? == major
            && u64::from_str_radix(mi, 16).ok()? == minor
            && i.parse::<u64>().ok()? == ino;
        if matches {
            fields[4].parse().ok()
        } else {
            None
        }
    })
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_lock_table_names_a_flock_holder() {
        let table = "1: POSIX  ADVISORY  WRITE 11 fd:01:77 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 2236 fd:01:1054876 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 2300 fd:01:1054876 0 EOF\n\
                     3: FLOCK  ADVISORY  WRITE 999 103:02:1054876 0 EOF\n";
        let dev = (0xfd << 8) | 0x01;
        assert_eq!(pid_in_lock_table(table, dev, 1_054_876), Some(2236));
        assert_eq!(
            pid_in_lock_table(table, dev, 77),
            None,
            "POSIX locks are not ours"
        );
        let dev = (0x103 << 8) | 0x02;
        assert_eq!(pid_in_lock_table(table, dev, 1_054_876), Some(999));
        assert_eq!(pid_in_lock_table(table, dev, 5), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_held_in_this_process_is_found_in_the_lock_table() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("state.lock")).unwrap();
        file.lock().unwrap();
        let holder = from_lock_table(&file);
        assert_eq!(holder.pid, std::process::id());
        assert!(holder.id.is_empty());
    }

    #[test]
    fn leftover_details_of_a_dead_local_process_are_not_believed() {
        let mut holder = LockInfo::current("apply");
        assert!(believable(&holder));
        holder.pid = 4_194_304 + 7; // above Linux's maximum pid
        assert_eq!(believable(&holder), !Path::new("/proc/self").exists());
        holder.host = "elsewhere".into();
        assert!(
            believable(&holder),
            "another machine's pids cannot be checked"
        );
        holder.id.clear();
        assert!(!believable(&holder), "incomplete details");
    }
}
