//! The local store on a real file system: round trips, atomic saves with backups, corrupt
//! files left alone, locks, and the checks that keep a run from overwriting newer state.

use std::time::{Duration, Instant};

use super::*;
use crate::address::{Address, Kind};
use crate::model::StateBackend;

fn sample() -> State {
    let mut state = State::new();
    state.server = Some("https://datagrok.example.com/api".into());
    state.resources.insert(
        Address::table("sales"),
        ResourceState {
            kind: Kind::Table,
            remote_id: Some("6f1c0c4e".into()),
            inputs_hash: "abc".into(),
            attributes: [("rows".to_string(), serde_json::json!(3))].into(),
            applied_serial: 1,
            status: ResourceStatus::Applied,
            observed: None,
        },
    );
    state
}

#[tokio::test]
async fn a_saved_state_loads_back_equal_with_the_next_serial() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    assert_eq!(store.describe(), ".grokform/state.json");
    assert_eq!(store.load().await.unwrap(), None);
    let mut state = sample();
    store.save(&mut state).await.unwrap();
    assert_eq!(state.serial, 1);
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(loaded, state);
    let text = std::fs::read_to_string(dir.path().join(".grokform/state.json")).unwrap();
    assert!(text.ends_with("}\n"));
    assert!(!dir.path().join(".grokform/state.json.backup").exists());
    // No temp files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path().join(".grokform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["state.json"]);
}

#[tokio::test]
async fn every_snapshot_keeps_the_previous_one_as_backup() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), Some("staging"));
    assert_eq!(store.describe(), ".grokform/staging/state.json");
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let mut state = sample();
    store.save(&mut state).await.unwrap();
    let first = std::fs::read(dir.path().join(".grokform/staging/state.json")).unwrap();
    state.resources.clear();
    store.save(&mut state).await.unwrap();
    // The second save went to the journal; releasing the lock writes the snapshot.
    lock.release().await.unwrap();
    let backup = std::fs::read(dir.path().join(".grokform/staging/state.json.backup")).unwrap();
    assert_eq!(backup, first);
    assert_eq!(store.load().await.unwrap().unwrap(), state);
    assert_eq!(state.serial, 2);
}

#[tokio::test]
async fn a_corrupt_state_is_an_error_and_stays_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(".grokform");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("state.json");
    let garbage = b"{\n  \"format_version\": 1,\n  \"lineage\": \"x\",\n  <<<<<<< HEAD\n}\n";
    std::fs::write(&path, garbage).unwrap();
    let store = StateStore::local(dir.path(), None);
    let err = store.load().await.unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("state.json"), "{err}");
    let mut state = sample();
    let err = store.save(&mut state).await.unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert_eq!(state.serial, 0, "a failed save leaves the state as it was");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert!(!folder.join("state.json.backup").exists());
}

#[tokio::test]
async fn a_save_refuses_to_overwrite_newer_or_other_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    let mut state = sample();
    store.save(&mut state).await.unwrap();
    let mut stale = state.clone();
    store.save(&mut state).await.unwrap();
    let err = store.save(&mut stale).await.unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Newer {
                stored: 2,
                loaded: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let mut other = State::new();
    let err = store.save(&mut other).await.unwrap_err();
    assert!(matches!(err, StateError::OtherLineage { .. }), "{err:?}");
    assert_eq!(store.load().await.unwrap().unwrap(), state);
}

#[tokio::test]
async fn a_held_lock_names_its_holder_and_is_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    assert_eq!(lock.info().operation, "apply");
    let content = std::fs::read(dir.path().join(".grokform/state.lock")).unwrap();
    assert_eq!(LockInfo::parse(&content), *lock.info());

    let err = store.lock("plan", Duration::ZERO).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    assert!(message.contains("running `apply` since"), "{message}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("grokform force-unlock"), "{help}");

    drop(lock);
    let content = std::fs::read(dir.path().join(".grokform/state.lock")).unwrap();
    assert!(content.is_empty(), "the holder's name is cleared");
    store
        .lock("plan", Duration::ZERO)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

#[tokio::test]
async fn lock_timeout_waits_for_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        lock.release().await.unwrap();
    });
    let started = Instant::now();
    let second = store.lock("plan", Duration::from_secs(5)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(second.info().operation, "plan");
    releaser.await.unwrap();

    let started = Instant::now();
    let err = store
        .lock("plan", Duration::from_millis(400))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::Locked { .. }));
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn force_unlock_breaks_a_held_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::local(dir.path(), None);
    assert_eq!(store.force_unlock().await.unwrap(), None);
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let holder = store.force_unlock().await.unwrap().unwrap();
    assert_eq!(&holder, lock.info());
    // The next run can lock although the old holder still holds its (removed) file.
    let next = store.lock("plan", Duration::ZERO).await.unwrap();
    drop(lock);
    assert!(matches!(
        store.lock("plan", Duration::ZERO).await,
        Err(StateError::Locked { .. })
    ));
    drop(next);
    assert_eq!(
        store.force_unlock().await.unwrap(),
        None,
        "nobody holds it now"
    );
}

