//! `state rm` and `state mv`: take the lock, load, edit by address, save through the store
//! (next serial, backup kept), let go of the lock. A refused edit saves nothing.

use crate::address::Address;
use crate::cli::ExitStatus;
use crate::state::{State, edit};

use super::Context;

/// Forgets `addresses` in the state; the server keeps the objects.
pub async fn rm(ctx: &Context, addresses: &[Address]) -> miette::Result<ExitStatus> {
    let lines = locked(ctx, "state rm", |state| {
        let removed = edit::remove(state, addresses)?;
        Ok(removed
            .iter()
            .map(|r| match &r.follows {
                None => format!("Removed `{}` from the state.", r.address),
                Some(dashboard) => format!("Removed `{}` with `{dashboard}`.", r.address),
            })
            .collect())
    })
    .await?;
    print(lines);
    anstream::println!("The server still holds these objects; grokform no longer manages them.");
    Ok(ExitStatus::Success)
}

/// Renames `from` to `to` in the state; the server is not asked anything.
pub async fn mv(ctx: &Context, from: &Address, to: &Address) -> miette::Result<ExitStatus> {
    let lines = locked(ctx, "state mv", |state| {
        let renamed = crate::plan::rename_in_state(state, from, to)?;
        Ok(renamed
            .iter()
            .map(|r| match &r.follows {
                None => format!("Moved `{}` to `{}`.", r.from, r.to),
                Some(dashboard) => format!("Moved `{}` to `{}` with `{dashboard}`.", r.from, r.to),
            })
            .collect())
    })
    .await?;
    print(lines);
    Ok(ExitStatus::Success)
}

fn print(lines: Vec<String>) {
    let mut out = String::new();
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    anstream::print!("{out}");
}

/// Runs `edit` on the state under the lock and saves the result; returns `edit`'s lines and
/// the closing "Saved" line. Nothing is saved when `edit` fails.
async fn locked<F>(ctx: &Context, operation: &str, edit: F) -> miette::Result<Vec<String>>
where
    F: FnOnce(&mut State) -> Result<Vec<String>, edit::EditError>,
{
    let lock = ctx.store.lock(operation, ctx.lock_timeout).await?;
    let result = load_edit_save(ctx, edit).await;
    let released = lock.release().await;
    let lines = result?;
    released?;
    Ok(lines)
}

async fn load_edit_save<F>(ctx: &Context, edit: F) -> miette::Result<Vec<String>>
where
    F: FnOnce(&mut State) -> Result<Vec<String>, edit::EditError>,
{
    let mut state = ctx.load().await?.unwrap_or_default();
    let mut lines = edit(&mut state)?;
    ctx.store.save(&mut state).await?;
    lines.push(format!(
        "Saved `{}` (serial {}).",
        ctx.store.describe(),
        state.serial
    ));
    Ok(lines)
}
