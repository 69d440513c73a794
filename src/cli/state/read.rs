//! `state list` and `state show`: read the state, print it sorted, change nothing.

use crate::address::{Address, Kind};
use crate::cli::ExitStatus;
use crate::state::State;
use crate::state::edit;

use super::{Context, ShowFormat};

/// Prints the state's addresses (of `kind`), one a line, sorted.
pub async fn list(ctx: &Context, kind: Option<Kind>) -> miette::Result<ExitStatus> {
    let Some(state) = ctx.load().await? else {
        anstream::eprintln!("There is no state yet at `{}`.", ctx.store.describe());
        return Ok(ExitStatus::Success);
    };
    let mut out = String::new();
    for address in edit::list(&state, kind) {
        out.push_str(&address.to_string());
        out.push('\n');
    }
    anstream::print!("{out}");
    Ok(ExitStatus::Success)
}

/// Prints what the state records for `address`.
pub async fn show(
    ctx: &Context,
    address: &Address,
    format: ShowFormat,
) -> miette::Result<ExitStatus> {
    let state = ctx.load().await?.unwrap_or_default();
    edit::check_known(&state, address)?;
    anstream::print!("{}", render(&state, address, format));
    Ok(ExitStatus::Success)
}

/// The record of `address` (known to be in `state`) in `format`.
fn render(state: &State, address: &Address, format: ShowFormat) -> String {
    let resource = &state.resources[address];
    let mut record = serde_json::Map::new();
    record.insert("address".into(), address.to_string().into());
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(resource) {
        record.extend(fields);
    }
    match format {
        ShowFormat::Json => {
            let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(record))
                .unwrap_or_default();
            text.push('\n');
            text
        }
        ShowFormat::Human => {
            let attributes = match record.shift_remove("attributes") {
                Some(serde_json::Value::Object(attributes)) => attributes,
                _ => serde_json::Map::new(),
            };
            record.shift_remove("address");
            // `status` is left out of the record while applied: say so, it matters here
            record.entry("status").or_insert("applied".into());
            let mut fields: Vec<(String, &serde_json::Value)> =
                record.iter().map(|(k, v)| (k.clone(), v)).collect();
            fields.extend(
                attributes
                    .iter()
                    .map(|(k, v)| (format!("attributes.{k}"), v)),
            );
            let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            let mut text = format!("# {address}\n");
            for (key, value) in fields {
                text.push_str(&format!("{key:<width$} = {}\n", scalar(value)));
            }
            text
        }
    }
}

/// A value for a `key = value` line: one-line strings bare, a multi-line string (a layout)
/// indented below its key, everything else as compact JSON.
fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if s.contains('\n') => {
            let mut block = String::from("|");
            for line in s.trim_end().lines() {
                block.push_str("\n    ");
                block.push_str(line);
            }
            block
        }
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
