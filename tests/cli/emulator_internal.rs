//! The emulator's internal routes (`datagrok-api.md`, "Reading back, deleting and revoking")
//! over real HTTP: what the public routes created reads back as projects, layouts, permission
//! rows and tables, with the real server's envelopes; deletes, revokes and in-place saves.

use grokform::emulator::Emulator;
use serde_json::{Value, json};

use crate::emulator_http::{api, start, upload_table};

/// A dashboard over `tables`, created through the public route; its ID.
fn dashboard(emulator: &Emulator, name: &str, tables: &[&str], layout: Option<Value>) -> String {
    let mut req = api(
        emulator,
        "POST",
        &format!("/public/v1/dashboards/{name}/{}", tables.join(",")),
    );
    if let Some(layout) = layout {
        req = req.body(layout.to_string());
    }
    let answer = req.send();
    answer.ok().json()["ID"].as_str().unwrap().to_owned()
}

fn share(emulator: &Emulator, id: &str, groups: &str, access: &str) {
    api(
        emulator,
        "POST",
        &format!("/public/v1/entities/{id}/shares?groups={groups}&access={access}"),
    )
    .send()
    .ok();
}

fn get(emulator: &Emulator, path: &str) -> Value {
    api(emulator, "GET", path).send().ok().json()
}

fn layout() -> Value {
    json!({
        "#type": "ViewLayout",
        "viewStateMap": {
            "tableId": "t",
            "viewers": [
                {"type": "Grid", "look": {"#type": "GridLookSettings"}},
                {"type": "Bar chart", "look": {"title": "Revenue by region"}},
            ],
        },
        "columns": [{"name": "region", "entityTags": [{"tag": "units"}]}],
    })
}

#[test]
fn server_info_unknown_routes_and_auth() {
    let emulator = start();
    let info = get(&emulator, "/info/server");
    assert_eq!(info["Version"], env!("CARGO_PKG_VERSION"));
    assert!(info["Commit"].is_string());
    let unknown = api(&emulator, "GET", "/nowhere/at/all").send();
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("<html>"));
    let wrong = api(&emulator, "PUT", "/projects").send();
    assert_eq!(
        (wrong.status, wrong.header("allow")),
        (405, Some("GET, POST"))
    );
    let anonymous = api(&emulator, "GET", "/projects").without_auth().send();
    assert_eq!(anonymous.status, 401);
}

#[test]
fn a_dashboard_made_by_the_public_route_reads_back_as_a_project() {
    let emulator = start();
    let orders = upload_table(&emulator, "Admin.Sales.Orders", "region,revenue\neu,1.5\n");
    let id = dashboard(&emulator, "Sales%20overview", &[&orders], None);
    let project = get(&emulator, &format!("/projects/{id}"));
    assert_eq!(project["#type"], "Project");
    assert_eq!(project["id"], id.as_str());
    assert_eq!(project["name"], "Sales overview");
    assert_eq!(project["friendlyName"], "Sales overview");
    assert_eq!(project["namespace"], "Admin:");
    assert!(project["updatedOn"].as_str().unwrap().ends_with('Z'));
    let relations = project["relations"].as_array().unwrap();
    assert_eq!(relations.len(), 1);
    assert_eq!(relations[0]["entity"]["id"], orders.as_str());
    assert_eq!(relations[0]["entity"]["name"], "Orders");
    assert_eq!(relations[0]["entity"]["namespace"], "Admin:Sales:");

    let listed = get(
        &emulator,
        &format!("/projects/relations?projectId={id}&include=entity"),
    );
    assert_eq!(listed, project["relations"]);
    let bare = get(&emulator, &format!("/projects/relations?projectId={id}"));
    assert_eq!(
        bare[0]["entity"],
        json!({"#type": "TableInfo", "id": orders})
    );

    // a missing project is HTTP 200 with the ApiError envelope, on every read
    let missing = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/projects/{missing}"),
        format!("/projects/relations?projectId={missing}"),
        format!("/entities/{missing}"),
        "/projects/not-an-id".to_owned(),
    ] {
        let message = api(&emulator, "GET", &path).send().api_error();
        assert!(message.contains("not found"), "{path}: {message}");
    }
    assert_eq!(
        get(&emulator, &format!("/layouts?projectId={missing}")),
        json!([])
    );

    // entities by id (an array of one) and by namespace and name
    let entity = get(&emulator, &format!("/entities/{id}"));
    assert_eq!(entity.as_array().unwrap().len(), 1);
    assert_eq!(entity[0]["#type"], "Project");
    let table = get(&emulator, &format!("/entities/{orders}"));
    assert_eq!(table[0]["#type"], "TableInfo");
    let by_name = get(
        &emulator,
        "/entities?namespace=Admin:&name=sales%20overview",
    );
    assert_eq!(by_name.as_array().unwrap().len(), 1);
    assert_eq!(by_name[0]["id"], id.as_str());
    assert_eq!(
        get(
            &emulator,
            "/entities?namespace=JohnDoe:&name=Sales%20overview"
        ),
        json!([])
    );
}

