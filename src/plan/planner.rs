//! `plan()`: the decisions, kind by kind, as DESIGN.md and `datagrok-api.md` dictate them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use similar::TextDiff;

use super::attributes::{desired_attributes, inputs, inputs_hash};
use super::{Action, Change, CsvChange, FORMAT_VERSION, Plan, PlanOptions, StateRef, UNKNOWN};
use crate::address::{Address, Kind};
use crate::graph;
use crate::model::{Model, RunPolicy};
use crate::server_url::ServerUrl;
use crate::state::{ResourceState, ResourceStatus, State};

type Attributes = BTreeMap<String, Value>;

/// Plans `model` against `state` for `options.server`. Pure: no clock, env, fs or network.
pub fn plan(model: &Model, state: &State, options: &PlanOptions) -> Plan {
    let mut deps = model.dependencies();
    for address in state.resources.keys() {
        deps.entry(address.clone()).or_default();
    }
    // `Model::resolve` refuses cycles, so this only falls back (to address order) for models
    // built by hand; the applier then reports the stuck nodes as skipped.
    let order = graph::order(&deps).unwrap_or_else(|_| deps.keys().cloned().collect());

    let mut planned: BTreeMap<Address, Change> = BTreeMap::new();
    for address in &order {
        let change = if model_has(model, address) {
            let ids = |a: &Address| known_id(a, state, &planned);
            let after = desired_attributes(model, address, &ids);
            Planner {
                model,
                planned: &planned,
                address,
                depends_on: &deps[address],
                recorded: state.resources.get(address),
                after,
            }
            .plan()
        } else {
            removed(address, &state.resources[address])
        };
        planned.insert(address.clone(), change);
    }

    let mut warnings = BTreeSet::new();
    if let Some(recorded) = &state.server
        && !ServerUrl::same(recorded, &options.server)
    {
        warnings.insert(format!(
            "the state was applied to `{}` but this plan targets `{}`: every resource would be created again there",
            ServerUrl::canonical(recorded),
            ServerUrl::canonical(&options.server)
        ));
    }

    let keep = targeted(&options.targets, &deps, &mut warnings);
    let mut changes = Vec::with_capacity(order.len());
    let mut left_out = 0;
    for address in &order {
        let change = planned.remove(address).expect("every address is planned");
        match &keep {
            Some(keep) if !keep.contains(address) => {
                if change.action != Action::NoOp {
                    left_out += 1;
                }
            }
            _ => changes.push(change),
        }
    }
    if keep.is_some() {
        warnings.insert(format!(
            "this plan is partial: only the `--target` addresses and what they depend on are planned; {left_out} pending change{} outside them {} not included",
            plural(left_out),
            if left_out == 1 { "is" } else { "are" }
        ));
    }
    for change in &changes {
        warnings.extend(change.warnings.iter().cloned());
    }

    Plan {
        format_version: FORMAT_VERSION,
        environment: options.environment.clone(),
        server: ServerUrl::canonical(&options.server),
        state: StateRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        },
        inputs: inputs(model),
        targets: options.targets.clone(),
        changes,
        warnings: warnings.into_iter().collect(),
    }
}

/// The addresses to keep for `--target`: the targets and, transitively, what they depend on.
/// `None` when there are no targets.
fn targeted(
    targets: &[Address],
    deps: &BTreeMap<Address, Vec<Address>>,
    warnings: &mut BTreeSet<String>,
) -> Option<BTreeSet<Address>> {
    if targets.is_empty() {
        return None;
    }
    let mut keep = BTreeSet::new();
    let mut todo: Vec<&Address> = Vec::new();
    for target in targets {
        if deps.contains_key(target) {
            todo.push(target);
        } else {
            warnings.insert(format!(
                "`--target {target}` matches no resource in the manifest or the state"
            ));
        }
    }
    while let Some(address) = todo.pop() {
        if keep.insert(address.clone()) {
            todo.extend(deps.get(address).into_iter().flatten());
        }
    }
    Some(keep)
}

/// The remote ID `address` will have when what depends on it is applied: the state's, unless
/// this plan creates or replaces it.
fn known_id(
    address: &Address,
    state: &State,
    planned: &BTreeMap<Address, Change>,
) -> Option<String> {
    if planned.get(address).is_some_and(|c| c.action.changes_id()) {
        return None;
    }
    state
        .resources
        .get(address)
        .filter(|r| r.status.is_applied())
        .and_then(|r| r.remote_id.clone())
}

