//! Test builders: a small sales model built in memory and a miniature applier that records
//! plans into a state exactly as the real applier must (same attributes, same hashes).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::attributes::sha256_hex;
use super::{Action, Change, Observed, Plan, PlanOptions, desired_attributes, plan};
use crate::address::{Address, Kind};
use crate::model::{
    Access, Call, CsvSummary, Dashboard, File, Layout, Model, RunPolicy, Share, Source,
    StateBackend, Table, template,
};
use crate::state::{ResourceState, ResourceStatus, State};

pub(crate) const SERVER: &str = "https://dg.example.com/api";

pub(crate) fn options() -> PlanOptions {
    PlanOptions {
        server: SERVER.into(),
        environment: Some("staging".into()),
        targets: vec![],
        replace: vec![],
        capabilities: Default::default(),
    }
}

/// A model under construction.
pub(crate) struct Fixture {
    model: Model,
}

fn source(relative: &str, content: &str) -> Source {
    Source {
        relative: relative.into(),
        path: PathBuf::from("/project").join(relative),
        size: content.len() as u64,
        sha256: sha256_hex(content.as_bytes()),
    }
}

fn csv_summary(csv: &str) -> CsvSummary {
    let mut lines = csv.lines();
    let columns = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    CsvSummary {
        columns,
        rows: lines.count() as u64,
    }
}

pub(crate) const LAYOUT: &str = r##"{"#type":"ViewLayout","viewStateMap":{"grid":{"table":"${table.orders.id}","columns":["id","amount"]},"chart":{"type":"bar","x":"id","y":"amount"}}}"##;

impl Fixture {
    /// Two tables, a file, a dashboard with a layout and two shares, an on-change call.
    pub(crate) fn sales() -> Self {
        let mut model = Model {
            manifest_path: PathBuf::from("/project/grokform.yaml"),
            root: PathBuf::from("/project"),
            manifest_sha256: sha256_hex(b"version: 1"),
            environment: Some("staging".into()),
            server: Some(SERVER.into()),
            state: StateBackend::Local,
            files: BTreeMap::new(),
            tables: BTreeMap::new(),
            layouts: BTreeMap::new(),
            dashboards: BTreeMap::new(),
            shares: BTreeMap::new(),
            calls: BTreeMap::new(),
            adoption: Default::default(),
            lifecycle: Default::default(),
        };
        model.files.insert(
            "raw-sales".into(),
            File {
                key: "raw-sales".into(),
                connector: "System:AppData".into(),
                path: "Sales/raw/sales.csv".into(),
                source: source("data/sales.csv", "id,amount\n1,5\n"),
            },
        );
        let mut fixture = Fixture { model };
        fixture.table("orders", "JohnDoe:Sales:Orders", "id,amount\n1,5\n2,6\n");
        fixture.table("customers", "JohnDoe:Sales:Customers", "id,name\n1,Ann\n");
        fixture.layout(LAYOUT);
        fixture.model.dashboards.insert(
            "overview".into(),
            Dashboard {
                key: "overview".into(),
                name: "Sales Overview".into(),
                tables: vec!["orders".into(), "customers".into()],
                layout: Some("overview".into()),
                ignore_changes: vec![],
                prevent_destroy: false,
                on_replace: None,
            },
        );
        fixture.share("overview", "Analysts", Access::View);
        fixture.share("overview", "Managers", Access::Edit);
        let mut params = serde_json::Map::new();
        params.insert("table".into(), "${table.orders.id}".into());
        fixture.model.calls.insert(
            "refresh".into(),
            Call {
                key: "refresh".into(),
                function: "Demo:RefreshCaches".into(),
                params,
                run: RunPolicy::OnChange,
                idempotent: false,
                depends_on: vec![Address::table("orders")],
            },
        );
        fixture
    }

    pub(crate) fn model(&self) -> Model {
        self.model.clone()
    }

