//! State stores on a real file system and on the real emulator, and `grokform force-unlock`
//! run as a separate process.

use std::time::Duration;

use grokform::client::Client;
use grokform::emulator::DEFAULT_API_KEY;
use grokform::state::{LockInfo, State, StateError, StateStore, encode};

use crate::support::{ChildGuard, client_for, grokform, start_with_client as start, wait_until};

const CONNECTOR: &str = "System:AppData";
const PATH: &str = "grokform/state.json";

fn remote(client: &Client, copy: Option<&std::path::Path>) -> StateStore {
    let store = StateStore::remote(client.clone(), CONNECTOR, PATH);
    match copy {
        Some(file) => store.with_local_copy(file.to_path_buf()),
        None => store,
    }
}

#[tokio::test]
async fn remote_state_round_trips_through_the_files_api() {
    let (_emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(".grokform/remote-state.json");
    let store = remote(&client, Some(&copy));
    assert_eq!(
        store.describe(),
        "System:AppData/grokform/state.json on the server"
    );
    assert_eq!(store.load().await.unwrap(), None);
    let mut state = State::new();
    state.server = Some(client.base_url().to_string());
    store.save(&mut state).await.unwrap();
    store.save(&mut state).await.unwrap();
    assert_eq!(state.serial, 2);
    assert_eq!(store.load().await.unwrap().unwrap(), state);
    let on_server = client
        .download_file(CONNECTOR, PATH)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on_server, encode(&state).as_bytes());
    assert!(!String::from_utf8_lossy(&on_server).contains(DEFAULT_API_KEY));
    assert_eq!(std::fs::read(&copy).unwrap(), on_server);
}

#[tokio::test]
async fn a_remote_save_refuses_to_overwrite_a_newer_state() {
    let (_emulator, client) = start().await;
    let store = remote(&client, None);
    let mut ours = State::new();
    store.save(&mut ours).await.unwrap();
    let mut theirs = store.load().await.unwrap().unwrap();
    store.save(&mut theirs).await.unwrap();
    let err = store.save(&mut ours).await.unwrap_err();
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
    assert_eq!(ours.serial, 1, "a refused save changes nothing");
    let mut stranger = State::new();
    let err = store.save(&mut stranger).await.unwrap_err();
    assert!(matches!(err, StateError::OtherLineage { .. }), "{err:?}");
    assert_eq!(store.load().await.unwrap().unwrap(), theirs);
}

