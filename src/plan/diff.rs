//! The decision for one address: what changed between its state entry and the model, and
//! so which action, reasons and warnings its change carries.

use std::collections::BTreeMap;

use serde_json::Value;

use super::attributes::{self, inputs_hash};
use super::capabilities::Permit;
use super::planner::plural;
use super::{Action, Change, CsvChange, Drift, UNKNOWN, in_place, repair};
use crate::address::{Address, Kind};
use crate::model::{Model, RunPolicy};
use crate::state::{ResourceState, ResourceStatus};

pub(super) type Attributes = BTreeMap<String, Value>;

/// The reason every change forced by `--replace` gives first.
const REPLACE_REQUESTED: &str = "replacement requested with --replace";

/// One address of the model, planned against its state entry.
pub(super) struct Planner<'a> {
    pub(super) model: &'a Model,
    pub(super) planned: &'a BTreeMap<Address, Change>,
    pub(super) address: &'a Address,
    pub(super) depends_on: &'a [Address],
    pub(super) recorded: Option<&'a ResourceState>,
    pub(super) after: Attributes,
    /// `--replace` names this address.
    pub(super) replace: bool,
    /// What the refresh saw changed outside grokform (`repair`); empty without a refresh.
    pub(super) drift: Vec<Drift>,
    /// Whether the server may save a dashboard's layout in place (`in_place`).
    pub(super) save_in_place: &'a Permit,
}

