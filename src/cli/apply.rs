//! `grokform apply`: plan (or read a saved plan), confirm, run, report. Ctrl-C once drains
//! in-flight work and saves the state; twice exits at once.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use miette::IntoDiagnostic;
use tokio::sync::watch;

use super::plan::{Format as PlanFormat, print_plan};
use super::progress;
use super::session::{self, ServerArgs, Session};
use super::{ExitStatus, ManifestArgs, SourceArgs};
use crate::address::Address;
use crate::apply::{self, ApplyOptions, ApplyReport};
use crate::plan::{self, Plan, PlanOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved by `grokform plan --out FILE`: applied exactly as saved, without asking,
    /// and refused when the state, the server or any input changed since.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,

    #[command(flatten)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Apply only ADDRESS and what it depends on (repeatable).
    #[arg(long = "target", value_name = "ADDRESS", conflicts_with = "plan_file")]
    pub targets: Vec<Address>,

    /// Replace ADDRESS even when nothing changed (repeatable); see `grokform plan --help`.
    #[arg(long = "replace", value_name = "ADDRESS", conflicts_with = "plan_file")]
    pub replace: Vec<Address>,

    /// Read every managed object back from the server first and plan the repair of what was
    /// changed outside grokform (`--refresh=false`: plan from the state alone). A saved plan
    /// is applied as reviewed, never refreshed again.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, conflicts_with = "plan_file")]
    pub refresh: bool,

    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,

    /// At most N requests in flight (and objects read at once while refreshing).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,

    /// Send ADDRESS again although an earlier apply may already have done it: create the
    /// dashboard without looking it up first, or run the call that is not `idempotent: true`
    /// (repeatable; see the plan's warning).
    #[arg(long, value_name = "ADDRESS")]
    pub confirm_uncertain: Vec<Address>,

    /// Record the call ADDRESS as run without running it again: you checked that the call an
    /// earlier apply left uncertain did run (repeatable; calls only).
    #[arg(long, value_name = "ADDRESS", conflicts_with = "plan_file")]
    pub accept_uncertain: Vec<Address>,

    /// How to print the result: `human`, or `json` (the apply report on standard output).
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Treat manifest warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let interactive = std::io::stdin().is_terminal();
    if args.plan_file.is_none() && !args.auto_approve && !interactive {
        miette::bail!(
            help = "review the plan with `grokform plan`, then run `grokform apply --auto-approve`, or apply a saved plan with `grokform apply FILE`",
            "refusing to apply without confirmation: standard input is not a terminal"
        );
    }
    if let Some(address) = args
        .accept_uncertain
        .iter()
        .find(|a| a.kind != crate::address::Kind::Call)
    {
        miette::bail!(
            help = "an uncertain dashboard is looked up on the server by apply itself; `--confirm-uncertain` creates it again",
            "`--accept-uncertain {address}`: only calls can be recorded as run"
        );
    }
    let saved = match &args.plan_file {
        Some(path) => Some(plan::saved::read(path)?),
        None => None,
    };
    session::runtime()?.block_on(async {
        let session =
            Session::open(&args.manifest, &args.sources, &args.server, args.strict).await?;
        let lock = session
            .store
            .lock("apply", args.server.lock_timeout)
            .await?;
        let result = apply_locked(&args, &session, saved).await;
        // Released on every path: a remote lock left behind would block the next run.
        let released = lock.release().await;
        let status = result?;
        released?;
        Ok(status)
    })
}

