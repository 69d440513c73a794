//! Layouts in the plan are compared by meaning: a re-export that only moves server-owned
//! fields plans nothing, a state written before layouts were normalised plans nothing, and a
//! real edit replaces the dashboard with a viewer summary above the diff.

use serde_json::{Value, json};

use super::attributes::{canonical, sha256_hex};
use super::testing::{Fixture, applied, empty_state, options};
use super::*;
use crate::layout::ViewerChangeKind;
use crate::model::template;
use crate::state::State;

const EXPORTED: &str = include_str!("../layout/fixtures/sales-overview.layout");

/// The sales model with a layout as Datagrok exports it, applied once.
fn exported() -> (Fixture, State) {
    let mut fixture = Fixture::sales();
    fixture.layout(EXPORTED);
    let state = applied(&fixture.model(), &empty_state());
    (fixture, state)
}

/// `EXPORTED` exported again: new viewer and tag UUIDs, date, author; widths cut short.
fn exported_again() -> String {
    let mut text = EXPORTED
        .replace("2026-05-12T21:56:31.107Z", "2026-07-01T10:00:00.000Z")
        .replace(
            "878c42b0-9a50-11e6-c537-6bf8e9ab02ee",
            "11111111-9a50-11e6-c537-6bf8e9ab02ee",
        )
        .replace("564.0423728813557", "564.04")
        .replace(
            "\".semantic-detection-duration\": \"5\"",
            "\".semantic-detection-duration\": \"9\"",
        );
    for old in ["4a541150", "4a543860", "4a545f70", "6f40c4c0", "6f4139f0"] {
        text = text.replace(old, "abcdef01");
    }
    assert_ne!(text, EXPORTED);
    text
}

fn dashboard(plan: &Plan) -> &Change {
    plan.change(&Address::dashboard("overview")).unwrap()
}

#[test]
fn a_layout_exported_again_unchanged_plans_nothing() {
    let (mut fixture, state) = exported();
    fixture.layout(&exported_again());
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    assert!(
        !plan.has_changes(),
        "{}",
        crate::render::human(&plan, false)
    );
}

#[test]
fn the_recorded_layout_is_normalised_with_the_table_name_filled() {
    let (_, state) = exported();
    let recorded = &state.resources[&Address::dashboard("overview")].attributes;
    let text = recorded["layout_text"].as_str().unwrap();
    assert!(!text.contains("createdOn"), "{text}");
    assert!(
        !text.contains("4a541150-48b0-11f1-921a-4b0415f08584"),
        "{text}"
    );
    let layout: Value = serde_json::from_str(text).unwrap();
    let orders_id = state.resources[&Address::table("orders")]
        .remote_id
        .clone()
        .unwrap();
    assert_eq!(layout["viewStateMap"]["tableId"], json!(orders_id));
    assert_eq!(layout["viewStateMap"]["tableName"], json!("Orders"));
}

/// The dashboard's state entry as the previous grokform wrote it: the hash of the raw
/// template bytes, the raw filled text (no `tableName` filled), and the inputs hash over them.
fn as_written_before_normalising(fixture: &Fixture, state: &mut State) {
    let model = fixture.model();
    let template_text = &model.layouts["overview"].text;
    let ids: Vec<(Address, Option<String>)> = state
        .resources
        .iter()
        .map(|(a, r)| (a.clone(), r.remote_id.clone()))
        .collect();
    let raw_text = template::substitute(template_text, |a| {
        ids.iter()
            .find(|(b, _)| b == a)
            .and_then(|(_, id)| id.clone())
    });
    let raw_sha = sha256_hex(template_text.as_bytes());
    let dashboard = &model.dashboards["overview"];
    let inputs = json!({
        "kind": "dashboard",
        "name": dashboard.name,
        "tables": dashboard.tables,
        "layout": dashboard.layout,
        "layout_sha256": raw_sha,
    });
    let inputs_hash = sha256_hex(
        serde_json::to_string(&canonical(&inputs))
            .unwrap()
            .as_bytes(),
    );
    let entry = state
        .resources
        .get_mut(&Address::dashboard("overview"))
        .unwrap();
    entry
        .attributes
        .insert("layout_sha256".into(), json!(raw_sha));
    entry
        .attributes
        .insert("layout_text".into(), json!(raw_text));
    entry.inputs_hash = inputs_hash;
}

