//! Lenient field readers and the two ways an answer is read: one record, or a list of them.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A type read from an answer: it may keep the whole JSON it was read from (a project is
/// saved back with everything the server gave), and it has an id or it is not a record.
pub(in crate::client) trait Record: DeserializeOwned {
    fn id(&self) -> &str;
    /// Called with the JSON the record was read from.
    fn keep_raw(&mut self, _raw: Value) {}
}

/// One record from `value`; the serde error says which field did not fit.
pub(in crate::client) fn parse_one<T: Record>(value: &Value) -> Result<T, String> {
    // `id` and `ID` are the same field to the readers: with both present, `id` is read
    // (serde would call the second one a duplicate).
    let without_upper;
    let readable = match value.as_object() {
        Some(map) if map.contains_key("id") && map.contains_key("ID") => {
            let mut map = map.clone();
            map.remove("ID");
            without_upper = Value::Object(map);
            &without_upper
        }
        _ => value,
    };
    let mut record = T::deserialize(readable).map_err(|e| e.to_string())?;
    if record.id().is_empty() {
        return Err("the record has an empty `id`".into());
    }
    record.keep_raw(value.clone());
    Ok(record)
}

/// The records of a JSON array (`null` is an empty list). Elements that are not records (no
/// id) are skipped, as Datagrok's own CLI does, unless none at all is: then the shape is
/// not the documented one and saying so beats reporting an empty list.
pub(in crate::client) fn parse_list<T: Record>(value: &Value) -> Result<Vec<T>, String> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            return Err(format!("expected a list, got {}", kind_of(other)));
        }
    };
    let total = items.len();
    let mut first_error = None;
    let mut records = Vec::with_capacity(total);
    for item in items {
        match parse_one::<T>(item) {
            Ok(record) => records.push(record),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if records.is_empty() => Err(format!("no element of the list fits: {error}")),
        _ => Ok(records),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A string, or a number or boolean written as one; anything else (null, objects) is none.
pub(super) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A required id: a string or a number.
pub(super) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string(d)?.ok_or_else(|| serde::de::Error::custom("`id` is not a string"))
}

/// A count: a number, or a string holding one.
pub(super) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A flag: a boolean, or `"true"`/`"false"`.
pub(super) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

/// A nested object that is dropped (not an error) when it does not fit.
pub(super) fn optional<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

/// A list whose elements that do not fit are dropped; anything but a list is empty.
pub(super) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}