#[tokio::test]
async fn a_held_remote_lock_blocks_others_until_released() {
    let (emulator, client) = start().await;
    let other_client = client_for(&emulator.url(), DEFAULT_API_KEY);
    let ours = remote(&client, None);
    let theirs = remote(&other_client, None);
    let lock = ours.lock("apply", Duration::ZERO).await.unwrap();
    let err = theirs.lock("plan", Duration::ZERO).await.unwrap_err();
    match &err {
        StateError::Locked { holder, location } => {
            assert_eq!(holder.operation, "apply");
            assert_eq!(holder.pid, std::process::id());
            assert!(location.ends_with("on the server"));
        }
        other => panic!("{other:?}"),
    }
    lock.release().await.unwrap();
    assert_eq!(
        client
            .download_file(CONNECTOR, "grokform/state.json.lock")
            .await
            .unwrap(),
        None,
        "release deletes the lock object"
    );
    theirs
        .lock("plan", Duration::ZERO)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

#[tokio::test]
async fn force_unlock_of_remote_state_makes_the_holder_stop_writing() {
    let (_emulator, client) = start().await;
    let ours = remote(&client, None);
    let lock = ours.lock("apply", Duration::ZERO).await.unwrap();
    let mut state = State::new();
    ours.save(&mut state).await.unwrap();

    let rescuer = remote(&client, None);
    let holder = rescuer.force_unlock().await.unwrap().unwrap();
    assert_eq!(&holder, lock.info());
    assert_eq!(rescuer.force_unlock().await.unwrap(), None);
    let err = ours.save(&mut state).await.unwrap_err();
    assert!(matches!(err, StateError::LockLost { .. }), "{err:?}");
    drop(lock);
}

fn write_manifest(dir: &std::path::Path, extra: &str) {
    std::fs::write(dir.join("grokform.yaml"), format!("version: 1\n{extra}")).unwrap();
}

#[test]
fn a_local_lock_held_by_another_process_is_reported_and_can_be_forced() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), "");
    let folder = dir.path().join(".grokform");
    std::fs::create_dir_all(&folder).unwrap();
    let lock_path = folder.join("state.lock");
    let holder = LockInfo {
        id: "n".into(),
        who: "ci".into(),
        pid: 4242,
        host: "runner-7".into(),
        operation: "apply".into(),
        started: "2026-01-01T00:00:00Z".into(),
    };
    std::fs::write(&lock_path, holder.to_json()).unwrap();
    // Another process holds the OS lock (flock(1) uses the same flock(2) as grokform). It
    // leads its own process group, so the guard ends its `sleep` too, however the test ends.
    use std::os::unix::process::CommandExt;
    let child = ChildGuard::group_leader(
        std::process::Command::new("flock")
            .arg(&lock_path)
            .args(["sleep", "60"])
            .process_group(0)
            .spawn()
            .expect("flock(1) from util-linux is installed"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = StateStore::local(dir.path(), None);
    let mut seen = None;
    wait_until("the other process's lock is seen", || {
        match runtime.block_on(store.lock("plan", Duration::ZERO)) {
            Err(StateError::Locked { holder, .. }) => {
                seen = Some(holder);
                true
            }
            // flock(1) has not taken it yet: let go, and put the holder's name back.
            Ok(lock) => {
                drop(lock);
                std::fs::write(&lock_path, holder.to_json()).unwrap();
                false
            }
            Err(other) => panic!("{other:?}"),
        }
    });
    let found = seen.expect("a holder");
    assert_eq!(*found, holder);
    assert_eq!(
        StateError::Locked {
            location: ".grokform/state.json".into(),
            holder: found,
        }
        .to_string(),
        "the state `.grokform/state.json` is locked by ci (pid 4242 on runner-7) running `apply` since 2026-01-01T00:00:00Z"
    );

    let run = grokform(["force-unlock"]).current_dir(dir.path()).run();
    run.code(0);
    assert_eq!(
        run.stdout,
        "Removed the lock on `.grokform/state.json` held by ci (pid 4242 on runner-7) running `apply` since 2026-01-01T00:00:00Z.\n\
         If that process is still running, stop it: it no longer holds the lock.\n"
    );
    runtime
        .block_on(store.lock("plan", Duration::ZERO))
        .expect("the lock can be taken after force-unlock");
    // Ends flock(1) and its `sleep`.
    drop(child);

    let run = grokform(["force-unlock"]).current_dir(dir.path()).run();
    run.code(0);
    assert_eq!(
        run.stdout,
        "`.grokform/state.json` is not locked; nothing to do.\n"
    );
}

#[test]
fn force_unlock_uses_the_environment_folder_and_needs_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let run = grokform(["force-unlock"]).current_dir(dir.path()).run();
    run.code(1);
    assert!(
        run.stderr.contains("cannot read the manifest"),
        "{}",
        run.stderr
    );
    write_manifest(dir.path(), "environments:\n  staging: {}\n");
    let run = grokform(["force-unlock", "--env", "staging"])
        .current_dir(dir.path())
        .run();
    run.code(0);
    assert_eq!(
        run.stdout,
        "`.grokform/staging/state.json` is not locked; nothing to do.\n"
    );
}

#[tokio::test]
async fn force_unlock_removes_a_remote_lock() {
    let (emulator, client) = start().await;
    let lock = remote(&client, None)
        .lock("apply", Duration::ZERO)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_manifest(
        dir.path(),
        "state: { backend: datagrok, connector: \"System:AppData\", path: grokform/state.json }\n",
    );
    let url = emulator.url();
    let path = dir.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        grokform(["force-unlock"])
            .current_dir(&path)
            .env("DATAGROK_URL", &url)
            .env("DATAGROK_API_KEY", DEFAULT_API_KEY)
            .run()
    })
    .await
    .unwrap();
    run.code(0);
    assert!(
        run.stdout.starts_with(
            "Removed the lock on `System:AppData/grokform/state.json on the server` held by"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(DEFAULT_API_KEY));
    assert_eq!(
        client
            .download_file(CONNECTOR, "grokform/state.json.lock")
            .await
            .unwrap(),
        None
    );
    drop(lock);
}

fn render(error: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, error)
        .unwrap();
    out
}

#[test]
fn a_corrupt_state_error_points_at_the_broken_line() {
    let text = b"{\n  \"format_version\": 1,\n<<<<<<< HEAD\n  \"serial\": 3\n}\n";
    let err = grokform::state::decode(text, ".grokform/state.json").unwrap_err();
    insta::assert_snapshot!(render(&err));
}

#[test]
fn a_locked_state_error_names_the_holder_and_the_way_out() {
    let err = StateError::Locked {
        location: ".grokform/state.json".into(),
        holder: Box::new(LockInfo {
            id: "n".into(),
            who: "jane".into(),
            pid: 4242,
            host: "ci-runner-7".into(),
            operation: "apply".into(),
            started: "2026-01-01T10:00:00Z".into(),
        }),
    };
    insta::assert_snapshot!(render(&err));
}
