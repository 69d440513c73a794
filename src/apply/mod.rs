//! Runs a plan against a server: every change in dependency order with bounded concurrency,
//! recording each success in the state (and saving it) before anything that depends on it
//! starts. The scheduling rules live in `executor` (generic, tested without a server); this
//! module maps plan changes to client calls and state records.
//!
//! Safety rules, in the order they matter:
//! - the state is saved after every successful action, so a failure or an interrupt loses
//!   nothing that was applied;
//! - a dashboard create (not idempotent: every POST makes a new dashboard) is recorded as
//!   `Uncertain` *before* it is sent, and only becomes `Applied` with the answer's ID; if no
//!   answer comes, the next plan shows the ambiguity instead of silently making a second one.

pub mod executor;
mod report;

pub use report::{
    ApplyReport, Completed, Event, Failure, Reporter, json_schema as report_json_schema,
};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, watch};

use crate::address::{Address, Kind};
use crate::client::{Client, ClientError, Progress};
use crate::model::{Model, template};
use crate::plan::{self, Action, Change, Plan};
use crate::state::{ResourceState, ResourceStatus, State, StateError, StateStore};

/// How to run an apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// At most this many requests in flight.
    pub parallelism: usize,
    /// Uncertain dashboard creates the user confirmed may be created again.
    pub confirm_uncertain: Vec<Address>,
}

/// Where changes go: the server and the state store that records them.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub client: &'a Client,
    pub store: &'a StateStore,
}

/// Why one change failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ApplyError {
    #[error("{address}: {source}")]
    Client {
        address: Address,
        #[source]
        #[diagnostic_source]
        source: ClientError,
    },
    #[error("{address}: the change was made but the state could not be saved: {source}")]
    State {
        address: Address,
        #[source]
        source: StateError,
    },
    #[error(
        "{address}: an earlier apply sent this dashboard's create request but got no answer, so the \
         server may already hold `{name}`"
    )]
    #[diagnostic(help(
        "look for `{name}` on the server; if it is there, delete it in Datagrok or keep it and \
         accept a second one: run `grokform apply --confirm-uncertain {address}` to create it again"
    ))]
    Uncertain { address: Address, name: String },
    #[error("{address}: {message}")]
    Refused { address: Address, message: String },
}

/// Runs the plan's non-NoOp changes. Returns what happened and the final state (already
/// saved after every action).
pub async fn apply(
    plan: &Plan,
    model: &Model,
    state: State,
    target: Target<'_>,
    options: &ApplyOptions,
    reporter: Arc<dyn Reporter>,
    stop: watch::Receiver<bool>,
) -> (ApplyReport, State) {
    let Target { client, store } = target;
    let changes: BTreeMap<Address, Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (c.address.clone(), c.clone()))
        .collect();
    let nodes: Vec<Address> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| c.address.clone())
        .collect();
    let deps: BTreeMap<Address, Vec<Address>> = changes
        .iter()
        .map(|(a, c)| (a.clone(), c.depends_on.clone()))
        .collect();
    let context = Arc::new(Context {
        model: model.clone(),
        client: client.clone(),
        store: store.clone(),
        state: Mutex::new(state),
        recorded: AtomicU64::new(0),
        saved: Mutex::new(0),
        changes,
        confirm_uncertain: options.confirm_uncertain.clone(),
        reporter: reporter.clone(),
        completed: std::sync::Mutex::new(Vec::new()),
    });
    let outcome = executor::execute(&nodes, &deps, options.parallelism, stop, |address| {
        let context = context.clone();
        async move {
            let change = context.changes[&address].clone();
            context.reporter.event(Event::Started {
                address: address.clone(),
                action: change.action,
            });
            let result = context.perform(&change).await;
            match &result {
                Ok(done) => {
                    context
                        .completed
                        .lock()
                        .expect("not poisoned")
                        .push(done.clone());
                    context.reporter.event(Event::Finished(done.clone()))
                }
                Err(error) => context.reporter.event(Event::Failed {
                    address: address.clone(),
                    message: error.to_string(),
                }),
            }
            result.map(|_| ())
        }
    })
    .await;
    let context = Arc::into_inner(context).expect("every task has finished");
    let completed = context.completed.into_inner().expect("not poisoned");
    let state = context.state.into_inner();
    (ApplyReport::from_outcome(plan, outcome, completed), state)
}

