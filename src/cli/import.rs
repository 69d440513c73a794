//! `grokform import ADDRESS ID-or-GROK-NAME`: records an object that already exists on the
//! server under a manifest address, without creating anything. The object is read first and
//! recorded the way `import:` blocks are (`plan::import_records`), so the next plan shows
//! exactly how it differs from the manifest. Writes the state like `state mv` does: under
//! the lock, next serial, backup kept, local or remote.

use super::session::{ServerArgs, Session};
use super::{ExitStatus, ManifestArgs, SourceArgs};
use crate::address::Address;
use crate::model::adopt::Lookup;
use crate::plan::{self, Imported};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manifest address to record it under: `table.KEY`, `file.KEY` or `dashboard.KEY`.
    pub address: Address,

    /// A table's or dashboard's UUID; or a table's Grok name (`Admin:Sales:Orders`), a
    /// dashboard's name, a file's path in the manifest's connector.
    #[arg(value_name = "ID-or-GROK-NAME")]
    pub id: String,

    #[command(flatten)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    super::session::runtime()?.block_on(async {
        let session = Session::open(&args.manifest, &args.sources, &args.server, false).await?;
        let model = &session.model;
        if !model.has(&args.address) {
            let known: Vec<String> = model
                .dependencies()
                .keys()
                .map(Address::to_string)
                .collect();
            let hint = crate::manifest::problem::did_you_mean(
                &args.address.to_string(),
                known.iter().map(String::as_str),
            );
            miette::bail!(
                help = hint.unwrap_or_else(|| format!(
                    "declare `{}` in {} first",
                    args.address,
                    model.manifest_path.display()
                )),
                "`{}` is not a resource of {}",
                args.address,
                model.manifest_path.display()
            );
        }
        let lock = session
            .store
            .lock("import", args.server.lock_timeout)
            .await?;
        let result = import_locked(&args, &session).await;
        let released = lock.release().await;
        let lines = result?;
        released?;
        anstream::print!("{lines}");
        Ok(ExitStatus::Success)
    })
}

/// Reads the object and saves its records; returns what to print.
async fn import_locked(args: &Args, session: &Session) -> miette::Result<String> {
    let mut state = session.load_state().await?;
    if state.resources.contains_key(&args.address) {
        miette::bail!(
            help = format!(
                "`grokform state rm {}` first to record another object under it",
                args.address
            ),
            "`{}` is already managed: the state records it",
            args.address
        );
    }
    let by = Lookup::parse(&args.id);
    let found = crate::adopt::read(&session.client, &session.model, &args.address, &by).await?;
    let records = plan::import_records(&session.model, &state, &[found]);
    if state.server.is_none() {
        state.server = Some(session.server.clone());
    }
    let plan = plan::Plan::imports_only(records.clone());
    plan::adopt_into(&mut state, &plan)?;
    session.store.save(&mut state).await?;
    Ok(describe(&records)
        + &format!(
            "Saved `{}` (serial {}). Run `grokform plan` to see how it differs from the manifest.\n",
            session.store.describe(),
            state.serial
        ))
}

/// One line per record: `Imported `table.orders` (ID `…`, found by name `…`).`
pub fn describe(records: &[Imported]) -> String {
    let mut out = String::new();
    for record in records {
        let id = record
            .remote_id
            .as_deref()
            .map(|id| format!("ID `{id}`, "))
            .unwrap_or_default();
        out.push_str(&format!(
            "Imported `{}` ({id}found by {}).\n",
            record.address, record.found_by
        ));
    }
    out
}

/// What `apply` recorded before its changes: the renames, then the imports.
pub fn adopted(plan: &plan::Plan) -> String {
    let mut out = String::new();
    for moved in &plan.moved {
        out.push_str(&format!(
            "Moved `{}` to `{}` in the state.\n",
            moved.from, moved.to
        ));
    }
    out + &describe(&plan.imports)
}
