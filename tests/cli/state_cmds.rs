//! `grokform state list|show|rm|mv` through the binary, on local state and on state kept on
//! the emulator: what they print, what they write (serial, backup, lock) and that the server's
//! objects are never touched.

use std::time::Duration;

use grokform::client::{ApiKey, Client};
use grokform::emulator::DEFAULT_API_KEY;
use grokform::state::StateStore;
use serde_json::Value;

use crate::client::fast_options;
use crate::project::{Project, emulator, held};

/// Requests other than reads, from index `from` of the emulator's log.
fn writes_since(server: &grokform::emulator::Emulator, from: usize) -> Vec<String> {
    server.requests()[from..]
        .iter()
        .filter(|r| !r.is_read())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn addresses(state: &Value) -> Vec<String> {
    state["resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn list_and_show_print_the_state_sorted() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let state = project.state();

    let list = project.run(&["state", "list"]);
    list.code(0);
    assert_eq!(
        list.stdout,
        "file.regions-readme\ntable.customers\ntable.orders\ndashboard.customers\n\
         dashboard.sales-overview\nshare.customers.Analysts\nshare.sales-overview.Analysts\n\
         share.sales-overview.Managers\ncall.refresh-caches\n"
    );
    assert_eq!(list.stdout.lines().count(), addresses(&state).len());
    let shares = project.run(&["state", "list", "--kind", "share"]);
    shares.code(0);
    assert_eq!(
        shares.stdout,
        "share.customers.Analysts\nshare.sales-overview.Analysts\nshare.sales-overview.Managers\n"
    );

    let json = project.run(&["state", "show", "table.orders", "--format", "json"]);
    json.code(0);
    let shown: Value = serde_json::from_str(&json.stdout).unwrap();
    let mut expected = state["resources"]["table.orders"].clone();
    expected["address"] = "table.orders".into();
    assert_eq!(shown, expected);

    let human = project.run(&["state", "show", "dashboard.customers"]);
    human.code(0);
    let id = state["resources"]["dashboard.customers"]["remote_id"]
        .as_str()
        .unwrap();
    assert!(
        human.stdout.starts_with("# dashboard.customers\n"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("remote_id "), "{}", human.stdout);
    assert!(human.stdout.contains(id), "{}", human.stdout);
    assert!(human.stdout.contains("status "), "{}", human.stdout);
    // the same run twice prints the same bytes
    assert_eq!(
        project
            .run(&["state", "show", "dashboard.customers"])
            .stdout,
        human.stdout
    );
}

#[test]
fn an_unknown_address_suggests_the_closest_and_changes_nothing() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let before = project.read(".grokform/state.json");
    for args in [
        &["state", "show", "dashboard.sales-overveiw"][..],
        &["state", "rm", "table.orders", "dashboard.sales-overveiw"][..],
        &["state", "mv", "dashboard.sales-overveiw", "dashboard.sales"][..],
    ] {
        let run = project.run(args);
        run.code(1);
        assert!(
            run.stderr
                .contains("`dashboard.sales-overveiw` is not in the state"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("did you mean `dashboard.sales-overview`?"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(project.read(".grokform/state.json"), before, "{args:?}");
    }
}

#[test]
fn mv_renames_with_the_shares_bumps_the_serial_keeps_a_backup_and_asks_the_server_nothing() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let before = project.state();
    let before_text = project.read(".grokform/state.json");
    let requests = server.requests().len();

    let mv = project.run(&["state", "mv", "dashboard.sales-overview", "dashboard.sales"]);
    mv.code(0);
    assert_eq!(
        mv.stdout,
        "Moved `dashboard.sales-overview` to `dashboard.sales`.\n\
         Moved `share.sales-overview.Analysts` to `share.sales.Analysts` with `dashboard.sales-overview`.\n\
         Moved `share.sales-overview.Managers` to `share.sales.Managers` with `dashboard.sales-overview`.\n\
         Saved `.grokform/state.json` (serial {}).\n"
            .replace("{}", &(before["serial"].as_u64().unwrap() + 1).to_string())
    );
    assert_eq!(
        server.requests().len(),
        requests,
        "local state: no request at all"
    );
    let after = project.state();
    assert_eq!(after["serial"], before["serial"].as_u64().unwrap() + 1);
    assert_eq!(project.read(".grokform/state.json.backup"), before_text);
    assert_eq!(
        after["resources"]["dashboard.sales"],
        before["resources"]["dashboard.sales-overview"]
    );
    // the share follows: same grant and dashboard ID, recorded under the new dashboard key
    let share = &after["resources"]["share.sales.Managers"]["attributes"];
    let was = &before["resources"]["share.sales-overview.Managers"]["attributes"];
    assert_eq!(share["dashboard"], "sales");
    for key in ["dashboard_id", "group", "access"] {
        assert_eq!(share[key], was[key], "{key}");
    }
    assert!(after["resources"].get("dashboard.sales-overview").is_none());

    // The manifest renamed the same way: nothing to do, no new dashboard.
    project.edit("grokform.yaml", |m| {
        m.replace("  sales-overview:\n    name:", "  sales:\n    name:")
            .replace("- dashboard: sales-overview", "- dashboard: sales")
    });
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    let requests = server.requests().len();
    project.apply();
    assert_eq!(writes_since(&server, requests), Vec::<String>::new());
    assert_eq!(held(&server, "dashboards").len(), 2);
}

#[test]
fn refused_moves_change_nothing() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let before = project.read(".grokform/state.json");
    for (from, to, message) in [
        (
            "dashboard.customers",
            "dashboard.sales-overview",
            "cannot move `dashboard.customers` to `dashboard.sales-overview`: `dashboard.sales-overview` is already in the state",
        ),
        (
            "table.orders",
            "dashboard.orders",
            "cannot move `table.orders` to `dashboard.orders`: a table cannot become a dashboard",
        ),
        (
            "table.orders",
            "table.orders",
            "cannot move `table.orders` onto itself",
        ),
    ] {
        let run = project.run(&["state", "mv", from, to]);
        run.code(1);
        let flat = run.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        let flat = flat.replace(" | ", " ");
        assert!(flat.contains(message), "{}", run.stderr);
        assert_eq!(project.read(".grokform/state.json"), before);
    }
}

#[test]
fn rm_forgets_a_dashboard_and_its_shares_but_the_server_keeps_them() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let requests = server.requests().len();
    let rm = project.run(&["state", "rm", "dashboard.customers", "call.refresh-caches"]);
    rm.code(0);
    assert!(
        rm.stdout.starts_with(
            "Removed `dashboard.customers` from the state.\n\
             Removed `share.customers.Analysts` with `dashboard.customers`.\n\
             Removed `call.refresh-caches` from the state.\n"
        ) || rm.stdout.starts_with(
            "Removed `call.refresh-caches` from the state.\n\
             Removed `dashboard.customers` from the state.\n"
        ),
        "{}",
        rm.stdout
    );
    assert_eq!(server.requests().len(), requests);
    let state = project.state();
    let left = addresses(&state);
    assert!(
        !left.contains(&"dashboard.customers".to_string()),
        "{left:?}"
    );
    assert!(
        !left.contains(&"share.customers.Analysts".to_string()),
        "{left:?}"
    );
    assert!(
        !left.contains(&"call.refresh-caches".to_string()),
        "{left:?}"
    );
    assert_eq!(left.len(), 6);
    assert_eq!(held(&server, "dashboards").len(), 2, "the server keeps it");
    // The manifest still has it: the next plan creates it again.
    let plan = project.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains("dashboard.customers"),
        "{}",
        plan.stdout
    );
}

#[test]
fn writes_wait_for_the_lock_and_fail_when_it_stays_held() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let before = project.read(".grokform/state.json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = StateStore::local(project.root(), None);
    let lock = runtime
        .block_on(store.lock("apply", Duration::ZERO))
        .unwrap();
    for args in [
        &["state", "rm", "table.orders"][..],
        &[
            "state",
            "mv",
            "table.orders",
            "table.sales",
            "--lock-timeout",
            "1s",
        ][..],
    ] {
        let run = project.run(args);
        run.code(1);
        assert!(run.stderr.contains("is locked by"), "{}", run.stderr);
        assert_eq!(project.read(".grokform/state.json"), before);
    }
    // Reading needs no lock.
    project.run(&["state", "list"]).code(0);
    drop(lock);
    project.run(&["state", "rm", "table.orders"]).code(0);
}

const REMOTE: &str =
    "state: { backend: datagrok, connector: \"System:AppData\", path: grokform/state.json }\n";

#[test]
fn every_subcommand_works_on_state_kept_on_the_server() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.edit("grokform.yaml", |m| {
        m.replace("version: 1\n", &format!("version: 1\n{REMOTE}"))
    });
    project.apply();
    assert!(!project.path(".grokform/state.json").exists());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(
        &server.url(),
        ApiKey::new(DEFAULT_API_KEY.into()).unwrap(),
        fast_options(),
    )
    .unwrap();
    let remote = || -> Value {
        let bytes = runtime
            .block_on(client.download_file("System:AppData", "grokform/state.json"))
            .unwrap()
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let before = remote();

    let list = project.run(&["state", "list", "--kind", "dashboard"]);
    list.code(0);
    assert_eq!(
        list.stdout,
        "dashboard.customers\ndashboard.sales-overview\n"
    );
    let show = project.run(&["state", "show", "table.orders", "--format", "json"]);
    show.code(0);
    let shown: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(
        shown["remote_id"],
        before["resources"]["table.orders"]["remote_id"]
    );

    let mv = project.run(&["state", "mv", "table.orders", "table.sales"]);
    mv.code(0);
    assert!(
        mv.stdout.ends_with(&format!(
            "Saved `System:AppData/grokform/state.json on the server` (serial {}).\n",
            before["serial"].as_u64().unwrap() + 1
        )),
        "{}",
        mv.stdout
    );
    let moved = remote();
    assert_eq!(moved["serial"], before["serial"].as_u64().unwrap() + 1);
    assert_eq!(
        moved["resources"]["table.sales"],
        before["resources"]["table.orders"]
    );
    // the local copy of the remote state follows what the server holds
    let copy: Value = serde_json::from_str(&project.read(".grokform/remote-state.json")).unwrap();
    assert_eq!(copy, moved);

    let rm = project.run(&["state", "rm", "table.sales"]);
    rm.code(0);
    let removed = remote();
    assert_eq!(removed["serial"], before["serial"].as_u64().unwrap() + 2);
    assert!(removed["resources"].get("table.sales").is_none());
    assert_eq!(
        held(&server, "tables").len(),
        2,
        "the server keeps the table"
    );
    assert_eq!(
        runtime
            .block_on(client.download_file("System:AppData", "grokform/state.json.lock"))
            .unwrap(),
        None,
        "the lock is let go"
    );
    let unknown = project.run(&["state", "rm", "table.orders"]);
    unknown.code(1);
    assert!(
        unknown.stderr.contains("did you mean `table.customers`?")
            || unknown.stderr.contains("is not in the state"),
        "{}",
        unknown.stderr
    );
}
