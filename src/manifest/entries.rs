//! Maps of the manifest kept as written: in order, with the span of every key, so that a
//! diagnostic can point at `tables.sales` itself and not only at its value.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML mapping with string keys, in manifest order, every key spanned.
#[derive(Debug)]
pub struct Entries<T>(pub Vec<(Spanned<String>, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T> Entries<T> {
    /// The entries in manifest order.
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &T)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The entry named `key`.
    pub fn get(&self, key: &str) -> Option<(&Spanned<String>, &T)> {
        self.iter().find(|(k, _)| k.value == key)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

struct EntriesVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
    type Value = Entries<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<T>()?;
            out.push((key, value));
        }
        Ok(Entries(out))
    }

    // An empty section (`tables:` with nothing under it) reads as null: treat it as empty.
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Entries(Vec::new()))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Entries(Vec::new()))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntriesVisitor(PhantomData))
    }
}

/// A call's named parameters: any YAML values, each with its span.
#[derive(Debug, Default)]
pub struct Params(pub Entries<Spanned<serde_json::Value>>);

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Entries::deserialize(d).map(Params)
    }
}

/// Keys in a draft-07 pattern: no ASCII character other than letters and `_` first, no ASCII
/// character other than letters, digits, `_` and `-` after.
const KEY_PATTERN: &str =
    r"^[^\x00-\x40\x5B-\x5E\x60\x7B-\x7F][^\x00-\x2C\x2E\x2F\x3A-\x40\x5B-\x5E\x60\x7B-\x7F]*$";

/// Schema of a keyed section: an object whose property names are identifiers (they become
/// addresses) and whose values are `T`.
///
/// The exact rule (`Key`: UAX #31) needs Unicode property classes, which draft-07 patterns
/// (ECMA-262 without the `u` flag) do not have; the pattern is therefore the part editors can
/// check everywhere: ASCII letters, digits, `_` and `-` as `Key` allows them, and any
/// non-ASCII character. `validate` checks the rest.
pub struct Keyed<T>(PhantomData<T>);

impl<T: schemars::JsonSchema> schemars::JsonSchema for Keyed<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Keyed_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let value = generator.subschema_for::<T>();
        schemars::json_schema!({
            "type": "object",
            "propertyNames": {
                "pattern": KEY_PATTERN,
                "description": "a key: a letter (of any script) or `_`, then letters, digits, `_` or `-` (a Unicode identifier, UAX #31)",
            },
            "additionalProperties": value,
        })
    }
}
