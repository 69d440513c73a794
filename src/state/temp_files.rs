//! Leftover temporary files of killed runs. A run killed between creating a temporary file and
//! renaming it into place (`kill -9`, a lost machine) leaves `.state.json.<pid>.<random>.tmp`
//! behind; nothing else would ever remove it, and it shows in `git status`. The next run that
//! holds the state lock removes them: only the lock holder writes these files, and the pid in
//! the name guards the one exception (a hung holder whose lock was forced away).

use std::path::{Path, PathBuf};

/// Removes the temporary files in `dir` of the files named `targets` (`state.json`,
/// `state.json.backup`, …) that no live process is writing. Returns what it removed, sorted.
/// Call it only while holding the state lock.
pub(crate) fn remove_stale(dir: &Path, targets: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(writer) = writer_of(&name, targets) else {
            continue;
        };
        if writer.is_some_and(|pid| pid == std::process::id() || alive(pid)) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed.push(entry.path()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    removed.sort();
    Ok(removed)
}

/// `Some(Some(pid))` for a temporary file of one of `targets` written by `pid`, `Some(None)` for
/// one whose name carries no pid (written before names carried it, or by `tempfile`'s default
/// `.tmpXXXXXX` of earlier versions), `None` for any other name.
fn writer_of(name: &str, targets: &[&str]) -> Option<Option<u32>> {
    if name.len() == 10
        && name.starts_with(".tmp")
        && name[4..].chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Some(None);
    }
    let rest = name.strip_suffix(".tmp")?;
    // The longest target first: `.state.json.backup.…` is not a temporary `state.json`.
    let mut targets: Vec<&&str> = targets.iter().collect();
    targets.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let middle = targets
        .iter()
        .find_map(|target| rest.strip_prefix(&format!(".{target}.")))?;
    if middle.is_empty() {
        return None;
    }
    // `<pid>.<random>` now; `<random>` alone before.
    Some(
        middle
            .split_once('.')
            .and_then(|(pid, random)| (!random.is_empty()).then_some(pid))
            .and_then(|pid| pid.parse::<u32>().ok()),
    )
}

/// Whether a process with this id runs on this machine (Linux: `/proc/<pid>`). Where that
/// cannot be told, no: the caller holds the state lock, so no other run should be writing.
fn alive(pid: u32) -> bool {
    Path::new("/proc/self").exists() && Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGETS: &[&str] = &["state.json", "state.json.backup"];

    #[test]
    fn names_tell_the_writer() {
        assert_eq!(
            writer_of(".state.json.42.aB3x.tmp", TARGETS),
            Some(Some(42))
        );
        assert_eq!(
            writer_of(".state.json.backup.42.aB3x.tmp", TARGETS),
            Some(Some(42))
        );
        assert_eq!(writer_of(".state.json.Zx81ab.tmp", TARGETS), Some(None));
        assert_eq!(
            writer_of(
                ".state.json.backup.0d9b6c1e-1f2a-4b3c-8d4e-5f6a7b8c9d0e.tmp",
                TARGETS
            ),
            Some(None)
        );
        assert_eq!(writer_of(".tmpA1b2C3", TARGETS), Some(None));
        for other in [
            "state.json",
            "state.json.backup",
            "state.lock",
            ".state.json.tmp",
            "notes.tmp",
            ".other.json.42.x.tmp",
            ".tmpA1b2C3.json",
        ] {
            assert_eq!(writer_of(other, TARGETS), None, "{other}");
        }
    }

    #[test]
    fn removes_the_files_of_dead_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        let me = std::process::id();
        // A pid that cannot be running: above the kernel's maximum.
        let dead = 4_194_304 + 7;
        let names = [
            format!(".state.json.{me}.live.tmp"),
            format!(".state.json.{dead}.gone.tmp"),
            format!(".state.json.backup.{dead}.gone.tmp"),
            ".state.json.old.tmp".to_string(),
            "state.json".to_string(),
            "keep.tmp".to_string(),
        ];
        for name in &names {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let removed = remove_stale(dir.path(), TARGETS).unwrap();
        let removed: Vec<String> = removed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            removed,
            [
                format!(".state.json.{dead}.gone.tmp"),
                format!(".state.json.backup.{dead}.gone.tmp"),
                ".state.json.old.tmp".to_string(),
            ]
        );
        for kept in [&names[0], &names[4], &names[5]] {
            assert!(dir.path().join(kept).exists(), "{kept}");
        }
        assert!(
            remove_stale(&dir.path().join("missing"), TARGETS)
                .unwrap()
                .is_empty()
        );
    }
}