/// Everything `apply` does while it holds the state lock.
async fn apply_locked(
    args: &Args,
    session: &Session,
    saved: Option<Plan>,
) -> miette::Result<ExitStatus> {
    let state = session.load_state().await?;
    let plan = match saved {
        Some(saved) => {
            // `Stale` says "the saved plan is stale: …" and carries its own help.
            plan::check_fresh(&saved, &session.model, &state, &session.server)?;
            plan::check_columns(&saved, &session.model)?;
            saved
        }
        None => {
            let observed =
                super::observe::observe(session, &state, args.refresh, args.parallelism).await;
            let found = crate::adopt::read_blocks(&session.client, &session.model, &state).await?;
            plan::plan_adopting(
                &session.model,
                &state,
                &observed,
                &found,
                &PlanOptions {
                    server: session.server.clone(),
                    environment: session.model.environment.clone(),
                    targets: args.targets.clone(),
                    replace: args.replace.clone(),
                    capabilities: session.plan_capabilities().await,
                },
            )?
        }
    };
    if !plan.has_changes() {
        if args.format == ReportFormat::Human {
            print_plan(&plan, PlanFormat::Human);
        } else {
            print_report(&empty_report());
        }
        return Ok(ExitStatus::Success);
    }
    if args.format == ReportFormat::Human {
        print_plan(&plan, PlanFormat::Human);
    }
    if args.plan_file.is_none() && !args.auto_approve && !confirm(&session.server)? {
        anstream::eprintln!("Apply cancelled: nothing was changed.");
        return Ok(ExitStatus::Failure);
    }
    let stop = interrupts();
    let reporter: Arc<dyn apply::Reporter> = progress::reporter();
    let options = ApplyOptions {
        parallelism: usize::from(args.parallelism),
        confirm_uncertain: args.confirm_uncertain.clone(),
        accept_uncertain: args.accept_uncertain.clone(),
    };
    let mut state = state;
    if state.serial == 0 && args.plan_file.is_some() {
        // A state never saved yet: keep the lineage the reviewed plan recorded, so the plan
        // file and the state it produced tell the same history.
        state.lineage = plan.state.lineage.clone();
    }
    if state.server.is_none() {
        // The first save records which server these resources live on.
        state.server = Some(session.server.clone());
    }
    if plan.adopts() {
        // Renames and imports go first, in one save: the changes below act on the adopted
        // records, and nothing adopted is lost if one of them fails.
        plan::adopt_into(&mut state, &plan)?;
        session.store.save(&mut state).await?;
        if args.format == ReportFormat::Human {
            anstream::eprint!("{}", super::import::adopted(&plan));
        }
    }
    let (mut report, _state) = apply::apply(
        plan,
        &session.model,
        state,
        apply::Target {
            client: &session.client,
            store: &session.store,
        },
        &options,
        reporter,
        stop,
    )
    .await;
    if args.format == ReportFormat::Json {
        print_report(&report);
    }
    progress::summary(&mut report, &session.store.describe());
    Ok(if report.is_success() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn empty_report() -> ApplyReport {
    ApplyReport {
        format_version: 1,
        succeeded: vec![],
        failed: vec![],
        skipped: vec![],
        interrupted: false,
    }
}

fn print_report(report: &ApplyReport) {
    let text = serde_json::to_string_pretty(report).expect("reports serialise");
    anstream::println!("{text}");
}

/// Asks on the terminal; only `yes` approves.
pub(super) fn confirm(server: &str) -> miette::Result<bool> {
    let mut stderr = std::io::stderr();
    write!(
        stderr,
        "\nDo you want to perform these actions on {server}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    )
    .and_then(|_| stderr.flush())
    .into_diagnostic()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .into_diagnostic()?;
    Ok(answer.trim() == "yes")
}

/// First Ctrl-C asks the applier to start nothing new (in-flight work finishes and the state
/// is saved); a second one exits at once: everything finished so far is already saved.
#[allow(clippy::disallowed_methods)] // `cli` owns the process exit
pub(super) fn interrupts() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        anstream::eprintln!(
            "\nInterrupted: finishing the requests in flight and saving the state. Press Ctrl-C again to exit now."
        );
        let _ = tx.send(true);
        if tokio::signal::ctrl_c().await.is_ok() {
            anstream::eprintln!("Exiting now; the state holds every action that completed.");
            std::process::exit(130);
        }
    });
    rx
}