impl Planner<'_> {
    pub(super) fn plan(self) -> Change {
        let mut change = Change {
            address: self.address.clone(),
            action: Action::NoOp,
            reasons: vec![],
            depends_on: self.depends_on.to_vec(),
            remote_id: self.recorded.and_then(|r| r.remote_id.clone()),
            before: self.recorded.map(|r| r.attributes.clone()),
            after: None,
            layout_diff: None,
            layout_summary: vec![],
            csv: None,
            warnings: vec![],
            uncertain: false,
            drift: self.drift.clone(),
            revoke_first: false,
            delete_replaced: vec![],
            save_in_place: false,
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
                if self.replace {
                    change.warnings.push(format!(
                        "{}: `--replace` changes nothing: it was never applied, so it is created anyway",
                        self.address
                    ));
                }
            }
            Some(recorded) if recorded.status == ResourceStatus::Uncertain => {
                self.uncertain(recorded, &mut change);
            }
            Some(recorded) => {
                match self.address.kind {
                    Kind::File => self.file(recorded, &mut change),
                    Kind::Table => self.table(recorded, &mut change),
                    Kind::Dashboard => self.dashboard(recorded, &mut change),
                    Kind::Share => self.share(recorded, &mut change),
                    Kind::Call => self.call(recorded, &mut change),
                }
                repair::repair(&mut change);
                if self.replace {
                    self.force(&mut change);
                }
            }
        }
        if self.address.kind == Kind::Table {
            change.csv = Some(self.csv(change.before.as_ref()));
        }
        if self.address.kind == Kind::Dashboard
            && (change.action == Action::Replace || change.save_in_place)
            && let Some(layout) = attributes::layout_comparison(change.before.as_ref(), &self.after)
        {
            (change.layout_diff, change.layout_summary) = (Some(layout.diff), layout.viewers);
        }
        change.after = Some(self.after);
        change
    }

    /// A request an earlier apply sent and never saw succeed (`ResourceStatus::Uncertain`):
    /// what apply will do about it, which depends on the kind (see `apply::uncertain`).
    fn uncertain(&self, recorded: &ResourceState, change: &mut Change) {
        let address = self.address;
        let happened = recorded.what_happened();
        change.uncertain = true;
        if address.kind == Kind::Call {
            change.action = Action::Run;
            change
                .reasons
                .push(format!("an earlier apply sent this call and {happened}"));
            let idempotent = self
                .model
                .calls
                .get(&address.key)
                .is_some_and(|c| c.idempotent);
            change.warnings.push(if idempotent {
                format!(
                    "{address}: an earlier apply sent this call and {happened}, so the server may already have run it; it is declared `idempotent: true`, so apply runs it again"
                )
            } else {
                format!(
                    "{address}: an earlier apply sent this call and {happened}, so the server may already have run it; apply refuses to run it again unless it is declared `idempotent: true` or you pass `--confirm-uncertain {address}` (or `--accept-uncertain {address}` if you checked that it ran)"
                )
            });
            return;
        }
        change.action = Action::Create;
        change.reasons.push(format!(
            "an earlier apply sent its create request and {happened}"
        ));
        let name = self
            .after
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        change.warnings.push(format!(
            "{address}: an earlier apply sent its create request and {happened}, so the server may already hold a {} named `{name}`; apply looks it up first: it adopts the one {} of that name showing its tables that grokform does not record, creates it if there is none, and refuses if there are several or the server refuses the lookup (until `--confirm-uncertain {address}`)",
            address.kind, address.kind
        ));
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
        if let Some(deleted) = repair::dashboard_deleted(&change.drift) {
            // Nothing is left to replace (no old URL stays): the manifest's dashboard is
            // created anew, and what holds its ID follows as for any create.
            change.action = Action::Create;
            change.reasons = vec![format!(
                "changed outside grokform ({}): created anew, under a new URL",
                deleted.kind
            )];
            return;
        }
        let mut reasons = std::mem::take(&mut change.reasons);
        if self.replace {
            // the only way to replace a dashboard: a new one, as for any other reason below
            reasons.push(REPLACE_REQUESTED.into());
        }
        reasons.extend(repair::dashboard_reasons(&change.drift));
        // Only the layout changed (in the manifest, or edited in the UI): a candidate for an
        // in-place save instead of a replacement.
        let layout_only = !self.replace
            && repair::only_layout_edited(&change.drift)
            && !self.differs(recorded, "name")
            && !self.differs(recorded, "tables")
            && !self.differs(recorded, "table_ids");
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
        if attributes::layout_changed(&recorded.attributes, &self.after) {
            reasons.push("layout changed".into());
        }
        let mut dependency_moved = false;
        let layout_reasons = reasons.len();
        for dep in self.depends_on {
            if let Some(c) = self.planned.get(dep).filter(|c| c.action.changes_id()) {
                dependency_moved = true;
                reasons.push(format!("{dep} is {}, so its ID changes", c.action.past()));
            }
        }
        if !dependency_moved {
            if self.differs(recorded, "table_ids") {
                reasons.push("the IDs of its tables changed on the server".into());
            } else if reasons.is_empty()
                && attributes::layout_text_changed(&recorded.attributes, &self.after)
            {
                reasons.push("IDs its layout references changed".into());
            }
        }
        if reasons.is_empty() && !attributes::inputs_match(self.model, self.address, recorded) {
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
        if layout_only && !dependency_moved && reasons_are_layout(&change.reasons, layout_reasons) {
            in_place::save_layout(
                change,
                self.save_in_place,
                &recorded.attributes,
                &self.after,
            );
        }
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

    /// `--replace` on an applied address. A dashboard is replaced by `dashboard()`, like for
    /// any other reason (a new one, its URL changes). The public API cannot make a second table
    /// under the same name or a second file at the same path, so a table or file is replaced
    /// by uploading it again (its ID stays), a share by granting it again, a call by running it
    /// again. An address that changes anyway keeps its action.
    fn force(&self, change: &mut Change) {
        let (action, how) = match self.address.kind {
            Kind::Dashboard => return,
            Kind::File => (Action::Update, "uploaded again to the same path"),
            Kind::Table => (
                Action::Update,
                "its CSV is uploaded again under the same name, which keeps the table's ID",
            ),
            Kind::Share => (Action::Update, "granted again"),
            Kind::Call => (Action::Run, "run again"),
        };
        if change.action == Action::NoOp {
            change.action = action;
            change
                .reasons
                .insert(0, format!("{REPLACE_REQUESTED}: {how}"));
        } else {
            change.reasons.insert(0, REPLACE_REQUESTED.into());
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

/// Whether the reasons after the first `layout_reasons` (which name a layout change or a
/// layout edited outside grokform) add nothing but "IDs its layout references changed".
fn reasons_are_layout(reasons: &[String], layout_reasons: usize) -> bool {
    layout_reasons > 0 && reasons[layout_reasons..].is_empty()
        || reasons == ["IDs its layout references changed"]
}

fn contains_unknown(value: Option<&Value>) -> bool {
    match value {
        Some(Value::String(s)) => s.contains(UNKNOWN),
        Some(Value::Array(items)) => items.iter().any(|v| contains_unknown(Some(v))),
        Some(Value::Object(map)) => map.values().any(|v| contains_unknown(Some(v))),
        _ => false,
    }
}

pub(super) fn string(attrs: &Attributes, key: &str) -> String {
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
