//! `grokform refresh` names the columns a dashboard's layout uses that its tables lack on the
//! server (a column dropped in the web UI), as a notice beside the drift.

use crate::emulator_http::raw;
use crate::project::{Project, emulator};

#[test]
fn a_column_dropped_in_the_ui_is_reported_for_the_layout_that_uses_it() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let clean = project.run(&["refresh"]);
    clean.code(0);
    assert!(!clean.stdout.contains("uses column"), "{}", clean.stdout);

    let orders = project.state()["resources"]["table.orders"]["remote_id"]
        .as_str()
        .unwrap()
        .to_string();
    // the orders without their `revenue` column, as a person would save them in the UI
    let data = project.read("data/orders.csv");
    let without: String = data
        .lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.remove(7);
            cells.join(",") + "\n"
        })
        .collect();
    assert!(without.starts_with(
        "order_id,order_date,customer_id,region,product,quantity,unit_price,status\n"
    ));
    let answer = raw(
        &server,
        "POST",
        &format!("/_emulator/ui/tables/{orders}/data"),
    )
    .body(without)
    .send();
    assert!((200..300).contains(&answer.status), "{}", answer.text());

    let run = project.run(&["refresh"]);
    run.code(0);
    assert!(
        run.stdout.contains("dashboard.sales-overview: viewer `")
            && run
                .stdout
                .contains("of layout `sales-overview` uses column `revenue`, which no table of the dashboard has on the server"),
        "{}",
        run.stdout
    );
    // only the column that is gone
    assert_eq!(
        run.stdout.matches("uses column").count(),
        run.stdout.matches("uses column `revenue`").count()
    );
    let json = project.run(&["refresh", "--format", "json"]);
    assert!(
        json.stdout.contains("uses column `revenue`"),
        "{}",
        json.stdout
    );
}
