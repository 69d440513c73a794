//! `grokform refresh` (alias `drift`): reads every managed object back and reports what was
//! changed outside grokform, without planning and without writing anything (to the server or
//! to the state). Meant for a scheduled CI job: `--detailed-exitcode` exits 2 on drift.

use super::session::{self, ServerArgs, Session};
use super::{ExitStatus, ManifestArgs, SourceArgs};
use crate::refresh::{self, RefreshOptions, RefreshReport};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub server: ServerArgs,

    /// Exit 0 when there is no drift, 2 when there is (ignored drift does not count), 1 on
    /// errors.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// At most N objects read at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,

    /// Treat manifest warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

/// The formats a refresh report prints in. Not the plan's: a report is no plan and has no
/// `--out`, so its help must not say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text naming each change outside grokform (`-` gone, `~` changed, `+` added).
    Human,
    /// The versioned JSON report (`schema/refresh.schema.json`).
    Json,
    /// An issue or pull-request comment.
    Markdown,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    session::runtime()?.block_on(async {
        let session =
            Session::open(&args.manifest, &args.sources, &args.server, args.strict).await?;
        let state = session.load_state().await?;
        let options = RefreshOptions {
            parallelism: usize::from(args.parallelism),
            ..RefreshOptions::default()
        };
        let mut observed = refresh::refresh(&session.client, &state, &options).await;
        refresh::apply_ignore_rules(&mut observed, &refresh::ignore_rules(&session.model));
        // Columns a layout needs that its tables lack on the server: a notice, not drift.
        observed
            .notes
            .extend(refresh::missing_columns(&session.client, &session.model, &state).await);
        observed.notes.sort();
        let report =
            RefreshReport::new(&session.server, session.model.environment.clone(), observed);
        let text = match args.format {
            Format::Human => render::refresh_human(&report, super::color_stdout()),
            Format::Json => {
                serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"
            }
            Format::Markdown => render::refresh_markdown(&report),
        };
        anstream::print!("{text}");
        Ok(if args.detailed_exitcode && report.has_drift() {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        })
    })
}
