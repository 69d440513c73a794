//! Projects (a dashboard is one), their relations and layouts, generic entities, and what the
//! server says about itself.

use serde::Deserialize;
use serde_json::Value;

use super::lenient::{self, Record};

/// `GET /info/server`: `{"Version": …, "Commit": …}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ServerInfo {
    #[serde(default, alias = "Version", deserialize_with = "lenient::string")]
    pub version: Option<String>,
    #[serde(default, alias = "Commit", deserialize_with = "lenient::string")]
    pub commit: Option<String>,
}

/// Any entity (`GET /entities/{id}`, or one side of a project relation).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    #[serde(alias = "ID", deserialize_with = "lenient::id")]
    pub id: String,
    /// `#type`: `Project`, `TableInfo`, `ViewLayout`, …
    #[serde(default, rename = "#type", deserialize_with = "lenient::string")]
    pub type_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub updated_on: Option<String>,
    /// The whole JSON of a top-level read (empty for an entity nested in a relation).
    #[serde(skip)]
    pub raw: Value,
}

impl Record for Entity {
    fn id(&self) -> &str {
        &self.id
    }
    fn keep_raw(&mut self, raw: Value) {
        self.raw = raw;
    }
}

/// A project (a dashboard is one): `GET /projects/{id}`, or one result of a search.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    #[serde(alias = "ID", deserialize_with = "lenient::id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// The name people see; a dashboard created as "Sales Overview" has it here.
    #[serde(default, deserialize_with = "lenient::string")]
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub updated_on: Option<String>,
    /// The relations the project read carries (`GET /projects/relations` is the fuller
    /// source; this is its fallback).
    #[serde(default, deserialize_with = "lenient::list")]
    pub relations: Vec<Relation>,
    /// The whole project as the server sent it: an in-place save posts it back changed, never
    /// rebuilt from the few fields above.
    #[serde(skip)]
    pub raw: Value,
}

impl Project {
    /// True when `name` is exactly the project's name or its friendly name (the search
    /// route matches loosely; adopting a dashboard needs an exact match).
    pub fn is_named(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name) || self.friendly_name.as_deref() == Some(name)
    }
}

impl Record for Project {
    fn id(&self) -> &str {
        &self.id
    }
    fn keep_raw(&mut self, raw: Value) {
        self.raw = raw;
    }
}

/// One member of a project: `{id, entity: {…}, isLink}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    #[serde(default, alias = "ID", deserialize_with = "lenient::string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional")]
    pub entity: Option<Entity>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_link: Option<bool>,
}

impl Relation {
    /// The id of the entity the relation holds.
    pub fn entity_id(&self) -> Option<&str> {
        self.entity.as_ref().map(|e| e.id.as_str())
    }
}

/// A relation list is a record when it names an entity.
impl Record for Relation {
    fn id(&self) -> &str {
        self.entity_id().unwrap_or_default()
    }
}

/// Where a project's relations were read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelationSource {
    /// `GET /projects/relations?projectId=…&include=entity`.
    Route,
    /// That route failed (it does on some projects), so the project's own `relations[]`
    /// stands in, as Datagrok's own CLI does; `reason` says how the route failed.
    ProjectFallback { reason: String },
}

/// The relations of a project and where they came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Relations {
    pub items: Vec<Relation>,
    pub source: RelationSource,
}

impl Relations {
    /// The ids of the related entities, sorted, without duplicates.
    pub fn entity_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .items
            .iter()
            .filter_map(|r| r.entity_id().map(str::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// A layout saved in a project (`GET /layouts?projectId=…`). Only its identity is typed;
/// the layout itself is `raw`, compared after normalisation elsewhere.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    #[serde(alias = "ID", deserialize_with = "lenient::id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub updated_on: Option<String>,
    #[serde(skip)]
    pub raw: Value,
}

impl Record for Layout {
    fn id(&self) -> &str {
        &self.id
    }
    fn keep_raw(&mut self, raw: Value) {
        self.raw = raw;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{parse_list, parse_one};
    use super::*;

    #[test]
    fn projects_are_read_leniently() {
        let value = json!({
            "ID": "p-1", "name": "SalesOverview", "friendlyName": "Sales Overview",
            "namespace": "JohnDoe:", "updatedOn": "2026-08-01T10:00:00Z", "storage": {"x": 1},
            "relations": [
                {"id": "r-1", "entity": {"#type": "TableInfo", "id": "t-1", "name": "Q1"}, "isLink": "true"},
                {"id": "r-2", "entity": {"name": "no id"}},
                "junk"
            ]
        });
        let project: Project = parse_one(&value).unwrap();
        assert_eq!(project.id, "p-1");
        assert!(project.is_named("Sales Overview"));
        assert!(project.is_named("SalesOverview"));
        assert!(!project.is_named("sales overview"));
        assert_eq!(project.relations.len(), 2, "the string is dropped");
        assert_eq!(project.relations[0].entity_id(), Some("t-1"));
        assert_eq!(project.relations[0].is_link, Some(true));
        assert_eq!(project.relations[1].entity, None, "an entity without id");
        assert_eq!(project.raw, value, "everything is kept for a save");
        let both: Project = parse_one(&json!({"id": "p-2", "ID": "P-2"})).unwrap();
        assert_eq!(both.id, "p-2");
        assert!(parse_one::<Project>(&json!({"name": "x"})).is_err());
        assert!(parse_one::<Project>(&json!({"id": ""})).is_err());
    }

    #[test]
    fn lists_skip_what_is_not_a_record_but_not_everything() {
        let list: Vec<Layout> =
            parse_list(&json!([{"id": 7, "name": "L"}, {"name": "no id"}])).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, "7");
        assert!(parse_list::<Layout>(&json!(null)).unwrap().is_empty());
        assert!(parse_list::<Layout>(&json!([])).unwrap().is_empty());
        assert!(parse_list::<Layout>(&json!([{"name": "x"}])).is_err());
        assert!(parse_list::<Layout>(&json!({"id": "x"})).is_err());
    }

    #[test]
    fn server_info_reads_both_spellings() {
        let info: ServerInfo =
            serde_json::from_value(json!({"Version": "1.26.3", "Commit": 5})).unwrap();
        assert_eq!(info.version.as_deref(), Some("1.26.3"));
        assert_eq!(info.commit.as_deref(), Some("5"));
        let info: ServerInfo = serde_json::from_value(json!({"version": "2"})).unwrap();
        assert_eq!(info.version.as_deref(), Some("2"));
    }
}
