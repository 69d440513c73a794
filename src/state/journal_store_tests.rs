//! The local store with its journal on a real file system: appends instead of rewrites,
//! replay of a journal a killed run left, compaction (at release and past the bound), and the
//! temporary files of killed runs removed by the next lock holder.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::address::{Address, Kind};

fn entry(i: usize, payload: usize) -> ResourceState {
    ResourceState {
        kind: Kind::Table,
        remote_id: Some(format!("id-{i}")),
        inputs_hash: format!("h{i}"),
        attributes: [("text".to_string(), serde_json::json!("x".repeat(payload)))].into(),
        applied_serial: 0,
        status: ResourceStatus::Applied,
        observed: None,
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(".grokform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(".grokform").join(name)).unwrap()
}

#[tokio::test]
async fn saves_append_one_line_each_and_release_compacts_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let mut state = State::new();
    state.resources.insert(Address::table("t0"), entry(0, 10));
    store.save(&mut state).await.unwrap();
    let snapshot = read(dir.path(), STATE_FILE);
    for i in 1..=5 {
        state
            .resources
            .insert(Address::table(&format!("t{i}")), entry(i, 10));
        if i == 3 {
            state.resources.remove(&Address::table("t0"));
        }
        store.save(&mut state).await.unwrap();
    }
    assert_eq!(state.serial, 6);
    assert_eq!(
        read(dir.path(), STATE_FILE),
        snapshot,
        "appends leave the snapshot alone"
    );
    let journal = String::from_utf8(read(dir.path(), JOURNAL_FILE)).unwrap();
    assert_eq!(
        journal.lines().count(),
        1 + 5,
        "a base line and one line per save"
    );
    assert!(
        journal
            .lines()
            .nth(3)
            .unwrap()
            .contains("\"table.t0\":null"),
        "a removal is recorded: {journal}"
    );
    assert_eq!(store.load().await.unwrap().unwrap(), state);

    lock.release().await.unwrap();
    assert_eq!(files(dir.path()), [STATE_FILE, BACKUP_FILE, LOCK_FILE]);
    assert_eq!(read(dir.path(), STATE_FILE), encode(&state).into_bytes());
    assert_eq!(read(dir.path(), BACKUP_FILE), snapshot);
    let (loaded, recovery) = store.load_recovering().await.unwrap();
    assert_eq!((loaded.unwrap(), recovery), (state, None));
}

#[tokio::test]
async fn a_journal_left_by_a_killed_run_is_replayed_and_folded_in_by_the_next_lock_holder() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let mut state = State::new();
    for i in 0..4 {
        state
            .resources
            .insert(Address::table(&format!("t{i}")), entry(i, 10));
        store.save(&mut state).await.unwrap();
    }
    // Killed: the lock goes with the process, the journal stays, with half a line at its end.
    drop(lock);
    let path = dir.path().join(".grokform").join(JOURNAL_FILE);
    let mut torn = std::fs::read(&path).unwrap();
    let whole = torn.len();
    torn.extend_from_slice(b"0123456789abcdef {\"kind\":\"record\",\"serial\":5,\"lin");
    std::fs::write(&path, &torn).unwrap();

    // A new run (its own store) reads it back without writing anything.
    let next = StateStore::local(dir.path(), None);
    let (loaded, recovery) = next.load_recovering().await.unwrap();
    assert_eq!(loaded.unwrap(), state);
    assert_eq!(
        recovery,
        Some(Recovery {
            journal: ".grokform/state.journal".into(),
            replayed: 3,
            ignored: Some(Ignored {
                line: 5,
                reason: "torn"
            }),
            running: None,
        })
    );
    assert_eq!(
        std::fs::read(&path).unwrap().len(),
        torn.len(),
        "reading never writes"
    );
    assert!(whole < torn.len());

    // Taking and releasing the lock folds it into the snapshot.
    next.lock("plan", Duration::ZERO)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    assert!(!path.exists());
    let (loaded, recovery) = next.load_recovering().await.unwrap();
    assert_eq!((loaded.unwrap(), recovery), (state, None));
}

#[tokio::test]
async fn the_first_save_of_a_run_writes_a_snapshot_over_a_leftover_journal() {
    let dir = tempfile::tempdir().unwrap();
    let first = StateStore::local(dir.path(), None);
    let mut state = State::new();
    for i in 0..3 {
        state
            .resources
            .insert(Address::table(&format!("t{i}")), entry(i, 10));
        first.save(&mut state).await.unwrap();
    }
    let second = StateStore::local(dir.path(), None);
    let mut loaded = second.load().await.unwrap().unwrap();
    assert_eq!(loaded, state);
    loaded.resources.insert(Address::table("t9"), entry(9, 10));
    second.save(&mut loaded).await.unwrap();
    assert_eq!(loaded.serial, 4);
    assert!(!files(dir.path()).contains(&JOURNAL_FILE.to_string()));
    assert_eq!(read(dir.path(), STATE_FILE), encode(&loaded).into_bytes());
    // The first run's store notices the files are not as it left them and refuses.
    let err = first.save(&mut state).await.unwrap_err();
    assert!(
        matches!(err, StateError::Newer { stored: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_journal_is_compacted_once_it_outgrows_the_snapshot_and_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    let mut state = State::new();
    store.save(&mut state).await.unwrap();
    let mut compactions = 0;
    let mut journal_was = 0;
    // 100 KiB per save: past 1 MiB the journal is folded in and starts again.
    for i in 0..25 {
        state
            .resources
            .insert(Address::table(&format!("t{i}")), entry(i, 100 << 10));
        store.save(&mut state).await.unwrap();
        let size = |name| {
            std::fs::metadata(dir.path().join(".grokform").join(name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        let journal = size(JOURNAL_FILE);
        let bound = (1 << 20u64).max(size(STATE_FILE));
        assert!(journal <= bound + (110 << 10), "{journal} > {bound}");
        if journal < journal_was {
            compactions += 1;
        }
        journal_was = journal;
    }
    assert!(compactions >= 1, "never compacted");
    assert!(
        compactions <= 2,
        "the bound grows with the snapshot: {compactions}"
    );
    assert_eq!(store.load().await.unwrap().unwrap(), state);
}

#[tokio::test]
async fn the_next_lock_holder_removes_temporary_files_of_killed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(".grokform");
    std::fs::create_dir_all(&folder).unwrap();
    let dead = 4_194_304 + 11; // above Linux's maximum pid
    let me = std::process::id();
    let leftovers = [
        format!(".state.json.{dead}.a1b2c3.tmp"),
        format!(".state.json.backup.{dead}.d4e5f6.tmp"),
        ".state.json.Zx81ab.tmp".to_string(),
        ".state.json.backup.0d9b6c1e-1f2a-4b3c-8d4e-5f6a7b8c9d0e.tmp".to_string(),
        format!(".remote-state.json.{dead}.q.tmp"),
    ];
    let kept = [
        format!(".state.json.{me}.mine.tmp"),
        "notes.txt".to_string(),
    ];
    for name in leftovers.iter().chain(&kept) {
        std::fs::write(folder.join(name), b"x").unwrap();
    }
    let store = StateStore::local(dir.path(), None);
    // Reading is not enough: only the lock holder knows no other run is writing them.
    store.load().await.unwrap();
    assert_eq!(files(dir.path()).len(), leftovers.len() + kept.len());
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let mut expected: Vec<String> = kept.to_vec();
    expected.push(LOCK_FILE.into());
    expected.sort();
    assert_eq!(files(dir.path()), expected);
    lock.release().await.unwrap();
}
