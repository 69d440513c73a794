//! The applier against the real emulator.

use std::sync::Mutex as StdMutex;

use super::*;
use crate::address::Kind;
use crate::client::{ApiKey, ClientOptions};
use crate::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig};
use crate::plan::{self, PlanOptions};

/// Checks, whenever a dashboard or share starts, that what it depends on is already in
/// the state on disk (not only in memory).
struct DiskCheck {
    path: std::path::PathBuf,
    violations: StdMutex<Vec<String>>,
    checked: StdMutex<usize>,
}

impl Reporter for DiskCheck {
    fn event(&self, event: Event) {
        let Event::Started { address, .. } = event else {
            return;
        };
        let needs = match address.kind {
            Kind::Dashboard => Address::table(&address.key.replace('d', "t")),
            Kind::Share => Address::dashboard(address.key.split('.').next().unwrap()),
            _ => return,
        };
        // the snapshot with its journal, as the next run would read them
        let root = self.path.ancestors().nth(2).unwrap();
        let state = crate::state::LocalStore::new(root, None)
            .load()
            .ok()
            .flatten();
        let saved = state
            .as_ref()
            .and_then(|s| s.resources.get(&needs))
            .is_some_and(|r| r.status.is_applied());
        if !saved {
            self.violations
                .lock()
                .unwrap()
                .push(format!("{address} started before {needs} was saved"));
        }
        *self.checked.lock().unwrap() += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_actions_share_saves_but_each_is_saved_before_its_dependents_start() {
    let dir = tempfile::tempdir().unwrap();
    let n = 12;
    let mut manifest = String::from("version: 1\ntables:\n");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    for i in 0..n {
        std::fs::write(dir.path().join(format!("data/t{i}.csv")), "id,v\n1,2\n").unwrap();
        manifest += &format!("  t{i}:\n    name: Admin:Bench:T{i}\n    source: data/t{i}.csv\n");
    }
    manifest += "dashboards:\n";
    for i in 0..n {
        manifest += &format!("  d{i}:\n    name: Dash {i}\n    tables: [t{i}]\n");
    }
    manifest += "shares:\n";
    for i in 0..n {
        manifest += &format!("  - dashboard: d{i}\n    groups: [Analysts, Managers]\n");
    }
    std::fs::write(dir.path().join("grokform.yaml"), manifest).unwrap();
    let model = Model::load(&dir.path().join("grokform.yaml"), None)
        .unwrap()
        .model;

    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let key = ApiKey::new(DEFAULT_API_KEY.to_owned()).unwrap();
    let client = Client::new(&emulator.url(), key, ClientOptions::default()).unwrap();
    let store = StateStore::local(dir.path(), None);
    let state = State::new();
    let plan = plan::plan(
        &model,
        &state,
        &plan::Observed::default(),
        &PlanOptions {
            server: emulator.url(),
            environment: None,
            targets: vec![],
            replace: vec![],
            capabilities: Default::default(),
        },
    )
    .unwrap();
    let reporter = Arc::new(DiskCheck {
        path: dir.path().join(".grokform/state.json"),
        violations: StdMutex::default(),
        checked: StdMutex::default(),
    });
    let (report, state) = apply(
        plan,
        &model,
        state,
        Target {
            client: &client,
            store: &store,
        },
        &ApplyOptions {
            parallelism: 8,
            confirm_uncertain: vec![],
            accept_uncertain: vec![],
        },
        reporter.clone(),
        watch::channel(false).1,
    )
    .await;

    assert!(report.is_success(), "{report:?}");
    // tables, dashboards (uncertain, then applied) and shares: one record each
    let records = 5 * n as u64;
    assert_eq!(report.succeeded.len(), 4 * n);
    assert!(state.serial <= records, "serial {}", state.serial);
    assert_eq!(store.load().await.unwrap().unwrap(), state);
    assert_eq!(*reporter.checked.lock().unwrap(), 3 * n);
    assert_eq!(*reporter.violations.lock().unwrap(), Vec::<String>::new());
}
