//! Remote state under a lock on the real emulator: saves between uploads go to the local
//! journal, the server gets them when the lock is released, and a failed final upload keeps
//! them locally and says so.

use std::time::Duration;

use grokform::address::{Address, Kind};
use grokform::state::{ResourceState, State, StateError, StateStore, decode, encode};

use crate::client::start;

const CONNECTOR: &str = "System:AppData";
const PATH: &str = "grokform/state.json";

fn entry(i: u64) -> ResourceState {
    ResourceState {
        kind: Kind::Table,
        remote_id: Some(format!("id-{i}")),
        inputs_hash: format!("h{i}"),
        attributes: Default::default(),
        applied_serial: i,
        status: Default::default(),
        observed: None,
    }
}

/// The serial of the state on the server.
async fn serial_on_server(client: &grokform::client::Client) -> u64 {
    let bytes = client
        .download_file(CONNECTOR, PATH)
        .await
        .unwrap()
        .unwrap();
    decode(&bytes, "server").unwrap().serial
}

#[tokio::test]
async fn saves_between_uploads_are_journaled_locally_and_uploaded_on_release() {
    let (_emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(".grokform/remote-state.json");
    let journal = dir.path().join(".grokform/remote-state.journal");
    let store = StateStore::remote(client.clone(), CONNECTOR, PATH).with_local_copy(copy.clone());
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let mut state = State::new();
    for i in 1..=3 {
        state
            .resources
            .insert(Address::table(&format!("t{i}")), entry(i));
        store.save(&mut state).await.unwrap();
    }
    assert_eq!(state.serial, 3);
    // The first save uploaded; the next two are in the local journal only.
    assert_eq!(serial_on_server(&client).await, 1);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 3, "a base line and two saves: {text}");
    let (loaded, recovery) = store.load_recovering().await.unwrap();
    assert_eq!(loaded.unwrap(), state);
    assert_eq!(recovery.unwrap().replayed, 2);

    lock.release().await.unwrap();
    let on_server = client
        .download_file(CONNECTOR, PATH)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on_server, encode(&state).as_bytes());
    assert_eq!(std::fs::read(&copy).unwrap(), on_server);
    assert!(!journal.exists());
    assert_eq!(
        client
            .download_file(CONNECTOR, "grokform/state.json.lock")
            .await
            .unwrap(),
        None,
        "the lock is gone"
    );
}

#[tokio::test]
async fn a_failed_final_upload_keeps_the_saves_in_the_local_journal() {
    let (emulator, client) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(".grokform/remote-state.json");
    let journal = dir.path().join(".grokform/remote-state.journal");
    let store = StateStore::remote(client.clone(), CONNECTOR, PATH).with_local_copy(copy);
    let lock = store.lock("apply", Duration::ZERO).await.unwrap();
    let mut state = State::new();
    for i in 1..=2 {
        state
            .resources
            .insert(Address::table(&format!("t{i}")), entry(i));
        store.save(&mut state).await.unwrap();
    }
    // Uploads of the state file are refused from now on.
    emulator.add_fault("POST /public/v1/files status=403".parse().unwrap());
    let err = lock.release().await.unwrap_err();
    assert!(matches!(err, StateError::NotUploaded { .. }), "{err:?}");
    assert!(
        err.to_string().contains("remote-state.journal"),
        "names the journal: {err}"
    );
    assert!(journal.exists());
    assert_eq!(serial_on_server(&client).await, 1);

    // The next run on this machine reads the saves back and uploads them.
    emulator.clear_faults();
    let next = StateStore::remote(client.clone(), CONNECTOR, PATH)
        .with_local_copy(dir.path().join(".grokform/remote-state.json"));
    let (loaded, recovery) = next.load_recovering().await.unwrap();
    assert_eq!(loaded.unwrap(), state);
    assert_eq!(recovery.unwrap().replayed, 1);
    next.lock("plan", Duration::ZERO)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    assert_eq!(serial_on_server(&client).await, 2);
    assert!(!journal.exists());
}