    pub(crate) fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    /// Adds or replaces `tables.<key>` with its own CSV at `data/<key>.csv`.
    pub(crate) fn table(&mut self, key: &str, name: &str, csv: &str) {
        self.model.tables.insert(
            key.into(),
            Table {
                key: key.into(),
                name: name.into(),
                source: source(&format!("data/{key}.csv"), csv),
                csv: csv_summary(csv),
                allow_column_removal: false,
                prevent_destroy: false,
            },
        );
    }

    /// New CSV content for an existing table.
    pub(crate) fn table_csv(&mut self, key: &str, csv: &str) {
        let name = self.model.tables[key].name.clone();
        self.table(key, &name, csv);
    }

    /// Sets the text of `layouts.overview`.
    pub(crate) fn layout(&mut self, text: &str) {
        let references = template::references(text)
            .into_iter()
            .map(|r| r.address)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        self.model.layouts.insert(
            "overview".into(),
            Layout {
                key: "overview".into(),
                source: source("layouts/overview.layout.json", text),
                text: text.into(),
                references,
            },
        );
    }

    /// Removes the layout from the manifest (and from the dashboard).
    pub(crate) fn drop_layout(&mut self) {
        self.model.layouts.clear();
        for dashboard in self.model.dashboards.values_mut() {
            dashboard.layout = None;
        }
    }

    pub(crate) fn share(&mut self, dashboard: &str, group: &str, access: Access) {
        self.model.shares.insert(
            (dashboard.into(), group.into()),
            Share {
                dashboard: dashboard.into(),
                group: group.into(),
                access,
            },
        );
    }

    pub(crate) fn remove_share(&mut self, dashboard: &str, group: &str) {
        self.model
            .shares
            .remove(&(dashboard.to_string(), group.to_string()));
    }
}

/// What the real applier must do, in miniature: plans `model` against `state` and records
/// every change as apply would, with deterministic fake IDs (`<kind>-<key>-<serial>`).
pub(crate) fn applied(model: &Model, state: &State) -> State {
    let plan = plan(model, state, &Observed::default(), &options()).unwrap();
    recorded(model, state, &plan)
}

/// `state` after the miniature applier recorded every change of `plan`.
pub(crate) fn recorded(model: &Model, state: &State, plan: &Plan) -> State {
    let mut state = state.clone();
    state.server = Some(plan.server.clone());
    for change in &plan.changes {
        if change.action == Action::NoOp {
            continue;
        }
        state.serial += 1;
        let address = &change.address;
        if matches!(change.action, Action::Delete | Action::Forget) {
            state.resources.remove(address);
            continue;
        }
        let remote_id = match address.kind {
            Kind::Table | Kind::Dashboard => Some(match change.action {
                Action::Create | Action::Replace => {
                    format!("{}-{}-{}", address.kind, address.key, state.serial)
                }
                _ => change
                    .remote_id
                    .clone()
                    .expect("an updated table has an ID"),
            }),
            _ => None,
        };
        let ids = |a: &Address| {
            if a == address {
                return remote_id.clone();
            }
            state.resources.get(a).and_then(|r| r.remote_id.clone())
        };
        let attributes = desired_attributes(model, address, &ids);
        state.resources.insert(
            address.clone(),
            ResourceState {
                kind: address.kind,
                remote_id: remote_id.clone(),
                inputs_hash: change.inputs_hash.clone(),
                attributes,
                applied_serial: state.serial,
                status: ResourceStatus::Applied,
                observed: None,
            },
        );
    }
    state
}

/// An empty state with a fixed lineage, so that snapshots are stable.
pub(crate) fn empty_state() -> State {
    State {
        lineage: "00000000-0000-4000-8000-000000000001".into(),
        ..State::new()
    }
}

/// The sales model applied once.
pub(crate) fn baseline() -> (Fixture, State) {
    let fixture = Fixture::sales();
    let state = applied(&fixture.model(), &empty_state());
    (fixture, state)
}

/// `action address` for every change, in plan order.
pub(crate) fn actions(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{} {}", c.action.as_str(), c.address))
        .collect()
}

/// The change for `address`; panics when the plan has none.
pub(crate) fn change<'p>(plan: &'p Plan, address: &str) -> &'p Change {
    plan.change(&address.parse().unwrap())
        .unwrap_or_else(|| panic!("no change for {address}"))
}