#[test]
fn layouts_read_back_with_stable_server_owned_fields() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "region\neu\n");
    let id = dashboard(&emulator, "D", &[&table], Some(layout()));
    let first = get(&emulator, &format!("/layouts?projectId={id}"));
    assert_eq!(first, get(&emulator, &format!("/layouts?projectId={id}")));
    let served = &first[0];
    assert_eq!(served["#type"], "ViewLayout");
    assert!(served["id"].is_string());
    assert!(served["createdOn"].is_string());
    assert_eq!(
        served["author"]["id"],
        "878c42b0-9a50-11e6-c537-6bf8e9ab02ee"
    );
    for viewer in served["viewStateMap"]["viewers"].as_array().unwrap() {
        assert_eq!(viewer["id"].as_str().unwrap().len(), 36, "{viewer}");
    }
    assert!(served["columns"][0]["entityTags"][0]["id"].is_string());
    assert_eq!(
        served["viewStateMap"]["viewers"][1]["look"]["title"],
        "Revenue by region"
    );
    // what was sent is kept as sent: the server's fields are added on the way out
    let inspected = emulator.inspect();
    assert_eq!(inspected["dashboards"][0]["layout"], layout());

    let views = get(&emulator, &format!("/views?projectId={id}"));
    assert_eq!(views[0]["#type"], "ViewInfo");
    let layout_entity = get(
        &emulator,
        &format!("/entities/{}", served["id"].as_str().unwrap()),
    );
    assert_eq!(layout_entity[0]["#type"], "ViewLayout");

    // a dashboard without a layout has no layout and no view
    let bare = dashboard(&emulator, "Bare", &[&table], None);
    assert_eq!(
        get(&emulator, &format!("/layouts?projectId={bare}")),
        json!([])
    );
    assert_eq!(
        get(&emulator, &format!("/views?projectId={bare}")),
        json!([])
    );
    let message = api(&emulator, "GET", "/layouts").send().api_error();
    assert!(message.contains("projectId"), "{message}");
}

#[test]
fn a_layout_saved_by_its_id_changes_in_place() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "region\neu\n");
    let id = dashboard(&emulator, "D", &[&table], Some(layout()));
    let before = get(&emulator, &format!("/projects/{id}"));
    let mut edited = get(&emulator, &format!("/layouts?projectId={id}"))[0].clone();
    edited["viewStateMap"]["viewers"][1]["look"]["title"] = json!("Revenue per region");
    let saved = api(&emulator, "POST", "/layouts")
        .body(edited.to_string())
        .send()
        .ok()
        .json();
    assert_eq!(saved["id"], edited["id"]);
    let after = get(&emulator, &format!("/layouts?projectId={id}"));
    assert_eq!(
        after[0]["viewStateMap"]["viewers"][1]["look"]["title"],
        "Revenue per region"
    );
    assert!(after[0]["createdOn"].as_str() > before["updatedOn"].as_str());
    let project = get(&emulator, &format!("/projects/{id}"));
    assert!(project["updatedOn"].as_str() > before["updatedOn"].as_str());

    let unknown = json!({"id": "00000000-0000-4000-8000-000000000000", "#type": "ViewLayout"});
    let message = api(&emulator, "POST", "/layouts")
        .body(unknown.to_string())
        .send()
        .api_error();
    assert!(message.contains("not found"), "{message}");
}

#[test]
fn projects_list_in_pages_from_one_and_filter_by_free_text() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "a\n1\n");
    let ids: Vec<String> = ["Alpha", "Beta", "alphabet", "Gamma", "Delta"]
        .iter()
        .map(|name| dashboard(&emulator, name, &[&table], None))
        .collect();
    let names = |path: &str| -> Vec<String> {
        get(&emulator, path)
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("/projects?limit=2&page=1"), ["Alpha", "Beta"]);
    assert_eq!(names("/projects?limit=2&page=2"), ["alphabet", "Gamma"]);
    assert_eq!(names("/projects?limit=2&page=3"), ["Delta"]);
    assert_eq!(names("/projects?limit=2&page=4"), Vec::<String>::new());
    assert_eq!(names("/projects?limit=2&page=0"), ["Alpha", "Beta"]);
    assert_eq!(
        names("/projects?text=ALPHA&includeRoot=true&limit=500&page=1"),
        ["Alpha", "alphabet"]
    );
    assert_eq!(names("/projects").len(), 5);
    // lists are light: no relations
    assert!(get(&emulator, "/projects")[0].get("relations").is_none());
    // the smart filter clients use for "changed since"
    let gamma = get(&emulator, &format!("/projects/{}", ids[3]));
    let since = gamma["updatedOn"].as_str().unwrap();
    assert_eq!(
        names(&format!("/projects?text=updatedOn%20%3E%20%22{since}%22")),
        ["Delta"]
    );
    let message = api(&emulator, "GET", "/projects?limit=many")
        .send()
        .api_error();
    assert!(message.contains("limit"), "{message}");
}

