//! The JSON of the internal routes: projects, relations, tables, layouts, views, entities and
//! permission rows, shaped as `datagrok-api.md` and Datagrok's own CLI read them. One place, so
//! a project reads the same from `/projects/{id}`, `/projects` and `/entities/{id}`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::emulator::directory::{ADMIN, ADMIN_ID, GroupInfo};
use crate::emulator::ids::{derived, timestamp};
use crate::emulator::store::{DashboardMeta, ShareMeta, TableMeta};

/// The namespace of everything the (single) user creates: `Admin:`.
pub fn user_namespace() -> String {
    format!("{}:", ADMIN.name)
}

/// The `author` of everything the emulator holds: the user every key acts as.
fn author() -> Value {
    json!({"id": ADMIN_ID})
}

/// Tables by ID, for hydrating relations.
pub type TableIndex = HashMap<Uuid, TableMeta>;

/// A table index over `tables`.
pub fn index(tables: Vec<TableMeta>) -> TableIndex {
    tables.into_iter().map(|t| (t.id, t)).collect()
}

/// A dashboard as a project; `relations` adds its `relations[]` (hydrated).
pub fn project(dashboard: &DashboardMeta, tables: &TableIndex, relations: bool) -> Value {
    let mut value = json!({
        "#type": "Project",
        "id": dashboard.id,
        "name": dashboard.name,
        "friendlyName": dashboard.friendly_name(),
        "namespace": user_namespace(),
        "description": "",
        "isDashboard": true,
        "createdOn": timestamp(dashboard.created_on),
        "updatedOn": timestamp(dashboard.updated_on),
        "author": author(),
    });
    if relations {
        value["relations"] = Value::Array(project_relations(dashboard, tables, true));
    }
    value
}

/// The relations of a dashboard: one per table it holds, the table itself as `entity` (just
/// its type and id unless `hydrate`).
pub fn project_relations(
    dashboard: &DashboardMeta,
    tables: &TableIndex,
    hydrate: bool,
) -> Vec<Value> {
    dashboard
        .table_ids
        .iter()
        .filter_map(|id| tables.get(id))
        .map(|table| {
            let entity = if hydrate {
                table_info(table, false)
            } else {
                json!({"#type": "TableInfo", "id": table.id})
            };
            json!({
                "#type": "ProjectRelation",
                "id": derived(&[b"relation", dashboard.id.as_bytes(), table.id.as_bytes()]),
                "projectId": dashboard.id,
                "entity": entity,
                "isLink": false,
            })
        })
        .collect()
}

/// A table as `TableInfo`; `columns` adds its columns (name and Datagrok type).
pub fn table_info(table: &TableMeta, columns: bool) -> Value {
    let mut value = json!({
        "#type": "TableInfo",
        "id": table.id,
        "name": table.table,
        "friendlyName": table.table,
        "namespace": format!("{}:{}:", table.namespace, table.project),
        "rowCount": table.rows,
        "colCount": table.columns.len(),
        "createdOn": timestamp(table.created_on),
        "updatedOn": timestamp(table.updated_on),
        "author": author(),
    });
    if columns {
        value["columns"] = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let kind = table.types.get(i).map_or("string", String::as_str);
                json!({"#type": "ColumnInfo", "name": name, "type": kind})
            })
            .collect();
    }
    value
}

/// The name of a dashboard's layout: its own `name`, else the dashboard's.
fn layout_name(dashboard: &DashboardMeta) -> String {
    dashboard
        .layout
        .as_ref()
        .and_then(|l| l.get("name"))
        .and_then(Value::as_str)
        .unwrap_or(&dashboard.name)
        .to_owned()
}

/// A dashboard's layout entity without its content (for `/entities`).
pub fn layout_entity(dashboard: &DashboardMeta) -> Value {
    let name = layout_name(dashboard);
    json!({
        "#type": "ViewLayout",
        "id": dashboard.layout_id(),
        "name": name,
        "friendlyName": name,
        "namespace": user_namespace(),
        "createdOn": timestamp(dashboard.layout_saved_on),
        "updatedOn": timestamp(dashboard.layout_saved_on),
        "author": author(),
    })
}

/// A dashboard's layout as the server returns it: what was sent plus the fields the server
/// owns and that change on every save (`datagrok-api.md`, "Names and layouts"): the layout's
/// `id`, `createdOn`, `author.id`, an `id` on every viewer element and on every
/// `columns[].entityTags[]` entry that lacks one. Element ids are derived from the dashboard,
/// the save and the element's place, so two reads agree and a new save gives new ones.
pub fn served_layout(dashboard: &DashboardMeta) -> Option<Value> {
    let mut layout = dashboard.layout.clone()?;
    let seed = dashboard.layout_saved_on.to_le_bytes();
    stamp_elements(&mut layout, &|path: &str| {
        derived(&[b"element", dashboard.id.as_bytes(), &seed, path.as_bytes()])
    });
    if let Value::Object(map) = &mut layout {
        map.insert("id".into(), json!(dashboard.layout_id()));
        let name = layout_name(dashboard);
        map.entry("name").or_insert_with(|| json!(name));
        map.entry("friendlyName").or_insert_with(|| json!(name));
        map.insert(
            "createdOn".into(),
            json!(timestamp(dashboard.layout_saved_on)),
        );
        match map.get_mut("author") {
            Some(Value::Object(author)) => {
                author.insert("id".into(), json!(ADMIN_ID));
            }
            _ => {
                map.insert("author".into(), author());
            }
        }
    }
    Some(layout)
}

