//! Snapshots of what users see, rendered from real plans of the test model.

use super::*;
use crate::plan::testing::{Fixture, LAYOUT, applied, empty_state, options};
use crate::plan::{Observed, Plan, plan};

/// A plan with one of nearly everything: an update, a replace with a layout diff, shares
/// created again, a forget, a delete and a call run.
fn mixed() -> Plan {
    let fixture = Fixture::sales();
    let state = applied(&fixture.model(), &empty_state());
    let mut changed = Fixture::sales();
    changed.table_csv("orders", "id,amount,discount\n1,5,0\n2,6,1\n3,7,0\n");
    changed.layout(&LAYOUT.replace("\"bar\"", "\"line\""));
    changed.remove_share("overview", "Managers");
    changed.model_mut().files.clear();
    plan(&changed.model(), &state, &Observed::default(), &options()).unwrap()
}

/// A plan whose layout diff is thousands of lines long.
fn huge() -> Plan {
    let layout = |suffix: &str| {
        let columns: Vec<String> = (0..3000)
            .map(|i| format!("\"column_{i:04}_{suffix}\""))
            .collect();
        format!(
            "{{\"#type\":\"ViewLayout\",\"table\":\"${{table.orders.id}}\",\"columns\":[{}]}}",
            columns.join(",")
        )
    };
    let mut fixture = Fixture::sales();
    fixture.layout(&layout("a"));
    let state = applied(&fixture.model(), &empty_state());
    fixture.layout(&layout("b"));
    fixture.table_csv("customers", "id,name,city\n1,Ann,Oslo\n");
    plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap()
}

#[test]
fn human_mixed() {
    insta::assert_snapshot!(human(&mixed(), false));
}

#[test]
fn human_in_colour_marks_signs_and_diff_lines() {
    let text = human(&mixed(), true);
    assert!(
        text.contains("\u{1b}[35m-/+\u{1b}[0m dashboard.overview"),
        "{text}"
    );
    assert!(
        text.contains("\u{1b}[33m  ~\u{1b}[0m table.orders"),
        "{text}"
    );
    assert!(
        text.contains("\u{1b}[32m+      \"type\": \"line\",\u{1b}[0m"),
        "{text}"
    );
    assert!(!human(&mixed(), false).contains('\u{1b}'));
    insta::assert_snapshot!(text);
}

#[test]
fn json_is_the_stable_saved_plan() {
    let plan = mixed();
    let text = json(&plan);
    assert!(text.ends_with("}\n"));
    assert_eq!(text, json(&mixed()), "deterministic");
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_mixed() {
    let text = markdown(&mixed(), DEFAULT_LIMIT);
    assert!(!text.contains("truncated"));
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_without_changes() {
    let fixture = Fixture::sales();
    let state = applied(&fixture.model(), &empty_state());
    let text = markdown(
        &plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap(),
        DEFAULT_LIMIT,
    );
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_truncates_the_longest_diff_to_fit() {
    let plan = huge();
    let full = markdown(&plan, usize::MAX);
    assert!(full.chars().count() > 100_000, "{}", full.len());
    let text = markdown(&plan, 4_000);
    assert!(text.chars().count() <= 4_000, "{}", text.chars().count());
    assert!(text.contains("more lines truncated; run `grokform plan` for the full diff"));
    // the short table diff is kept whole, only the layout is cut
    assert!(text.contains("  header: + city"));
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_always_fits_the_limit() {
    let plan = huge();
    for limit in [2_500, 3_000, 5_000, 10_000, 30_000, DEFAULT_LIMIT] {
        let text = markdown(&plan, limit);
        assert!(
            text.chars().count() <= limit,
            "{limit}: {}",
            text.chars().count()
        );
        assert!(
            text.chars().count() > limit - 400,
            "{limit}: cut far too much"
        );
    }
}

#[test]
fn markdown_drops_whole_sections_when_cutting_diffs_is_not_enough() {
    let mut fixture = Fixture::sales();
    for i in 0..300 {
        fixture.table(
            &format!("t{i:03}"),
            &format!("JohnDoe:Sales:T{i:03}"),
            "id\n1\n",
        );
    }
    let plan = plan(
        &fixture.model(),
        &empty_state(),
        &Observed::default(),
        &options(),
    )
    .unwrap();
    let text = markdown(&plan, 6_000);
    assert!(text.chars().count() <= 6_000, "{}", text.chars().count());
    assert!(
        text.contains("more changes not shown to keep this comment short"),
        "{text}"
    );
    assert!(
        text.contains("| `+` create | 306 |"),
        "the summary still counts everything"
    );
}

/// A layout edit that changes a viewer, removes one and adds one.
fn viewers() -> Plan {
    let layout = |title: &str, last: &str| {
        format!(
            r##"{{"#type":"ViewLayout","viewStateMap":{{"tableId":"${{table.orders.id}}","viewers":[
              {{"id":"4a541150-48b0-11f1-921a-4b0415f08584","type":"Bar chart","look":{{"splitColumnName":"region","valueColumnName":"amount","title":"{title}"}}}},
              {last}]}}}}"##
        )
    };
    let pie = r#"{"type":"Pie chart","look":{"categoryColumnName":"status"}}"#;
    let histogram = r#"{"type":"Histogram","look":{"valueColumnName":"amount"}}"#;
    let mut fixture = Fixture::sales();
    fixture.layout(&layout("Revenue by region", pie));
    let state = applied(&fixture.model(), &empty_state());
    fixture.layout(&layout("Revenue per region", histogram));
    plan(&fixture.model(), &state, &Observed::default(), &options()).expect("the plan succeeds")
}

#[test]
fn the_viewer_summary_comes_above_the_layout_diff() {
    let plan = viewers();
    let text = human(&plan, false);
    let summary = text.find("viewers:").expect("a summary");
    let diff = text.find("layout:").expect("a diff");
    assert!(summary < diff, "{text}");
    assert!(
        text.contains(
            "        ~ Bar chart (region, amount): title \"Revenue by region\" → \"Revenue per region\"\n"
        ),
        "{text}"
    );
    let coloured = human(&plan, true);
    assert!(
        coloured.contains("\u{1b}[33m~ Bar chart (region, amount)"),
        "{coloured}"
    );
    assert!(
        coloured.contains("\u{1b}[32m+ Histogram (amount)"),
        "{coloured}"
    );
    assert!(
        coloured.contains("\u{1b}[31m- Pie chart (status)"),
        "{coloured}"
    );
    insta::assert_snapshot!("human_viewers", text);
    let md = markdown(&plan, DEFAULT_LIMIT);
    assert!(
        md.contains("\n  viewers:\n~ Bar chart (region, amount)"),
        "{md}"
    );
    insta::assert_snapshot!("markdown_viewers", md);
}