#[test]
fn saving_a_project_by_id_updates_it_in_place_and_can_replace_its_relations() {
    let emulator = start();
    let a = upload_table(&emulator, "A", "x\n1\n");
    let b = upload_table(&emulator, "B", "y\n2\n");
    let id = dashboard(&emulator, "Report", &[&a], None);
    let before = get(&emulator, &format!("/projects/{id}"));

    // a rename in place: same id
    let renamed = api(&emulator, "POST", "/projects")
        .body(json!({"id": id, "name": "Report 2", "friendlyName": "Report 2"}).to_string())
        .send()
        .ok()
        .json();
    assert_eq!(renamed["id"], id.as_str());
    assert_eq!(renamed["name"], "Report 2");
    assert!(renamed["updatedOn"].as_str() > before["updatedOn"].as_str());
    // without saveRelations the relations are left alone
    assert_eq!(renamed["relations"].as_array().unwrap().len(), 1);

    // saveRelations replaces the whole set
    let mut payload = get(&emulator, &format!("/projects/{id}"));
    payload["relations"] = json!([{"entity": {"#type": "TableInfo", "id": b}}]);
    let saved = api(&emulator, "POST", "/projects?saveRelations=true")
        .body(payload.to_string())
        .send()
        .ok()
        .json();
    let related: Vec<&str> = saved["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(related, [b.as_str()]);
    assert_eq!(emulator.inspect()["dashboards"][0]["table_ids"], json!([b]));

    // an unknown entity in the relations is refused and changes nothing
    payload["relations"] = json!([{"entity": {"id": "00000000-0000-4000-8000-000000000000"}}]);
    let message = api(&emulator, "POST", "/projects?saveRelations=true")
        .body(payload.to_string())
        .send()
        .api_error();
    assert!(message.contains("not found"), "{message}");
    assert_eq!(emulator.inspect()["dashboards"][0]["table_ids"], json!([b]));

    // a client-chosen id that does not exist yet creates the project under it; a taken name
    // is saved as `Name_1`, then `Name_2`
    let chosen = "4f1c1a8e-7b0e-4c8e-9d51-2a3b4c5d6e7f";
    let created = api(&emulator, "POST", "/projects")
        .body(json!({"id": chosen, "name": "Report 2"}).to_string())
        .send()
        .ok()
        .json();
    assert_eq!(
        (created["id"].as_str(), created["name"].as_str()),
        (Some(chosen), Some("Report 2_1"))
    );
    let third = api(&emulator, "POST", "/projects")
        .body(json!({"name": "report 2"}).to_string())
        .send()
        .ok()
        .json();
    assert_eq!(third["name"], "report 2_2");
    assert_eq!(
        get(&emulator, &format!("/projects/{chosen}"))["name"],
        "Report 2_1"
    );

    for bad in [
        json!([1]),
        json!({"id": "nope", "name": "x"}),
        json!({"description": "no name"}),
    ] {
        let message = api(&emulator, "POST", "/projects")
            .body(bad.to_string())
            .send()
            .api_error();
        assert!(!message.is_empty());
    }
}

#[test]
fn permissions_list_grant_and_revoke_with_inherited_rows() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "a\n1\n");
    let id = dashboard(&emulator, "D", &[&table], None);
    share(&emulator, &id, "Analysts", "View");
    share(&emulator, &id, "Managers", "Edit");
    let rows = get(
        &emulator,
        &format!("/privileges/permissions?entityId={id}&all=true"),
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["entityId"], id.as_str());
    assert_eq!(rows[0]["userGroup"]["name"], "Analysts");
    assert_eq!(rows[0]["userGroup"]["friendlyName"], "Analysts");
    assert!(rows[0]["userGroup"]["id"].is_string());
    assert_eq!(rows[0]["permission"]["name"], "View");
    assert_eq!(rows[1]["permission"]["name"], "Edit");
    // only `all=true` hydrates the permission's name
    let plain = get(&emulator, &format!("/privileges/permissions?entityId={id}"));
    assert!(plain[0]["permission"].get("name").is_none());
    assert!(plain[0]["permission"]["id"].is_string());
    // a table inherits the rows of the dashboard holding it (under the dashboard's id)
    let inherited = get(
        &emulator,
        &format!("/privileges/permissions?entityId={table}&all=true"),
    );
    assert_eq!(inherited.as_array().unwrap().len(), 2);
    assert!(
        inherited
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["entityId"] == id.as_str())
    );
    assert_eq!(
        get(
            &emulator,
            &format!("/privileges/permissions?entityId={table}")
        ),
        json!([])
    );

    // grant through the internal route, by group name or id
    let developers = api(&emulator, "POST", "/privileges/permissions")
        .body(
            json!({"entityId": id, "userGroup": {"name": "developers"}, "permission": {"name": "View"}})
                .to_string(),
        )
        .send()
        .ok()
        .json();
    assert_eq!(developers["userGroup"]["name"], "Developers");
    assert_eq!(developers["permission"]["name"], "View");
    let by_id = api(&emulator, "POST", "/privileges/permissions")
        .body(
            json!([{"entityId": id, "userGroup": {"id": rows[0]["userGroup"]["id"]}, "permission": {"name": "Edit"}}])
                .to_string(),
        )
        .send()
        .ok()
        .json();
    assert_eq!(by_id[0]["permission"]["name"], "Edit");
    assert_eq!(
        by_id[0]["id"], rows[0]["id"],
        "raising View to Edit keeps the row"
    );
    let shares = emulator.inspect()["shares"].clone();
    assert_eq!(shares.as_array().unwrap().len(), 3);

    // revoke by row id; the row is gone for the public route too
    let before = get(&emulator, &format!("/projects/{id}"))["updatedOn"].clone();
    let row = developers["id"].as_str().unwrap();
    api(
        &emulator,
        "DELETE",
        &format!("/privileges/permissions/{row}"),
    )
    .send()
    .ok();
    let left = get(
        &emulator,
        &format!("/privileges/permissions?entityId={id}&all=true"),
    );
    assert_eq!(left.as_array().unwrap().len(), 2);
    assert!(get(&emulator, &format!("/projects/{id}"))["updatedOn"].as_str() > before.as_str());
    let message = api(
        &emulator,
        "DELETE",
        &format!("/privileges/permissions/{row}"),
    )
    .send()
    .api_error();
    assert!(message.contains("not found"), "{message}");

    for bad in [
        json!({"entityId": id, "userGroup": {"name": "Nobody"}, "permission": {"name": "View"}}),
        json!({"entityId": id, "userGroup": {"name": "Analysts"}, "permission": {"name": "Own"}}),
        json!({"entityId": "00000000-0000-4000-8000-000000000000", "userGroup": {"name": "Analysts"}, "permission": {"name": "View"}}),
    ] {
        api(&emulator, "POST", "/privileges/permissions")
            .body(bad.to_string())
            .send()
            .api_error();
    }
    assert_eq!(emulator.inspect()["shares"].as_array().unwrap().len(), 2);
}