#[tokio::test]
async fn bad_environment_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for env in ["../x", "a/b", ".hidden", ""] {
        let store = StateStore::local(dir.path(), Some(env));
        assert!(matches!(
            store.load().await,
            Err(StateError::BadEnvironment { .. })
        ));
    }
    assert!(!dir.path().join(".grokform").exists());
}

#[test]
fn the_server_must_match_the_state() {
    let mut state = State::new();
    check_server(&state, "https://a/api").unwrap();
    state.server = Some("https://A/api/".into());
    check_server(&state, "https://a/api").unwrap();
    let err = check_server(&state, "https://b/api").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the state was applied to `https://A/api/`, but this run targets `https://b/api`"
    );
}

#[test]
fn locations_pick_the_backend_and_the_environment_folder() {
    let root = std::path::Path::new("/m");
    let remote = StateBackend::Datagrok {
        connector: "System:AppData".into(),
        path: "grokform/state.json".into(),
    };
    let loc = StateLocation::new(root, None, &remote);
    assert!(loc.is_remote());
    assert_eq!(
        loc.remote_path(),
        Some(("System:AppData".into(), "grokform/state.json".into()))
    );
    // The environment's folder is chosen by `Model::resolve`; the location uses the path as is.
    let loc = StateLocation::new(root, Some("staging"), &remote);
    assert_eq!(loc.remote_path().unwrap().1, "grokform/state.json");
    assert!(matches!(loc.open(None), Err(StateError::NeedsServer)));
    let local = StateLocation::new(root, Some("prod"), &StateBackend::Local);
    assert_eq!(
        local.open(None).unwrap().describe(),
        ".grokform/prod/state.json"
    );
    assert_eq!(local_emulator_dir(root), root.join(".grokform/local"));
}

#[test]
fn saved_state_holds_no_secret_looking_fields() {
    let text = encode(&sample());
    for word in ["key", "token", "password", "Bearer"] {
        assert!(
            !text.to_lowercase().contains(&word.to_lowercase()),
            "{word} in {text}"
        );
    }
}

#[tokio::test]
async fn a_state_written_by_another_run_after_our_save_is_read_again() {
    // The save fast path trusts only the file this store wrote itself: a second run (its own
    // store) that saved since must still make a stale save fail.
    let dir = tempfile::tempdir().unwrap();
    let ours = StateStore::local(dir.path(), None);
    let theirs = StateStore::local(dir.path(), None);
    let mut state = sample();
    ours.save(&mut state).await.unwrap();
    let mut newer = theirs.load().await.unwrap().unwrap();
    theirs.save(&mut newer).await.unwrap();
    let err = ours.save(&mut state).await.unwrap_err();
    assert!(
        matches!(
            err,
            StateError::Newer {
                stored: 2,
                loaded: 1,
                ..
            }
        ),
        "{err:?}"
    );
    // Saving through the same store again and again keeps a real, separate backup.
    let mut state = newer;
    theirs.save(&mut state).await.unwrap();
    let StateStore::Local(local) = &theirs else {
        unreachable!()
    };
    local.compact().unwrap();
    let before = std::fs::read(dir.path().join(".grokform/state.json")).unwrap();
    state.resources.clear();
    theirs.save(&mut state).await.unwrap();
    local.compact().unwrap();
    let backup = std::fs::read(dir.path().join(".grokform/state.json.backup")).unwrap();
    assert_eq!(backup, before);
    assert_eq!(theirs.load().await.unwrap().unwrap(), state);
    // and a stale save through the other store still reads the compacted file and refuses
    let err = ours.save(&mut sample()).await.unwrap_err();
    assert!(matches!(err, StateError::OtherLineage { .. }), "{err:?}");
}
