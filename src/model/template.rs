//! `${table.X.id}` / `${dashboard.X.id}` templates inside layout JSON and call params.
//! Resolve checks their references; apply fills them with remote IDs (and, in a layout,
//! `layout::fill_table_names` first sets the `tableName` beside a templated `tableId`).

use crate::address::{Address, Kind};

/// One `${kind.key.id}` occurrence: its byte range in the text and the address it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub start: usize,
    pub end: usize,
    pub address: Address,
}

/// Every `${table.KEY.id}` and `${dashboard.KEY.id}` in `text`, in order. Other `${…}` forms
/// (`${var.X}` is expanded earlier) are returned as errors by resolve, not here.
pub fn references(text: &str) -> Vec<Reference> {
    placeholders(text)
        .filter_map(|(start, end, inner)| {
            parse_id_reference(inner).map(|address| Reference {
                start,
                end,
                address,
            })
        })
        .collect()
}

/// Every `${…}` in `text`, in order: its byte range and the text between the braces. An
/// unclosed `${` ends the scan.
pub fn placeholders(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        let start = from + text[from..].find("${")?;
        let end = start + text[start..].find('}')? + 1;
        from = end;
        Some((start, end, &text[start + 2..end - 1]))
    })
}

/// `table.KEY.id` → `table.KEY`.
fn parse_id_reference(inner: &str) -> Option<Address> {
    let rest = inner.strip_suffix(".id")?;
    let (kind, key) = rest.split_once('.')?;
    let kind = match kind {
        "table" => Kind::Table,
        "dashboard" => Kind::Dashboard,
        _ => return None,
    };
    if key.is_empty() || key.contains('.') {
        return None;
    }
    Some(Address::new(kind, key))
}

/// Replaces every reference with `id_of(address)`; `None` leaves the template as it is.
pub fn substitute(text: &str, mut id_of: impl FnMut(&Address) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for reference in references(text) {
        out.push_str(&text[last..reference.start]);
        match id_of(&reference.address) {
            Some(id) => out.push_str(&id),
            None => out.push_str(&text[reference.start..reference.end]),
        }
        last = reference.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_fills_id_references() {
        let text = r#"{"a":"${table.sales.id}","b":"${dashboard.d.id}","c":"${var.x}"}"#;
        let found: Vec<String> = references(text)
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        assert_eq!(found, ["table.sales", "dashboard.d"]);
        let filled = substitute(text, |a| (a.kind == Kind::Table).then(|| "T1".to_string()));
        assert_eq!(
            filled,
            r#"{"a":"T1","b":"${dashboard.d.id}","c":"${var.x}"}"#
        );
    }
}