fn model_has(model: &Model, address: &Address) -> bool {
    match address.kind {
        Kind::File => model.files.contains_key(&address.key),
        Kind::Table => model.tables.contains_key(&address.key),
        Kind::Dashboard => model.dashboards.contains_key(&address.key),
        Kind::Share => address
            .key
            .split_once('.')
            .is_some_and(|(d, g)| model.shares.contains_key(&(d.to_string(), g.to_string()))),
        Kind::Call => model.calls.contains_key(&address.key),
    }
}

/// One address of the model, planned against its state entry.
struct Planner<'a> {
    model: &'a Model,
    planned: &'a BTreeMap<Address, Change>,
    address: &'a Address,
    depends_on: &'a [Address],
    recorded: Option<&'a ResourceState>,
    after: Attributes,
}

impl Planner<'_> {
    fn plan(self) -> Change {
        let mut change = Change {
            address: self.address.clone(),
            action: Action::NoOp,
            reasons: vec![],
            depends_on: self.depends_on.to_vec(),
            remote_id: self.recorded.and_then(|r| r.remote_id.clone()),
            before: self.recorded.map(|r| r.attributes.clone()),
            after: None,
            layout_diff: None,
            csv: None,
            warnings: vec![],
            uncertain: false,
            inputs_hash: inputs_hash(self.model, self.address).unwrap_or_default(),
        };
        match self.recorded {
            None => {
                change.action = if self.address.kind == Kind::Call {
                    Action::Run
                } else {
                    Action::Create
                };
                change.reasons.push(match self.address.kind {
                    Kind::Call => "never run".to_string(),
                    _ => "new".to_string(),
                });
            }
            Some(recorded) if recorded.status == ResourceStatus::Uncertain => {
                change.action = Action::Create;
                change.uncertain = true;
                change
                    .reasons
                    .push("a previous apply was interrupted while creating it".into());
                let name = self
                    .after
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                change.warnings.push(format!(
                    "{}: a previous apply was interrupted while creating it, so the server may already hold a {} named `{name}`; check Datagrok and resolve it in the state before applying (apply refuses until then)",
                    self.address, self.address.kind
                ));
            }
            Some(recorded) => match self.address.kind {
                Kind::File => self.file(recorded, &mut change),
                Kind::Table => self.table(recorded, &mut change),
                Kind::Dashboard => self.dashboard(recorded, &mut change),
                Kind::Share => self.share(recorded, &mut change),
                Kind::Call => self.call(recorded, &mut change),
            },
        }
        if self.address.kind == Kind::Table {
            change.csv = Some(self.csv(change.before.as_ref()));
        }
        if self.address.kind == Kind::Dashboard && change.action == Action::Replace {
            change.layout_diff = layout_diff(change.before.as_ref(), &self.after);
        }
        change.after = Some(self.after);
        change
    }

    /// Whether the desired attribute differs from the recorded one.
    fn differs(&self, recorded: &ResourceState, key: &str) -> bool {
        recorded.attributes.get(key) != self.after.get(key)
    }

    fn hash_moved(&self, recorded: &ResourceState, change: &Change) -> bool {
        recorded.inputs_hash != change.inputs_hash
    }

    fn file(&self, recorded: &ResourceState, change: &mut Change) {
        if self.differs(recorded, "connector") || self.differs(recorded, "path") {
            change.action = Action::Replace;
            let old = remote_path(&recorded.attributes);
            change.reasons.push(format!(
                "remote path changed: `{old}` → `{}`; the new file is uploaded, then the old one deleted",
                remote_path(&self.after)
            ));
        } else if self.differs(recorded, "sha256") {
            change.action = Action::Update;
            change.reasons.push("content changed".into());
        } else if self.hash_moved(recorded, change) {
            change.action = Action::Update;
            change.reasons.push("recorded inputs differ".into());
        }
    }

    fn table(&self, recorded: &ResourceState, change: &mut Change) {
        if self.differs(recorded, "name") {
            change.action = Action::Replace;
            let old = string(&recorded.attributes, "name");
            change.reasons.push(format!(
                "name changed: `{old}` → `{}`",
                string(&self.after, "name")
            ));
            change.warnings.push(format!(
                "{}: the table `{old}` stays on the server under its old name (the public API cannot delete tables); a new table is uploaded and dashboards showing it are replaced",
                self.address
            ));
        } else if self.differs(recorded, "sha256") {
            change.action = Action::Update;
            change.reasons.push("data changed".into());
        } else if self.hash_moved(recorded, change) {
            change.action = Action::Update;
            change.reasons.push("recorded inputs differ".into());
        }
    }

    fn dashboard(&self, recorded: &ResourceState, change: &mut Change) {
        let mut reasons = std::mem::take(&mut change.reasons);
        if self.differs(recorded, "name") {
            reasons.push(format!(
                "name changed: `{}` → `{}`",
                string(&recorded.attributes, "name"),
                string(&self.after, "name")
            ));
        }
        if self.differs(recorded, "tables") {
            reasons.push("tables changed".into());
        }
        if self.differs(recorded, "layout") || self.differs(recorded, "layout_sha256") {
            reasons.push("layout changed".into());
        }
        let mut dependency_moved = false;
        for dep in self.depends_on {
            if let Some(c) = self.planned.get(dep).filter(|c| c.action.changes_id()) {
                dependency_moved = true;
                reasons.push(format!("{dep} is {}, so its ID changes", c.action.past()));
            }
        }
        if !dependency_moved {
            if self.differs(recorded, "table_ids") {
                reasons.push("the IDs of its tables changed on the server".into());
            } else if reasons.is_empty() && self.differs(recorded, "layout_text") {
                reasons.push("IDs its layout references changed".into());
            }
        }
        if reasons.is_empty() && recorded.inputs_hash != change.inputs_hash {
            reasons.push("recorded inputs differ".into());
        }
        change.reasons = reasons;
        if change.reasons.is_empty() {
            return;
        }
        change.action = Action::Replace;
        let shares = self
            .model
            .shares
            .keys()
            .filter(|(d, _)| *d == self.address.key)
            .count();
        let old_url = match &recorded.remote_id {
            Some(id) => format!("`/p/{id}`"),
            None => "the old one".into(),
        };
        change.warnings.push(format!(
            "{}: there is no public update, so a new dashboard is created and its URL changes; {old_url} stays on the server (the public API cannot delete dashboards){}",
            self.address,
            match shares {
                0 => String::new(),
                n => format!("; its {n} share{} {} applied again to the new one", plural(n), if n == 1 { "is" } else { "are" }),
            }
        ));
    }

    fn share(&self, recorded: &ResourceState, change: &mut Change) {
        let dashboard = Address::dashboard(&string(&self.after, "dashboard"));
        if let Some(c) = self
            .planned
            .get(&dashboard)
            .filter(|c| c.action.changes_id())
        {
            change.action = Action::Create;
            change.reasons.push(format!(
                "{dashboard} is {}: shared again on the new dashboard",
                if c.action == Action::Replace {
                    "replaced"
                } else {
                    "created anew"
                }
            ));
            return;
        }
        if self.differs(recorded, "dashboard_id") {
            change.action = Action::Create;
            change
                .reasons
                .push(format!("the ID of {dashboard} changed: shared again"));
            return;
        }
        if self.differs(recorded, "access") {
            change.action = Action::Update;
            let old = string(&recorded.attributes, "access");
            let new = string(&self.after, "access");
            change
                .reasons
                .push(format!("access changed: {old} → {new}"));
            if old == "Edit" && new == "View" {
                change.warnings.push(format!(
                    "{}: `{}` keeps Edit access: the public API cannot revoke or downgrade a grant; remove it in Datagrok",
                    self.address,
                    string(&self.after, "group")
                ));
            }
        } else if self.hash_moved(recorded, change) {
            change.action = Action::Update;
            change.reasons.push("recorded inputs differ".into());
        }
    }

    fn call(&self, recorded: &ResourceState, change: &mut Change) {
        let call = &self.model.calls[&self.address.key];
        if call.run == RunPolicy::Always {
            change.action = Action::Run;
            change.reasons.push("run: always".into());
            return;
        }
        if self.differs(recorded, "function") {
            change.reasons.push(format!(
                "function changed: `{}` → `{}`",
                string(&recorded.attributes, "function"),
                string(&self.after, "function")
            ));
        }
        let params_known = !contains_unknown(self.after.get("params"));
        if self.hash_moved(recorded, change) && !self.differs(recorded, "function")
            || params_known && self.differs(recorded, "params")
        {
            change.reasons.push("params changed".into());
        }
        for dep in self.depends_on {
            if let Some(c) = self.planned.get(dep).filter(|c| c.action != Action::NoOp) {
                change.reasons.push(format!("{dep} is {}", c.action.past()));
            }
        }
        if !change.reasons.is_empty() {
            change.action = Action::Run;
        }
    }

    fn csv(&self, before: Option<&Attributes>) -> CsvChange {
        let table = &self.model.tables[&self.address.key];
        let old = before.and_then(|b| {
            let columns = b.get("columns")?.as_array()?;
            let columns: Vec<String> = columns
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect();
            Some((columns, b.get("rows")?.as_u64()?))
        });
        CsvChange::new(
            old.as_ref().map(|(c, r)| (c.as_slice(), *r)),
            (&table.csv.columns, table.csv.rows),
        )
    }
}

