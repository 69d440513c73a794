//! Schema safety: uploading a CSV that drops (or renames) a column that a layout of a
//! dashboard showing the table uses leaves that viewer empty on the server, and nothing in the
//! API says so. The planner therefore refuses such a plan, unless the table opts out with
//! `allow_column_removal: true`, in which case the plan carries a warning instead.
//!
//! The old header is the one the state recorded at the last apply (a change's
//! `csv.removed_columns`); the columns a layout uses come from the model's one extractor,
//! the one `validate` warns with ([`Layout::column_uses`](crate::model::Layout::column_uses)).

use std::collections::BTreeSet;
use std::fmt;

use super::{Action, Change, Plan};
use crate::address::{Address, Kind};
use crate::model::Model;

/// A column the upload of `table` drops although a layout still uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInUse {
    pub table: Address,
    pub column: String,
    pub dashboard: Address,
    /// The layout's key.
    pub layout: String,
    /// `None`: the layout's own `columns[]` list, outside any viewer.
    pub viewer: Option<String>,
}

impl fmt::Display for ColumnInUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ColumnInUse {
            table,
            column,
            dashboard,
            layout,
            viewer,
        } = self;
        let user = match viewer {
            Some(viewer) => format!("viewer `{viewer}`"),
            None => "the column list".to_string(),
        };
        write!(
            f,
            "{table} drops column `{column}`, used by {user} of layout `{layout}` in {dashboard}"
        )
    }
}

/// The plan would upload CSVs that drop columns their dashboards' layouts use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(grokform::plan::column_in_use))]
pub struct ColumnsInUse {
    /// In plan order, then by dashboard, column and viewer.
    pub uses: Vec<ColumnInUse>,
    #[help]
    pub help: String,
}

impl fmt::Display for ColumnsInUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the plan uploads a CSV that drops a column a dashboard's layout uses:")?;
        for used in &self.uses {
            write!(f, "\n  - {used}")?;
        }
        Ok(())
    }
}

/// `Err` when a change uploads a CSV that drops a column a layout of one of the table's
/// dashboards uses (and no other table of that dashboard has it); for a table with
/// `allow_column_removal: true`, a warning in `warnings` instead.
pub(super) fn check(
    model: &Model,
    changes: &[Change],
    warnings: &mut BTreeSet<String>,
) -> Result<(), ColumnsInUse> {
    let mut refused = Vec::new();
    let mut renames = BTreeSet::new();
    for change in changes {
        let uses = dropped_in_use(model, change);
        let Some(table) = model.tables.get(&change.address.key) else {
            continue;
        };
        if uses.is_empty() {
            continue;
        }
        if table.allow_column_removal {
            warnings.extend(uses.iter().map(|used| {
                format!("{used}; uploaded anyway (`allow_column_removal: true`): the viewer will show nothing")
            }));
            continue;
        }
        if let Some(csv) = &change.csv
            && !csv.added_columns.is_empty()
        {
            let added: Vec<String> = csv.added_columns.iter().map(|c| format!("`{c}`")).collect();
            renames.insert(format!(
                "the new header of {} adds {}: if a column was renamed, rename it in the layout too",
                change.address,
                added.join(", ")
            ));
        }
        refused.extend(uses);
    }
    if refused.is_empty() {
        return Ok(());
    }
    let mut help = String::from(
        "put the column back in the CSV, or stop using it in the layout; to upload anyway (the \
         viewer shows nothing), set `allow_column_removal: true` on the table",
    );
    for rename in renames {
        help.push_str("; ");
        help.push_str(&rename);
    }
    Err(ColumnsInUse {
        uses: refused,
        help,
    })
}

/// The same check for a saved plan about to be applied, so that a plan file written by a
/// grokform without it (or edited by hand) cannot slip a breaking upload through.
pub fn check_saved(plan: &Plan, model: &Model) -> Result<(), ColumnsInUse> {
    check(model, &plan.changes, &mut BTreeSet::new())
}