#[test]
fn tables_read_back_with_column_types_and_delete_everywhere() {
    let emulator = start();
    let orders = upload_table(
        &emulator,
        "Admin.Sales.Orders",
        "id,when,revenue,paid,note\n1,2024-01-02,1.5,true,x\n2,2024-01-03,2,false,\n",
    );
    upload_table(&emulator, "Admin.Sales.Customers", "name\nAcme\n");
    let info = get(&emulator, &format!("/tables/{orders}"));
    assert_eq!(info["#type"], "TableInfo");
    assert_eq!(info["name"], "Orders");
    assert_eq!(info["namespace"], "Admin:Sales:");
    assert_eq!(info["rowCount"], 2);
    assert_eq!(
        info["columns"],
        json!([
            {"#type": "ColumnInfo", "name": "id", "type": "int"},
            {"#type": "ColumnInfo", "name": "when", "type": "datetime"},
            {"#type": "ColumnInfo", "name": "revenue", "type": "double"},
            {"#type": "ColumnInfo", "name": "paid", "type": "bool"},
            {"#type": "ColumnInfo", "name": "note", "type": "string"},
        ])
    );
    let found = get(&emulator, "/tables?text=orders&limit=100");
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], orders.as_str());
    assert_eq!(
        get(&emulator, "/tables?text=sales")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        get(&emulator, "/tables?text=sales&limit=1")
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // re-uploading changes updatedOn, not the id
    let before = info["updatedOn"].clone();
    upload_table(&emulator, "Admin.Sales.Orders", "id\n1\n");
    let after = get(&emulator, &format!("/tables/{orders}"));
    assert!(after["updatedOn"].as_str() > before.as_str());
    assert_eq!(after["createdOn"], info["createdOn"]);

    // a delete is global: the table, its data and its place in every dashboard go
    let id = dashboard(&emulator, "D", &[&orders], None);
    share(&emulator, &orders, "Analysts", "View");
    api(&emulator, "DELETE", &format!("/tables/{orders}"))
        .send()
        .ok();
    let message = api(&emulator, "GET", &format!("/tables/{orders}"))
        .send()
        .api_error();
    assert!(message.contains("not found"), "{message}");
    api(&emulator, "GET", &format!("/public/v1/tables/{orders}"))
        .send()
        .api_error();
    assert_eq!(
        get(&emulator, &format!("/projects/{id}"))["relations"],
        json!([])
    );
    assert_eq!(emulator.inspect()["shares"], json!([]));
    let message = api(&emulator, "DELETE", &format!("/tables/{orders}"))
        .send()
        .api_error();
    assert!(message.contains("not found"), "{message}");
}