/// Removes what [`served_layout`] adds (the layout's `id`, element and tag ids), as the web UI
/// does when it saves a layout anew: the next read shows fresh ids.
pub fn strip_server_ids(layout: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let viewer = map.get("type").is_some_and(Value::is_string)
                    && map.get("look").is_some_and(Value::is_object);
                if viewer {
                    map.remove("id");
                }
                if let Some(Value::Array(tags)) = map.get_mut("entityTags") {
                    for tag in tags.iter_mut().filter_map(Value::as_object_mut) {
                        tag.remove("id");
                    }
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Value::Object(map) = layout {
        map.remove("id");
    }
    walk(layout);
}

/// Adds an `id` to every viewer element (an object with a string `type` and an object `look`)
/// and every `entityTags[]` entry that has none, walking the whole document.
fn stamp_elements(value: &mut Value, id_for: &dyn Fn(&str) -> Uuid) {
    fn walk(value: &mut Value, path: &mut String, id_for: &dyn Fn(&str) -> Uuid) {
        match value {
            Value::Object(map) => {
                let viewer = map.get("type").is_some_and(Value::is_string)
                    && map.get("look").is_some_and(Value::is_object);
                if viewer && !map.contains_key("id") {
                    map.insert("id".into(), json!(id_for(path)));
                }
                if let Some(Value::Array(tags)) = map.get_mut("entityTags") {
                    for (i, tag) in tags.iter_mut().enumerate() {
                        if let Value::Object(tag) = tag
                            && !tag.contains_key("id")
                        {
                            let tag_path = format!("{path}/entityTags/{i}");
                            tag.insert("id".into(), json!(id_for(&tag_path)));
                        }
                    }
                }
                for (key, child) in map.iter_mut() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(key);
                    walk(child, path, id_for);
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    walk(child, path, id_for);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    walk(value, &mut String::new(), id_for);
}

/// The view a dashboard with a layout opens in (`/views?projectId=`).
pub fn view(dashboard: &DashboardMeta) -> Value {
    let name = layout_name(dashboard);
    json!({
        "#type": "ViewInfo",
        "id": derived(&[b"view", dashboard.id.as_bytes()]),
        "name": name,
        "friendlyName": name,
        "namespace": user_namespace(),
        "createdOn": timestamp(dashboard.layout_saved_on),
        "updatedOn": timestamp(dashboard.layout_saved_on),
        "author": author(),
    })
}

/// The id of a permission kind (`View`, `Edit`).
fn permission_kind_id(name: &str) -> Uuid {
    derived(&[b"permission-kind", name.as_bytes()])
}

/// A permission row. Only a listing with `all=true` hydrates `permission` with its `name`
/// (as Datagrok's CLI notes); otherwise it carries just the kind's id.
pub fn permission(row: &ShareMeta, group: &GroupInfo, hydrate: bool) -> Value {
    let name = row.access.name();
    let mut kind = Map::new();
    kind.insert("id".into(), json!(permission_kind_id(name)));
    if hydrate {
        kind.insert("name".into(), json!(name));
    }
    json!({
        "#type": "Permission",
        "id": row.id,
        "entityId": row.entity_id,
        "userGroup": group.to_json(),
        "permission": kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dashboard(layout: Value, saved_on: u64) -> DashboardMeta {
        DashboardMeta {
            id: Uuid::nil(),
            name: "D".into(),
            friendly_name: None,
            table_ids: vec![],
            layout: Some(layout),
            created_on: 1,
            updated_on: 1,
            layout_saved_on: saved_on,
        }
    }

    #[test]
    fn served_layouts_gain_the_server_owned_fields_only() {
        let sent = json!({
            "#type": "ViewLayout",
            "viewStateMap": {"viewers": [
                {"type": "Grid", "look": {}},
                {"type": "Bar chart", "look": {"title": "x"}, "id": "kept"},
                {"type": "not a viewer"},
            ]},
            "columns": [{"name": "a", "entityTags": [{"tag": "units"}]}],
            "author": {"login": "someone"},
        });
        let served = served_layout(&dashboard(sent.clone(), 3)).unwrap();
        let viewers = &served["viewStateMap"]["viewers"];
        assert!(viewers[0]["id"].is_string());
        assert_eq!(viewers[1]["id"], "kept");
        assert!(viewers[2].get("id").is_none());
        assert!(served["columns"][0]["entityTags"][0]["id"].is_string());
        assert_eq!(served["createdOn"], "2026-01-01T00:00:03.000Z");
        assert_eq!(
            served["author"],
            json!({"login": "someone", "id": ADMIN_ID})
        );
        assert_eq!(served["name"], "D");
        // the same save reads the same; a new save gets new element ids
        assert_eq!(served_layout(&dashboard(sent.clone(), 3)).unwrap(), served);
        let resaved = served_layout(&dashboard(sent, 4)).unwrap();
        assert_ne!(
            resaved["viewStateMap"]["viewers"][0]["id"],
            viewers[0]["id"]
        );
    }
}