/// Everything a running change needs; shared by the executor's tasks.
struct Context {
    model: Model,
    client: Client,
    store: StateStore,
    state: Mutex<State>,
    /// How many records were made in `state`; bumped under the `state` lock.
    recorded: AtomicU64,
    /// How many of those the store holds. Its lock lets one save run at a time: records made
    /// while a save runs are written together by the next one (group commit), so concurrent
    /// actions share saves instead of each writing the whole state in turn.
    saved: Mutex<u64>,
    changes: BTreeMap<Address, Change>,
    confirm_uncertain: Vec<Address>,
    reporter: Arc<dyn Reporter>,
    /// Successful changes with what the server answered, in completion order.
    completed: std::sync::Mutex<Vec<Completed>>,
}

impl Context {
    async fn perform(&self, change: &Change) -> Result<Completed, ApplyError> {
        let address = &change.address;
        let remote_id = match (address.kind, change.action) {
            (_, Action::NoOp) => None,
            (_, Action::Forget) => {
                self.record(address, None).await?;
                None
            }
            (Kind::File, Action::Delete) => {
                let (connector, path) = recorded_file(change);
                self.delete_file(address, &connector, &path).await?;
                self.record(address, None).await?;
                None
            }
            (Kind::File, _) => {
                let file = &self.model.files[&address.key];
                let progress = self.progress(address, file.source.size);
                self.client
                    .upload_file(&file.connector, &file.path, &file.source.path, progress)
                    .await
                    .map_err(|e| client_error(address, e))?;
                if change.action == Action::Replace {
                    // Uploaded first, then the old copy deleted: never a moment with neither.
                    let (connector, path) = recorded_file(change);
                    if !(connector.eq_ignore_ascii_case(&file.connector) && path == file.path) {
                        self.delete_file(address, &connector, &path).await?;
                    }
                }
                self.record_applied(change, None).await?;
                None
            }
            (Kind::Table, _) => {
                let table = &self.model.tables[&address.key];
                let progress = self.progress(address, table.source.size);
                let info = self
                    .client
                    .upload_table(&table.name, &table.source.path, progress)
                    .await
                    .map_err(|e| client_error(address, e))?;
                let previous = self.remote_id(address).await;
                if change.action == Action::Update
                    && previous.as_deref().is_some_and(|p| p != info.id)
                {
                    self.reporter.event(Event::Warning(format!(
                        "{address}: the server answered the re-upload with a new ID ({} instead of {}); dashboards \
                         showing the old table will be replaced by the next plan",
                        info.id,
                        previous.unwrap_or_default()
                    )));
                }
                self.record_applied(change, Some(info.id.clone())).await?;
                Some(info.id)
            }
            (Kind::Dashboard, _) => Some(self.create_dashboard(change).await?),
            (Kind::Share, _) => {
                let share = self
                    .model
                    .shares
                    .iter()
                    .find(|((d, g), _)| Address::share(d, g) == *address)
                    .map(|(_, s)| s.clone())
                    .ok_or_else(|| refused(address, "the share is no longer in the manifest"))?;
                let dashboard = Address::dashboard(&share.dashboard);
                let id = self.remote_id(&dashboard).await.ok_or_else(|| {
                    refused(address, &format!("{dashboard} has no ID in the state"))
                })?;
                let outcome = self
                    .client
                    .share(&id, std::slice::from_ref(&share.group), share.access)
                    .await
                    .map_err(|e| client_error(address, e))?;
                if outcome
                    .failed
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(&share.group))
                    || outcome.status == "failed"
                {
                    return Err(refused(
                        address,
                        &format!(
                            "the server could not share `{}` with `{}` (is the group or user name right?)",
                            self.model.dashboards[&share.dashboard].name, share.group
                        ),
                    ));
                }
                self.record_applied(change, None).await?;
                None
            }
            (Kind::Call, _) => {
                let call = &self.model.calls[&address.key];
                let params = self.fill_params(address, &call.params).await?;
                let result = self
                    .client
                    .call_function(&call.function, &params)
                    .await
                    .map_err(|e| client_error(address, e))?;
                self.record_applied(change, None).await?;
                let _ = result;
                None
            }
        };
        Ok(Completed {
            address: address.clone(),
            action: change.action,
            remote_id,
        })
    }

    /// Creates (or re-creates) a dashboard, marking it uncertain in the saved state while the
    /// request is out, so an interrupted create is never silently duplicated.
    async fn create_dashboard(&self, change: &Change) -> Result<String, ApplyError> {
        let address = &change.address;
        let dashboard = &self.model.dashboards[&address.key];
        if change.uncertain && !self.confirm_uncertain.contains(address) {
            return Err(ApplyError::Uncertain {
                address: address.clone(),
                name: dashboard.name.to_string(),
            });
        }
        let mut table_ids = Vec::with_capacity(dashboard.tables.len());
        for table in &dashboard.tables {
            let table = Address::table(table);
            let id = self
                .remote_id(&table)
                .await
                .ok_or_else(|| refused(address, &format!("{table} has no ID in the state")))?;
            table_ids.push(id);
        }
        let layout = match &dashboard.layout {
            Some(key) => {
                let layout = &self.model.layouts[key];
                Some(self.fill(address, &layout.text).await?)
            }
            None => None,
        };

        let previous = self.state.lock().await.resources.get(address).cloned();
        let mut pending = previous.clone().unwrap_or_else(|| ResourceState {
            kind: Kind::Dashboard,
            remote_id: None,
            inputs_hash: String::new(),
            attributes: BTreeMap::new(),
            applied_serial: 0,
            status: ResourceStatus::Uncertain,
        });
        pending.status = ResourceStatus::Uncertain;
        pending
            .attributes
            .insert("name".into(), dashboard.name.as_str().into());
        self.record(address, Some(pending)).await?;

        match self
            .client
            .create_dashboard(&dashboard.name, &table_ids, layout.as_deref())
            .await
        {
            Ok(info) => {
                self.record_applied(change, Some(info.id.clone())).await?;
                Ok(info.id)
            }
            Err(error) => {
                if !error.may_have_committed() {
                    // Nothing reached the server: put back what was there before.
                    self.record(address, previous).await?;
                }
                Err(client_error(address, error))
            }
        }
    }

    /// Fills `${table.X.id}` / `${dashboard.X.id}` from the state; a missing ID is an error.
    async fn fill(&self, address: &Address, text: &str) -> Result<String, ApplyError> {
        let state = self.state.lock().await;
        let mut missing = None;
        let filled = template::substitute(text, |a| {
            let id = state.resources.get(a).and_then(|r| r.remote_id.clone());
            if id.is_none() {
                missing.get_or_insert_with(|| a.clone());
            }
            id
        });
        match missing {
            Some(a) => Err(refused(
                address,
                &format!("`${{{a}.id}}` has no ID in the state"),
            )),
            None => Ok(filled),
        }
    }

    async fn fill_params(
        &self,
        address: &Address,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ApplyError> {
        let text = serde_json::to_string(params).expect("JSON values serialise");
        let filled = self.fill(address, &text).await?;
        serde_json::from_str(&filled)
            .map_err(|e| refused(address, &format!("the filled params are not JSON: {e}")))
    }

    async fn remote_id(&self, address: &Address) -> Option<String> {
        let state = self.state.lock().await;
        state
            .resources
            .get(address)
            .filter(|r| r.status.is_applied())
            .and_then(|r| r.remote_id.clone())
    }

    /// Records a successful change: the attributes the planner will compare against next time.
    async fn record_applied(
        &self,
        change: &Change,
        remote_id: Option<String>,
    ) -> Result<(), ApplyError> {
        let address = &change.address;
        let mut state = self.state.lock().await;
        let ids = |a: &Address| {
            if a == address {
                return remote_id.clone();
            }
            state.resources.get(a).and_then(|r| r.remote_id.clone())
        };
        let attributes = plan::desired_attributes(&self.model, address, &ids);
        let entry = ResourceState {
            kind: address.kind,
            remote_id: remote_id.clone(),
            inputs_hash: change.inputs_hash.clone(),
            attributes,
            applied_serial: state.serial + 1,
            status: ResourceStatus::Applied,
        };
        state.resources.insert(address.clone(), entry);
        let record = self.recorded.fetch_add(1, Ordering::SeqCst) + 1;
        drop(state);
        self.persist(address, record).await
    }

    /// Sets (or, with `None`, removes) one entry and saves.
    async fn record(
        &self,
        address: &Address,
        entry: Option<ResourceState>,
    ) -> Result<(), ApplyError> {
        let mut state = self.state.lock().await;
        match entry {
            Some(mut entry) => {
                entry.applied_serial = state.serial + 1;
                state.resources.insert(address.clone(), entry);
            }
            None => {
                state.resources.remove(address);
            }
        }
        let record = self.recorded.fetch_add(1, Ordering::SeqCst) + 1;
        drop(state);
        self.persist(address, record).await
    }

    /// Returns once the store holds `record` (and every record before it): at once when a
    /// save that began after it was made has finished, else by saving the state now. No
    /// action counts as done before its record is saved, so every successful action is in
    /// the saved state before anything that depends on it starts.
    async fn persist(&self, address: &Address, record: u64) -> Result<(), ApplyError> {
        let mut saved = self.saved.lock().await;
        if *saved >= record {
            return Ok(());
        }
        let mut state = self.state.lock().await;
        // read under the state lock: exactly the records this save writes
        let covers = self.recorded.load(Ordering::SeqCst);
        self.store
            .save(&mut state)
            .await
            .map_err(|source| ApplyError::State {
                address: address.clone(),
                source,
            })?;
        *saved = covers;
        Ok(())
    }

    async fn delete_file(
        &self,
        address: &Address,
        connector: &str,
        path: &str,
    ) -> Result<(), ApplyError> {
        self.client
            .delete_file(connector, path)
            .await
            .map_err(|e| client_error(address, e))
    }

    fn progress(&self, address: &Address, total: u64) -> Progress {
        self.reporter.event(Event::Upload {
            address: address.clone(),
            total,
        });
        let reporter = self.reporter.clone();
        let address = address.clone();
        Some(Arc::new(move |sent| {
            reporter.event(Event::Progress {
                address: address.clone(),
                sent,
            })
        }))
    }
}

