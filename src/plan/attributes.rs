//! What the applier records per address (attributes and inputs hash) and what a saved plan
//! remembers of its inputs. The planner compares against exactly these, so both sides call
//! the functions here and nothing else.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::UNKNOWN;
use crate::address::{Address, Kind};
use crate::layout;
use crate::model::{Dashboard, Layout, Model, RunPolicy, template};
use crate::state::ResourceState;

type Attributes = BTreeMap<String, Value>;

/// The attributes apply records for `address` (empty if the model has no such address).
///
/// `ids` gives the remote ID of a table or dashboard when it is known; `None` shows as
/// `(known after apply)` in `table_ids`, `dashboard_id`, the filled `layout_text` and call
/// `params`. Keys per kind:
/// - file: `connector`, `path`, `source`, `sha256`, `size`
/// - table: `name`, `source`, `sha256`, `rows`, `columns` (the header, in order)
/// - dashboard: `name`, `tables`, `table_ids`, `layout` (key or null), `layout_sha256` (of the
///   normalised layout template, before IDs are filled), `layout_text` (filled, `tableName`
///   included, and normalised; or null)
/// - share: `dashboard`, `dashboard_id`, `group`, `access`
/// - call: `function`, `params` (filled), `run`
pub fn desired_attributes(
    model: &Model,
    address: &Address,
    ids: &dyn Fn(&Address) -> Option<String>,
) -> BTreeMap<String, Value> {
    let id = |a: &Address| Value::String(ids(a).unwrap_or_else(|| UNKNOWN.to_string()));
    let fill = |text: &str| {
        template::substitute(text, |a| {
            Some(ids(a).unwrap_or_else(|| UNKNOWN.to_string()))
        })
    };
    let object = match address.kind {
        Kind::File => model.files.get(&address.key).map(|f| {
            json!({
                "connector": f.connector,
                "path": f.path,
                "source": f.source.relative,
                "sha256": f.source.sha256,
                "size": f.source.size,
            })
        }),
        Kind::Table => model.tables.get(&address.key).map(|t| {
            json!({
                "name": t.name,
                "source": t.source.relative,
                "sha256": t.source.sha256,
                "rows": t.csv.rows,
                "columns": t.csv.columns,
            })
        }),
        Kind::Dashboard => model.dashboards.get(&address.key).map(|d| {
            let layout = d.layout.as_ref().and_then(|l| model.layouts.get(l));
            json!({
                "name": d.name,
                "tables": d.tables,
                "table_ids": d.tables.iter().map(|t| id(&Address::table(t))).collect::<Vec<_>>(),
                "layout": d.layout,
                "layout_sha256": layout.map(layout_sha256),
                "layout_text": layout.map(|l| layout::canonical_text(&fill(&layout::with_table_names(&l.text, model)))),
            })
        }),
        Kind::Share => share_of(model, address).map(|s| {
            json!({
                "dashboard": s.dashboard,
                "dashboard_id": id(&Address::dashboard(&s.dashboard)),
                "group": s.group,
                "access": s.access.as_str(),
            })
        }),
        Kind::Call => model.calls.get(&address.key).map(|c| {
            let params = Value::Object(c.params.clone());
            json!({
                "function": c.function,
                "params": canonical(&map_strings(&params, &fill)),
                "run": match c.run { RunPolicy::OnChange => "on-change", RunPolicy::Always => "always" },
            })
        }),
    };
    match object {
        Some(Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// A deterministic SHA-256 (lowercase hex) over the canonical form of the inputs that, when
/// changed, call for an action on `address`; `None` if the model has no such address.
///
/// IDs are left out on purpose (they are not known at plan time and their changes are
/// followed through the dependency graph), as are inputs that need no action: a source file's
/// path when its content is unchanged, a call's `run` policy.
pub fn inputs_hash(model: &Model, address: &Address) -> Option<String> {
    let canonical_inputs = match address.kind {
        Kind::File => model.files.get(&address.key).map(|f| {
            json!({"kind": "file", "connector": f.connector, "path": f.path, "sha256": f.source.sha256})
        }),
        Kind::Table => model.tables.get(&address.key).map(|t| {
            json!({"kind": "table", "name": t.name, "sha256": t.source.sha256})
        }),
        Kind::Dashboard => model.dashboards.get(&address.key).map(|d| {
            let layout = d.layout.as_ref().and_then(|l| model.layouts.get(l));
            dashboard_inputs(d, json!(layout.map(layout_sha256)))
        }),
        Kind::Share => {
            return share_of(model, address)
                .map(|s| share_inputs_hash(&s.dashboard, &s.group, s.access.as_str()));
        }
        Kind::Call => model.calls.get(&address.key).map(|c| {
            json!({"kind": "call", "function": c.function, "params": Value::Object(c.params.clone())})
        }),
    }?;
    Some(hash(&canonical_inputs))
}

pub(super) fn hash(inputs: &Value) -> String {
    let text = serde_json::to_string(&canonical(inputs)).expect("json values serialise");
    sha256_hex(text.as_bytes())
}

/// The SHA-256 of a layout template as it means ([`layout::canonical_text`]): re-exporting it
/// unchanged from Datagrok keeps the hash.
fn layout_sha256(layout: &Layout) -> String {
    sha256_hex(layout::canonical_text(&layout.text).as_bytes())
}

/// Whether a dashboard's layout changed in meaning between its recorded and its desired
/// attributes. States written before layouts were normalised hold the hash of the raw bytes
/// and the raw filled text, so when the hashes differ the texts decide, both normalised: a
/// state from an older grokform does not make every dashboard look changed.
pub(crate) fn layout_changed(before: &Attributes, after: &Attributes) -> bool {
    before.get("layout") != after.get("layout")
        || before.get("layout_sha256") != after.get("layout_sha256")
            && layout_text_changed(before, after)
}

/// Whether the filled layouts differ in meaning (an ID they reference moved, or the layout).
pub(crate) fn layout_text_changed(before: &Attributes, after: &Attributes) -> bool {
    match (layout_text(Some(before)), layout_text(Some(after))) {
        (Some(a), Some(b)) => !layout::same_meaning(a, b),
        (a, b) => a != b,
    }
}

/// The layout diff and viewer summary between recorded and desired attributes, `None` when
/// the normalised layouts are equal.
pub(crate) fn layout_comparison(
    before: Option<&Attributes>,
    after: &Attributes,
) -> Option<layout::Comparison> {
    layout::compare(layout_text(before), layout_text(Some(after)))
}

fn layout_text(attributes: Option<&Attributes>) -> Option<&str> {
    attributes?.get("layout_text")?.as_str()
}

/// Whether the state's inputs hash for `address` is the one this model gives. Called once
/// the dashboard's attributes showed no change, so for a dashboard it also accepts the hash
/// over the same inputs with the layout hashed the way grokform did before layouts were
/// normalised (the raw template bytes), or as the state records it: an older state, or one
/// written by applying a plan saved by an older grokform, is not a change by itself.
pub(crate) fn inputs_match(model: &Model, address: &Address, recorded: &ResourceState) -> bool {
    if inputs_hash(model, address).is_some_and(|h| h == recorded.inputs_hash) {
        return true;
    }
    let dashboard = (address.kind == Kind::Dashboard)
        .then(|| model.dashboards.get(&address.key))
        .flatten();
    let Some(dashboard) = dashboard else {
        return false;
    };
    let raw = dashboard
        .layout
        .as_ref()
        .and_then(|l| model.layouts.get(l))
        .map(|l| json!(sha256_hex(l.text.as_bytes())));
    let as_recorded = recorded.attributes.get("layout_sha256").cloned();
    [raw, as_recorded].into_iter().any(|layout_sha256| {
        hash(&dashboard_inputs(
            dashboard,
            layout_sha256.unwrap_or(Value::Null),
        )) == recorded.inputs_hash
    })
}

/// What a dashboard's inputs hash covers, given its layout's hash.
fn dashboard_inputs(dashboard: &Dashboard, layout_sha256: Value) -> Value {
    json!({
        "kind": "dashboard",
        "name": dashboard.name,
        "tables": dashboard.tables,
        "layout": dashboard.layout,
        "layout_sha256": layout_sha256,
    })
}

/// The inputs hash of a share: also what a share gets when its dashboard is renamed in state
/// (`state mv`, `moved:`), so that the rename alone plans no change.
pub fn share_inputs_hash(dashboard: &str, group: &str, access: &str) -> String {
    let inputs = json!({"kind": "share", "dashboard": dashboard, "group": group, "access": access});
    let text = serde_json::to_string(&canonical(&inputs)).expect("json values serialise");
    sha256_hex(text.as_bytes())
}

/// The manifest's file name and every source's path relative to the manifest, mapped to the
/// SHA-256 of its content: what a saved plan checks before it is applied.
pub fn inputs(model: &Model) -> BTreeMap<String, String> {
    let manifest = model
        .manifest_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "grokform.yaml".to_string());
    let mut out = BTreeMap::from([(manifest, model.manifest_sha256.clone())]);
    for source in model.sources() {
        out.insert(source.relative.clone(), source.sha256.clone());
    }
    out
}

/// The model's share at `share.<dashboard>.<group>`; dashboard keys hold no `.`, groups may.
fn share_of<'m>(model: &'m Model, address: &Address) -> Option<&'m crate::model::Share> {
    let (dashboard, group) = address.key.split_once('.')?;
    model
        .shares
        .get(&(dashboard.to_string(), group.to_string()))
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The same value with every object's keys sorted, recursively (the crate keeps insertion
/// order, and manifest order must not change a hash or a diff).
pub(crate) fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Applies `f` to every string inside `value`.
fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), map_strings(v, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}