/// What the upload in `change` drops that a layout still uses.
fn dropped_in_use(model: &Model, change: &Change) -> Vec<ColumnInUse> {
    let uploads = matches!(change.action, Action::Update | Action::Replace);
    let Some(csv) = change.csv.as_ref().filter(|_| uploads) else {
        return vec![];
    };
    if change.address.kind != Kind::Table || csv.removed_columns.is_empty() {
        return vec![];
    }
    let key = &change.address.key;
    let mut out = Vec::new();
    for (dashboard_key, dashboard) in &model.dashboards {
        if !dashboard.tables.iter().any(|t| t.as_str() == key.as_str()) {
            continue;
        }
        let Some((layout_key, layout)) = dashboard
            .layout
            .as_ref()
            .and_then(|l| model.layouts.get_key_value(l))
        else {
            continue;
        };
        // A column another table of the dashboard still has may be what the viewer shows.
        let header: BTreeSet<&str> = dashboard
            .tables
            .iter()
            .filter_map(|t| model.tables.get(t))
            .flat_map(|t| t.csv.columns.iter().map(String::as_str))
            .collect();
        for used in &layout.column_uses() {
            if csv.removed_columns.contains(&used.column) && !header.contains(used.column.as_str())
            {
                out.push(ColumnInUse {
                    table: change.address.clone(),
                    column: used.column.clone(),
                    dashboard: Address::dashboard(dashboard_key),
                    layout: layout_key.to_string(),
                    viewer: used.viewer.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing::{Fixture, applied, empty_state, options};
    use crate::plan::{Observed, PlanError, PlanOptions, plan};
    use crate::state::State;

    /// A layout as Datagrok exports it: a grid and a titled bar chart over `orders`.
    const VIEWERS: &str = r##"{"#type":"ViewLayout","viewStateMap":{"tableId":"${table.orders.id}","viewers":[{"type":"Grid","look":{"columnNames":["id","amount"]}},{"type":"Bar chart","look":{"valueColumnName":"amount","title":"Amount"}}]},"columns":[{"name":"id"},{"name":"amount"},{"name":"note"}]}"##;

    /// The sales model with the viewers layout, applied.
    fn applied_with_viewers() -> (Fixture, State) {
        let mut fixture = Fixture::sales();
        fixture.table("orders", "JohnDoe:Sales:Orders", "id,amount,note\n1,5,a\n");
        fixture.layout(VIEWERS);
        let state = applied(&fixture.model(), &empty_state());
        (fixture, state)
    }

    fn refused(fixture: &Fixture, state: &State, options: &PlanOptions) -> ColumnsInUse {
        match plan(&fixture.model(), state, &Observed::default(), options) {
            Err(PlanError::ColumnsInUse(error)) => error,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_renamed_column_a_viewer_uses_is_refused_naming_dashboard_layout_viewer_and_column() {
        let (mut fixture, state) = applied_with_viewers();
        fixture.table_csv("orders", "id,total,note\n1,5,a\n");
        let error = refused(&fixture, &state, &options());
        assert_eq!(
            error.to_string(),
            "the plan uploads a CSV that drops a column a dashboard's layout uses:\n  \
             - table.orders drops column `amount`, used by viewer `Bar chart \"Amount\"` of layout `overview` in dashboard.overview\n  \
             - table.orders drops column `amount`, used by viewer `Grid` of layout `overview` in dashboard.overview"
        );
        assert!(
            error
                .help
                .ends_with("; the new header of table.orders adds `total`: if a column was renamed, rename it in the layout too"),
            "{}",
            error.help
        );
    }

    #[test]
    fn a_column_only_the_layouts_column_list_names_is_refused_too() {
        let (mut fixture, state) = applied_with_viewers();
        fixture.table_csv("orders", "id,amount\n1,5\n");
        let error = refused(&fixture, &state, &options());
        assert_eq!(
            error
                .uses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "table.orders drops column `note`, used by the column list of layout `overview` in dashboard.overview"
            ]
        );
    }

    #[test]
    fn a_column_another_table_of_the_dashboard_has_or_no_layout_uses_passes() {
        let (mut fixture, state) = applied_with_viewers();
        // `customers` still has `id`; an added (`extra2`) or reordered column breaks nothing
        fixture.table_csv("orders", "note,amount,extra2\n1,5,a\n");
        let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
        assert_eq!(plan.changes[2].address, Address::table("orders"));
        assert_eq!(
            plan.changes[2].csv.as_ref().unwrap().removed_columns,
            ["id"]
        );
    }

    #[test]
    fn allow_column_removal_uploads_with_a_warning() {
        let (mut fixture, state) = applied_with_viewers();
        fixture.table_csv("orders", "id,note\n1,a\n");
        fixture
            .model_mut()
            .tables
            .get_mut("orders")
            .unwrap()
            .allow_column_removal = true;
        let plan = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
        assert_eq!(plan.changes[2].action, Action::Update);
        assert!(
            plan.warnings.contains(&"table.orders drops column `amount`, used by viewer `Grid` of layout `overview` in dashboard.overview; uploaded anyway (`allow_column_removal: true`): the viewer will show nothing".to_string()),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn a_plan_that_does_not_upload_the_table_passes() {
        let (mut fixture, state) = applied_with_viewers();
        fixture.table_csv("orders", "id\n1\n");
        let targeted = PlanOptions {
            targets: vec![Address::file("raw-sales")],
            ..options()
        };
        assert!(plan(&fixture.model(), &state, &Observed::default(), &targeted).is_ok());
        // a first upload has no old header to lose
        assert!(
            plan(
                &fixture.model(),
                &empty_state(),
                &Observed::default(),
                &options()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_saved_plan_is_checked_again_before_it_is_applied() {
        let (mut fixture, state) = applied_with_viewers();
        fixture.table_csv("orders", "id,note\n1,a\n");
        let mut allowed = fixture.model();
        allowed
            .tables
            .get_mut("orders")
            .unwrap()
            .allow_column_removal = true;
        let saved = plan(&allowed, &state, &Observed::default(), &options()).unwrap();
        assert_eq!(check_saved(&saved, &allowed), Ok(()));
        let error = check_saved(&saved, &fixture.model()).unwrap_err();
        assert_eq!(error.uses.len(), 2);
    }
}