/// The connector and path a file change's state entry recorded.
fn recorded_file(change: &Change) -> (String, String) {
    let attribute = |key: &str| {
        change
            .before
            .as_ref()
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    (attribute("connector"), attribute("path"))
}

fn client_error(address: &Address, source: ClientError) -> ApplyError {
    ApplyError::Client {
        address: address.clone(),
        source,
    }
}

fn refused(address: &Address, message: &str) -> ApplyError {
    ApplyError::Refused {
        address: address.clone(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;
    use crate::client::{ApiKey, ClientOptions};
    use crate::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig};
    use crate::plan::PlanOptions;

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
            let text = std::fs::read_to_string(&self.path).unwrap_or_default();
            let state: Option<State> = serde_json::from_str(&text).ok();
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
            manifest +=
                &format!("  t{i}:\n    name: Admin:Bench:T{i}\n    source: data/t{i}.csv\n");
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
            &PlanOptions {
                server: emulator.url(),
                environment: None,
                targets: vec![],
            },
        );
        let reporter = Arc::new(DiskCheck {
            path: dir.path().join(".grokform/state.json"),
            violations: StdMutex::default(),
            checked: StdMutex::default(),
        });
        let (report, state) = apply(
            &plan,
            &model,
            state,
            Target {
                client: &client,
                store: &store,
            },
            &ApplyOptions {
                parallelism: 8,
                confirm_uncertain: vec![],
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
}
