//! Tables as the internal `/tables` routes describe them (the column shape is not documented,
//! so both a list of names and a list of objects are read).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::lenient::{self, Record};

/// `GET /tables/{uuid}`, or one result of `GET /tables?text=…`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    #[serde(alias = "ID", deserialize_with = "lenient::id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub friendly_name: Option<String>,
    /// `JohnDoe:Sales:` (with the trailing `:`), when the server says.
    #[serde(default, deserialize_with = "lenient::string")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub updated_on: Option<String>,
    #[serde(default, alias = "rows", deserialize_with = "lenient::count")]
    pub row_count: Option<u64>,
    #[serde(default, deserialize_with = "columns")]
    pub columns: Vec<Column>,
    #[serde(skip)]
    pub raw: Value,
}

impl Table {
    /// True when the table is the one called `grok_name` (`JohnDoe:Sales:Q1`): its name
    /// is the last part and its namespace the rest (with or without the trailing `:`), or
    /// the server's own full name for it is exactly `grok_name`.
    pub fn is_named(&self, grok_name: &str) -> bool {
        let (namespace, name) = match grok_name.rsplit_once(':') {
            Some((namespace, name)) => (namespace, name),
            None => ("", grok_name),
        };
        let full = |key: &str| self.raw.get(key).and_then(Value::as_str) == Some(grok_name);
        if full("nqName") || full("grokName") {
            return true;
        }
        // A table without a namespace is taken to be in the root one.
        let own_namespace = self.namespace.as_deref().unwrap_or_default();
        self.name.as_deref() == Some(name) && own_namespace.trim_end_matches(':') == namespace
    }

    /// The column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

impl Record for Table {
    fn id(&self) -> &str {
        &self.id
    }
    fn keep_raw(&mut self, raw: Value) {
        self.raw = raw;
    }
}

/// A column: its name and, when the server says, its type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_name: Option<String>,
}

/// Columns as names (`["a", "b"]`) or objects (`[{"name": "a", "type": "int"}]`); anything
/// without a name is dropped.
fn columns<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Column>, D::Error> {
    let Value::Array(items) = Value::deserialize(d)? else {
        return Ok(Vec::new());
    };
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
    Ok(items
        .iter()
        .filter_map(|item| match item {
            Value::String(name) => Some(Column {
                name: name.clone(),
                type_name: None,
            }),
            Value::Object(map) => Some(Column {
                name: text(map.get("name"))?,
                type_name: text(map.get("type").or(map.get("columnType"))),
            }),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{parse_list, parse_one};
    use super::*;

    #[test]
    fn columns_come_as_names_or_objects() {
        let table: Table = parse_one(&json!({
            "id": "t-1", "name": "Q1", "namespace": "JohnDoe:Sales:", "rowCount": "12",
            "columns": [{"name": "region", "type": "string"}, "amount", {"type": "x"}, 3]
        }))
        .unwrap();
        assert_eq!(table.column_names(), ["region", "amount"]);
        assert_eq!(table.columns[0].type_name.as_deref(), Some("string"));
        assert_eq!(table.row_count, Some(12));
        assert!(table.is_named("JohnDoe:Sales:Q1"));
        assert!(!table.is_named("JohnDoe:Other:Q1"));
        assert!(!table.is_named("JohnDoe:Sales:Q2"));
    }

    #[test]
    fn names_match_exactly_on_name_and_namespace() {
        let tables: Vec<Table> = parse_list(&json!([
            {"id": "1", "name": "Q1", "namespace": "JohnDoe:Sales"},
            {"id": "2", "name": "Q1_1", "namespace": "JohnDoe:Sales:"},
            {"id": "3", "name": "other", "nqName": "JohnDoe:Sales:Q1"},
            {"id": "4", "name": "Q1"}
        ]))
        .unwrap();
        let ids: Vec<&str> = tables
            .iter()
            .filter(|t| t.is_named("JohnDoe:Sales:Q1"))
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(ids, ["1", "3"]);
        assert!(tables[3].is_named("Q1"), "a bare name has no namespace");
    }
}