/// The change for an address in the state and no longer in the manifest.
fn removed(address: &Address, recorded: &ResourceState) -> Change {
    let attrs = &recorded.attributes;
    let (action, warning) = match address.kind {
        Kind::File => (Action::Delete, None),
        Kind::Table => (
            Action::Forget,
            Some(format!(
                "{address}: removed from the manifest; the table `{}` stays on the server (the public API cannot delete tables) and grokform stops managing it",
                string(attrs, "name")
            )),
        ),
        Kind::Dashboard => (
            Action::Forget,
            Some(format!(
                "{address}: removed from the manifest; the dashboard `{}`{} stays on the server (the public API cannot delete dashboards) and grokform stops managing it",
                string(attrs, "name"),
                recorded
                    .remote_id
                    .as_ref()
                    .map(|id| format!(" at `/p/{id}`"))
                    .unwrap_or_default()
            )),
        ),
        Kind::Share => (
            Action::Forget,
            Some(format!(
                "{address}: removed from the manifest; `{}` keeps its {} access to dashboard `{}` (the public API cannot revoke shares); remove it in Datagrok",
                string(attrs, "group"),
                string(attrs, "access"),
                string(attrs, "dashboard")
            )),
        ),
        Kind::Call => (Action::Forget, None),
    };
    Change {
        address: address.clone(),
        action,
        reasons: vec![match address.kind {
            Kind::Call => "removed from the manifest; nothing on the server to remove".into(),
            _ => "removed from the manifest".into(),
        }],
        depends_on: vec![],
        remote_id: recorded.remote_id.clone(),
        before: Some(attrs.clone()),
        after: None,
        layout_diff: None,
        csv: None,
        warnings: warning.into_iter().collect(),
        uncertain: false,
        inputs_hash: String::new(),
    }
}

