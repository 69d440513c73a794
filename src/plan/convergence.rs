//! Property: whatever the manifest edits, applying a plan (as the applier records it) leaves
//! the next plan with nothing to do. This is what keeps planner and applier consistent.

use proptest::prelude::*;

use super::testing::{Fixture, applied, empty_state, options};
use super::{Action, Observed, plan};
use crate::model::{Access, RunPolicy};

#[derive(Clone, Debug)]
enum Edit {
    TableData(u8),
    RenameTable(u8),
    Layout(u8),
    DropLayout,
    ShareAccess(bool),
    RemoveShare,
    RemoveFile,
    FilePath(u8),
    CallParam(u8),
    CallAlways,
    DashboardName(u8),
    DropTableFromDashboard,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<u8>().prop_map(Edit::TableData),
        any::<u8>().prop_map(Edit::RenameTable),
        any::<u8>().prop_map(Edit::Layout),
        Just(Edit::DropLayout),
        any::<bool>().prop_map(Edit::ShareAccess),
        Just(Edit::RemoveShare),
        Just(Edit::RemoveFile),
        any::<u8>().prop_map(Edit::FilePath),
        any::<u8>().prop_map(Edit::CallParam),
        Just(Edit::CallAlways),
        any::<u8>().prop_map(Edit::DashboardName),
        Just(Edit::DropTableFromDashboard),
    ]
}

fn apply_edit(fixture: &mut Fixture, edit: &Edit) {
    match edit {
        Edit::TableData(n) => fixture.table_csv("orders", &format!("id,amount\n1,{n}\n")),
        Edit::RenameTable(n) => {
            let csv = "id,name\n1,Ann\n";
            fixture.table("customers", &format!("JohnDoe:Sales:Customers{n}"), csv);
        }
        Edit::Layout(n) => {
            fixture.layout(&format!("{{\"table\":\"${{table.orders.id}}\",\"n\":{n}}}"))
        }
        Edit::DropLayout => fixture.drop_layout(),
        Edit::ShareAccess(edit) => {
            let access = if *edit { Access::Edit } else { Access::View };
            fixture.share("overview", "Analysts", access);
        }
        Edit::RemoveShare => fixture.remove_share("overview", "Managers"),
        Edit::RemoveFile => fixture.model_mut().files.clear(),
        Edit::FilePath(n) => {
            if let Some(file) = fixture.model_mut().files.get_mut("raw-sales") {
                file.path = format!("Sales/raw/{n}.csv").into();
            }
        }
        Edit::CallParam(n) => {
            let call = fixture.model_mut().calls.get_mut("refresh").unwrap();
            call.params.insert("n".into(), (*n).into());
        }
        Edit::CallAlways => {
            fixture.model_mut().calls.get_mut("refresh").unwrap().run = RunPolicy::Always;
        }
        Edit::DashboardName(n) => {
            fixture
                .model_mut()
                .dashboards
                .get_mut("overview")
                .unwrap()
                .name = format!("Sales {n}").into();
        }
        Edit::DropTableFromDashboard => {
            let dashboard = fixture.model_mut().dashboards.get_mut("overview").unwrap();
            dashboard.tables.retain(|t| t != "customers");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn applying_a_plan_converges(edits in proptest::collection::vec(edit(), 1..6)) {
        let mut fixture = Fixture::sales();
        let mut state = applied(&fixture.model(), &empty_state());
        for edit in &edits {
            apply_edit(&mut fixture, edit);
            state = applied(&fixture.model(), &state);
            let next = plan(&fixture.model(), &state, &Observed::default(), &options()).unwrap();
            let pending: Vec<String> = next
                .changes
                .iter()
                .filter(|c| c.action != Action::NoOp && !(c.action == Action::Run && c.reasons == ["run: always"]))
                .map(|c| format!("{} {} {:?}", c.action.as_str(), c.address, c.reasons))
                .collect();
            prop_assert!(pending.is_empty(), "after {edit:?}: {pending:#?}");
        }
    }
}
