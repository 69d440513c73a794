//! `grokform destroy`: removes from the server everything the state manages, as a plan
//! against a manifest with nothing in it and every `lifecycle:` opt-in on, so it takes the
//! same probed, verified steps (revokes, then dashboards, then tables) and the same
//! fallbacks (a route the server refuses is forgotten, with the plan's warning) as `apply`.

use std::io::IsTerminal;

use super::apply::{confirm, interrupts};
use super::plan::{Format as PlanFormat, print_plan};
use super::progress;
use super::session::{self, ServerArgs, Session};
use super::{ExitStatus, ManifestArgs, SourceArgs};
use crate::apply::{self, ApplyOptions};
use crate::model::{Deletion, Lifecycle, Model, OnReplace, SharesMode};
use crate::plan::{self, PlanCapabilities, PlanOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,

    /// At most N requests in flight.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,

    /// Treat manifest warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    if !args.auto_approve && !std::io::stdin().is_terminal() {
        miette::bail!(
            help = "review what goes with `grokform destroy` on a terminal, or run `grokform destroy --auto-approve`",
            "refusing to destroy without confirmation: standard input is not a terminal"
        );
    }
    session::runtime()?.block_on(async {
        let session =
            Session::open(&args.manifest, &args.sources, &args.server, args.strict).await?;
        let lock = session
            .store
            .lock("destroy", args.server.lock_timeout)
            .await?;
        let result = destroy_locked(&args, &session).await;
        let released = lock.release().await;
        let status = result?;
        released?;
        Ok(status)
    })
}

async fn destroy_locked(args: &Args, session: &Session) -> miette::Result<ExitStatus> {
    let state = session.load_state().await?;
    let nothing = emptied(&session.model);
    // Everything recorded goes, whatever the server shows now: deletes and revokes are read
    // back one by one, so no refresh is needed to plan them.
    let plan = plan::plan(
        &nothing,
        &state,
        &plan::Observed::default(),
        &PlanOptions {
            server: session.server.clone(),
            environment: session.model.environment.clone(),
            targets: vec![],
            replace: vec![],
            capabilities: PlanCapabilities::from_probe(&session.client.probe_capabilities().await),
        },
    )?;
    print_plan(&plan, PlanFormat::Human);
    if !plan.has_changes() {
        return Ok(ExitStatus::Success);
    }
    if !args.auto_approve && !confirm(&session.server)? {
        anstream::eprintln!("Destroy cancelled: nothing was changed.");
        return Ok(ExitStatus::Failure);
    }
    let options = ApplyOptions {
        parallelism: usize::from(args.parallelism),
        confirm_uncertain: vec![],
        accept_uncertain: vec![],
    };
    let (mut report, _state) = apply::apply(
        plan,
        &nothing,
        state,
        apply::Target {
            client: &session.client,
            store: &session.store,
        },
        &options,
        progress::reporter(),
        interrupts(),
    )
    .await;
    progress::summary(&mut report, &session.store.describe());
    Ok(if report.is_success() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// `model` with only its `prevent_destroy` resources (a kept dashboard with its tables,
/// layout and shares) and every removal allowed: planning against it removes the rest of
/// what the state holds.
fn emptied(model: &Model) -> Model {
    let mut nothing = model.clone();
    nothing.files.clear();
    nothing.calls.clear();
    nothing.dashboards.retain(|_, d| d.prevent_destroy);
    let shown: Vec<_> = nothing
        .dashboards
        .values()
        .flat_map(|d| d.tables.iter().cloned())
        .collect();
    let layouts: Vec<_> = nothing
        .dashboards
        .values()
        .filter_map(|d| d.layout.clone())
        .collect();
    nothing
        .tables
        .retain(|key, t| t.prevent_destroy || shown.contains(key));
    nothing.layouts.retain(|key, _| layouts.contains(key));
    let kept: Vec<_> = nothing.dashboards.keys().map(|k| k.to_string()).collect();
    nothing.shares.retain(|(d, _), _| kept.contains(d));
    nothing.lifecycle = Lifecycle {
        shares: SharesMode::Authoritative,
        deletion: Deletion::Allowed,
        on_replace: OnReplace::Delete,
    };
    nothing
}
