//! `grokform plan`: what apply would change, for people (`human`), machines (`json`) and pull
//! requests (`markdown`); `--out` saves it for `grokform apply FILE`.

use std::path::PathBuf;

use clap::ValueEnum;
use miette::{IntoDiagnostic, WrapErr};

use super::plan_memo;
use super::session::{self, ServerArgs, Session};
use super::{ExitStatus, ManifestArgs, SourceArgs};
use crate::address::Address;
use crate::client::{Client, ClientOptions};
use crate::plan::{self, Plan, PlanOptions};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Plan only ADDRESS and what it depends on (repeatable), e.g. `--target dashboard.overview`.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<Address>,

    /// Replace ADDRESS even when nothing changed (repeatable), e.g. a dashboard edited on the
    /// server beyond repair: a dashboard is created anew (new URL, shares granted again), a
    /// table or file uploaded again, a share granted again, a call run again. A dashboard whose
    /// only change is its layout keeps its URL where the server saves layouts in place (`~`);
    /// with `--replace` it gets a new one instead.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<Address>,

    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also save the plan to FILE, for `grokform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Read every managed object back from the server first and plan the repair of what was
    /// changed outside grokform (`--refresh=false`: plan from the state alone, without reading
    /// the server).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub refresh: bool,

    /// At most N objects read at once while refreshing.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,

    /// Hold the state lock while planning (apply always does).
    #[arg(long)]
    pub lock: bool,

    /// Treat manifest warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

/// The formats a plan prints in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Terraform-style text with `+ ~ -/+ -` signs.
    Human,
    /// The versioned JSON plan (the same document `--out` saves).
    Json,
    /// A pull-request comment (under 60,000 characters).
    Markdown,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let memo = plan_memo::Run::new(&args);
    if let Some(run) = &memo
        && let Some((server, stdout, sources)) = run.check()
    {
        return replay(&server, &stdout, sources, &args.server);
    }
    session::runtime()?.block_on(async {
        let resolved = session::resolve(&args.manifest, &args.sources)?;
        let warned = !resolved.warnings.is_empty();
        super::diagnostics::warnings(&resolved.warnings);
        if args.strict && warned {
            miette::bail!("warnings are errors with `--strict`");
        }
        let session = Session::connect(resolved.model, &args.server).await?;
        let lock = if args.lock {
            Some(session.store.lock("plan", args.server.lock_timeout).await?)
        } else {
            None
        };
        let state = session.load_state_noting(memo.is_some()).await;
        if let Some(lock) = lock {
            // Planning only reads: the lock guards the read, then goes.
            lock.release().await?;
        }
        let (state, snapshot) = state?;
        let observed =
            super::observe::observe(&session, &state, args.refresh, args.parallelism).await;
        let options = PlanOptions {
            server: session.server.clone(),
            environment: session.model.environment.clone(),
            targets: args.targets.clone(),
            replace: args.replace.clone(),
            capabilities: session.plan_capabilities().await,
        };
        let found = crate::adopt::read_blocks(&session.client, &session.model, &state).await?;
        let plan = plan::plan_adopting(&session.model, &state, &observed, &found, &options)?;
        let text = render_plan(&plan, args.format);
        anstream::print!("{text}");
        if let Some(out) = &args.out {
            save(&plan, out)?;
            anstream::eprintln!(
                "Saved the plan to `{}`; apply it with `grokform apply {}`.",
                out.display(),
                out.display()
            );
        }
        // Memoised only when the plan came from local files alone: no warning printed, no
        // server read (no opt-in probe, no import looked up), nothing to change.
        if let (Some(run), Some(snapshot)) = (&memo, &snapshot)
            && !warned
            && !plan.has_changes()
            && found.is_empty()
            && !session.client.probed()
        {
            run.record(&session.model, &session.server, snapshot, &text);
        }
        let status = if args.detailed_exitcode && plan.has_changes() {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        };
        // The process ends right after: freeing a 10,000-table plan, state and model piece
        // by piece was ~13 % of a no-op plan's CPU, work the exit does at once. (The rest of
        // the session drops as usual: an in-process emulator stops on drop.)
        std::mem::forget(plan);
        std::mem::forget(state);
        std::mem::forget(session.model);
        Ok(status)
    })
}

/// Prints a memoised no-op plan once the server it was planned for still answers its
/// healthcheck with this key (the same check, and the same error, as a full plan's).
/// `GROKFORM_DEBUG_SOURCES=1` says so on standard error, with the sources it found unchanged.
#[allow(clippy::disallowed_methods)] // `cli` owns the environment
fn replay(
    server: &str,
    stdout: &str,
    sources: usize,
    args: &ServerArgs,
) -> miette::Result<ExitStatus> {
    let key = session::api_key(args.api_key_file.as_deref())?;
    let client = Client::new(server, key, ClientOptions::default())?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("could not start the async runtime")?
        .block_on(client.healthcheck())
        .wrap_err_with(|| format!("cannot use the server at {server}"))?;
    if std::env::var_os("GROKFORM_DEBUG_SOURCES").is_some_and(|v| v == "1") {
        anstream::eprintln!(
            "grokform: sources: 0 read, 0 from the stat cache, {sources} unchanged since the memoised no-op plan"
        );
    }
    anstream::print!("{stdout}");
    Ok(ExitStatus::Success)
}

/// Prints a plan on standard output in `format`.
pub fn print_plan(plan: &Plan, format: Format) {
    anstream::print!("{}", render_plan(plan, format));
}

/// A plan as `print_plan` prints it.
fn render_plan(plan: &Plan, format: Format) -> String {
    match format {
        Format::Human => render::human(plan, super::color_stdout()),
        Format::Json => render::json(plan),
        Format::Markdown => render::markdown(plan, render::DEFAULT_LIMIT),
    }
}

/// Writes the saved plan atomically (a half-written plan must never be applied).
fn save(plan: &Plan, out: &std::path::Path) -> miette::Result<()> {
    crate::state::atomic_write(out, render::json(plan).as_bytes())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write the plan to {}", out.display()))
}