#[test]
fn deleting_a_project_removes_it_and_its_grants_but_not_its_tables() {
    let emulator = start();
    let table = upload_table(&emulator, "T", "a\n1\n");
    let id = dashboard(&emulator, "D", &[&table], Some(layout()));
    share(&emulator, &id, "Analysts", "View");
    api(&emulator, "DELETE", &format!("/projects/{id}"))
        .send()
        .ok();
    api(&emulator, "GET", &format!("/projects/{id}"))
        .send()
        .api_error();
    assert_eq!(
        get(&emulator, &format!("/layouts?projectId={id}")),
        json!([])
    );
    assert_eq!(
        get(
            &emulator,
            &format!("/privileges/permissions?entityId={id}&all=true")
        ),
        json!([])
    );
    let held = emulator.inspect();
    assert_eq!(
        (held["dashboards"].clone(), held["shares"].clone()),
        (json!([]), json!([]))
    );
    assert_eq!(held["tables"].as_array().unwrap().len(), 1);
    let message = api(&emulator, "DELETE", &format!("/projects/{id}"))
        .send()
        .api_error();
    assert!(message.contains("not found"), "{message}");
}

#[test]
fn what_grokform_applies_reads_back_through_the_internal_routes() {
    use crate::project::{Project, emulator};

    let emulator = emulator();
    let project = Project::quickstart(&emulator);
    project.apply();
    let state = project.state();
    let id = |address: &str| {
        state["resources"][address]["remote_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (orders, customers) = (id("table.orders"), id("table.customers"));
    let overview = id("dashboard.sales-overview");

    let project_json = get(&emulator, &format!("/projects/{overview}"));
    assert_eq!(project_json["name"], "Sales overview");
    let mut related: Vec<String> = project_json["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity"]["id"].as_str().unwrap().to_owned())
        .collect();
    related.sort();
    let mut expected = vec![orders.clone(), customers];
    expected.sort();
    assert_eq!(related, expected);

    // the layout grokform sent, with `${table.orders.id}` filled in, plus the server's fields
    let layout = &get(&emulator, &format!("/layouts?projectId={overview}"))[0];
    assert_eq!(layout["viewStateMap"]["tableId"], orders.as_str());
    assert!(
        layout["viewStateMap"]["viewers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["id"].is_string())
    );

    let grants: Vec<(String, String)> = get(
        &emulator,
        &format!("/privileges/permissions?entityId={overview}&all=true"),
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|r| {
        (
            r["userGroup"]["name"].as_str().unwrap().to_owned(),
            r["permission"]["name"].as_str().unwrap().to_owned(),
        )
    })
    .collect();
    assert_eq!(
        grants,
        [
            ("Analysts".to_owned(), "View".to_owned()),
            ("Managers".to_owned(), "View".to_owned())
        ]
    );

    let table = get(&emulator, &format!("/tables/{orders}"));
    assert_eq!(table["name"], "Orders");
    assert_eq!(table["namespace"], "Admin:Sales:");
    let columns = table["columns"].as_array().unwrap();
    assert_eq!(columns[0]["name"], "order_id");
    assert!(columns.iter().any(|c| c["type"] == "double"), "{columns:?}");
    let found = get(
        &emulator,
        "/projects?text=sales&includeRoot=true&limit=500&page=1",
    );
    assert_eq!(found.as_array().unwrap().len(), 2);
}