/// Unified diff of the pretty-printed layout JSON, `None` when it did not change.
fn layout_diff(before: Option<&Attributes>, after: &Attributes) -> Option<String> {
    let text = |attrs: Option<&Attributes>| {
        attrs
            .and_then(|a| a.get("layout_text"))
            .and_then(Value::as_str)
            .map(pretty_json)
            .unwrap_or_default()
    };
    let (old, new) = (text(before), text(Some(after)));
    if old == new {
        return None;
    }
    let diff = TextDiff::from_lines(&old, &new);
    let mut unified = diff.unified_diff();
    Some(unified.context_radius(3).to_string())
}

/// Pretty-printed JSON with a trailing newline (the text itself if it is not JSON), so that
/// a one-line export from Datagrok diffs line by line.
fn pretty_json(text: &str) -> String {
    let mut out = match serde_json::from_str::<Value>(text) {
        Ok(value) => serde_json::to_string_pretty(&value).expect("json values serialise"),
        Err(_) => text.to_string(),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn contains_unknown(value: Option<&Value>) -> bool {
    match value {
        Some(Value::String(s)) => s.contains(UNKNOWN),
        Some(Value::Array(items)) => items.iter().any(|v| contains_unknown(Some(v))),
        Some(Value::Object(map)) => map.values().any(|v| contains_unknown(Some(v))),
        _ => false,
    }
}

fn string(attrs: &Attributes, key: &str) -> String {
    match attrs.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `connector/path` of a file's attributes.
fn remote_path(attrs: &Attributes) -> String {
    format!("{}/{}", string(attrs, "connector"), string(attrs, "path"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