#[test]
fn a_state_from_before_normalising_plans_nothing() {
    let (fixture, mut state) = exported();
    as_written_before_normalising(&fixture, &mut state);
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    assert!(
        !plan.has_changes(),
        "{}",
        crate::render::human(&plan, false)
    );

    let mut again = Fixture::sales();
    again.layout(&exported_again());
    let plan = super::plan(&again.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    assert!(
        !plan.has_changes(),
        "a re-export against an old state: {}",
        crate::render::human(&plan, false)
    );
}

#[test]
fn a_plan_saved_before_normalising_and_applied_after_leaves_nothing_to_do() {
    // apply records today's attributes with the inputs hash the saved plan carries: the one
    // over the raw template bytes
    let (fixture, mut state) = exported();
    let mut legacy = state.clone();
    as_written_before_normalising(&fixture, &mut legacy);
    let address = Address::dashboard("overview");
    state.resources.get_mut(&address).unwrap().inputs_hash =
        legacy.resources[&address].inputs_hash.clone();
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    assert!(
        !plan.has_changes(),
        "{}",
        crate::render::human(&plan, false)
    );
}

#[test]
fn a_real_edit_against_a_state_from_before_normalising_is_a_change() {
    let (mut fixture, mut state) = exported();
    as_written_before_normalising(&fixture, &mut state);
    fixture.layout(&EXPORTED.replace("\"Revenue by region\"", "\"Revenue per region\""));
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    let change = dashboard(&plan);
    assert_eq!(change.action, Action::Replace);
    assert_eq!(change.reasons, ["layout changed"]);
    // the old state's raw text carries the exported `tableName`; the new one the table's
    let diff = change.layout_diff.as_deref().unwrap();
    assert!(diff.contains("+    \"tableName\": \"Orders\""), "{diff}");
    assert!(!diff.contains("createdOn"), "{diff}");
}

#[test]
fn a_viewer_edit_replaces_the_dashboard_with_a_summary() {
    let (mut fixture, state) = exported();
    fixture.layout(&EXPORTED.replace("\"Revenue by region\"", "\"Revenue per region\""));
    let plan = plan(&fixture.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    let change = dashboard(&plan);
    assert_eq!(change.action, Action::Replace);
    assert_eq!(change.reasons, ["layout changed"]);
    assert_eq!(change.layout_summary.len(), 1);
    let viewer = &change.layout_summary[0];
    assert_eq!(viewer.change, ViewerChangeKind::Changed);
    assert_eq!(
        viewer.to_string(),
        "~ Bar chart (region, revenue): title \"Revenue by region\" → \"Revenue per region\""
    );
    let text = crate::render::json(&plan);
    let back: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, plan, "the summary reads back from a saved plan");
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == "dashboard.overview")
            .unwrap()["layout_summary"],
        json!([{
            "change": "changed",
            "viewer": "Bar chart",
            "columns": ["region", "revenue"],
            "properties": [{"property": "title", "before": "Revenue by region", "after": "Revenue per region"}]
        }])
    );
    let validator =
        jsonschema::validator_for(&schemars::schema_for!(crate::plan::Plan).to_value()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_plan_without_layout_changes_has_no_summary_field() {
    let (_, state) = exported();
    let mut changed = Fixture::sales();
    changed.layout(EXPORTED);
    changed.table_csv("orders", "id,amount\n1,5\n2,7\n");
    let plan = plan(&changed.model(), &state, &Observed::default(), &options())
        .expect("the plan succeeds");
    assert!(plan.has_changes());
    assert!(!crate::render::json(&plan).contains("layout_summary"));
}
