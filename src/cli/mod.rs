//! The command line: clap arguments turned into one call into the library per command. This
//! is the only module that prints and the only one that picks exit codes, so every error is
//! rendered once, the same way, and scripts can rely on the codes.

// `cli` is the one module that prints (see CONTRIBUTING.md, "Seams").
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_macros)]

mod allocator;
mod apply;
mod destroy;
mod diagnostics;
mod emulator;
mod force_unlock;
mod import;
mod init;
mod observe;
mod plan;
mod plan_memo;
mod progress;
mod refresh;
mod schema;
mod session;
mod state;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// How a run ended; the one mapping to process exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done (or, for `plan`, there is nothing to change).
    Success,
    /// An error was reported.
    Failure,
    /// `plan --detailed-exitcode` found changes (`refresh --detailed-exitcode`: drift).
    Changes,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Changes => ExitCode::from(2),
        }
    }
}

/// Terraform for Datagrok dashboards.
///
/// Keep tables, files, dashboards, layouts, share grants and function calls in a YAML manifest;
/// `plan` reads the server back and shows what would change, `apply` makes it so.
#[derive(Debug, Parser)]
#[command(
    name = "grokform",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Where the manifest is and which environment of it to use.
#[derive(Clone, Debug, Args)]
pub struct ManifestArgs {
    /// Run as if started in DIR (the manifest is DIR/grokform.yaml).
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// The manifest file [default: grokform.yaml].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The environment of the manifest to use (its own server, variables and state).
    #[arg(long = "env", value_name = "NAME", env = "GROKFORM_ENV")]
    pub env: Option<String>,
}

/// How local sources are read.
#[derive(Clone, Debug, Default, Args)]
pub struct SourceArgs {
    /// Read and hash every source again instead of trusting the stat cache
    /// (`.grokform/…/sources.cache`) for sources whose size, mtime, inode and device are
    /// unchanged.
    #[arg(long)]
    pub refresh_sources: bool,
}

impl ManifestArgs {
    /// The manifest path these arguments name.
    pub fn manifest_path(&self) -> PathBuf {
        let dir = self.directory.clone().unwrap_or_else(|| PathBuf::from("."));
        match &self.file {
            Some(file) if file.is_absolute() => file.clone(),
            Some(file) => dir.join(file),
            None => dir.join("grokform.yaml"),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a manifest: syntax, references, names, sources. Touches no server.
    Validate(validate::Args),
    /// Show what apply would change on the server.
    Plan(plan::Args),
    /// Make the server match the manifest.
    Apply(apply::Args),
    /// Remove everything the state manages from the server, and from the state.
    Destroy(destroy::Args),
    /// Report what was changed on the server outside grokform (drift), changing nothing.
    #[command(visible_alias = "drift")]
    Refresh(refresh::Args),
    /// Run the built-in Datagrok emulator (Datagrok's REST API, for tests and demos).
    Emulator(emulator::Args),
    /// Break the state lock left by a run that is gone (local or on the server).
    ForceUnlock(force_unlock::Args),
    /// Look at and reshape the state: list, show, rm (stop managing), mv (rename).
    State(state::Args),
    /// Adopt an object the server already has under a manifest address, creating nothing
    ///
    /// The table, file or dashboard (with its grants) is read from the server and recorded in
    /// the state; the next plan shows how it differs from the manifest.
    Import(import::Args),
    /// Print the manifest's JSON Schema.
    Schema,
    /// Create a new project (manifest, example data, schema, .gitignore, CI workflow) in an
    /// empty folder.
    Init(init::Args),
    /// Print shell completions.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parses the command line, runs the command, prints what it reports, returns its status.
pub fn main() -> ExitCode {
    // Usage errors exit 1, not clap's 2: with `plan --detailed-exitcode`, 2 means "changes",
    // and a mistyped flag in CI must never read as that.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            }
            .into();
        }
    };
    setup_color(cli.color);
    if !matches!(cli.command, Command::Emulator(_)) {
        allocator::limit_arenas();
    }
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Destroy(args) => destroy::run(args),
        Command::Refresh(args) => refresh::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::ForceUnlock(args) => force_unlock::run(args),
        Command::State(args) => state::run(args),
        Command::Import(args) => import::run(args),
        Command::Schema => schema::run(),
        Command::Init(args) => init::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "grokform",
                &mut std::io::stdout(),
            );
            Ok(ExitStatus::Success)
        }
    };
    match result {
        Ok(status) => status.into(),
        Err(report) => {
            diagnostics::error(&report);
            ExitStatus::Failure.into()
        }
    }
}

/// Whether standard output gets colour (set once by `setup_color`).
static COLOR_STDOUT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Whether what is printed on standard output may carry colour.
pub fn color_stdout() -> bool {
    COLOR_STDOUT.get().copied().unwrap_or(false)
}

/// Decides colour after `--color`, `NO_COLOR` and the terminal check, for each stream.
#[allow(clippy::disallowed_methods)] // `cli` owns the environment
fn setup_color(color: Color) {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let decide = |terminal: bool| match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => !no_color && terminal,
    };
    let _ = COLOR_STDOUT.set(decide(std::io::stdout().is_terminal()));
    let enabled = decide(std::io::stderr().is_terminal());
    // `auto` lets anstream decide per stream (and honour NO_COLOR/CLICOLOR) for what we print.
    anstream::ColorChoice::write_global(match color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    });
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(enabled)
                .unicode(enabled)
                .terminal_links(false)
                .width(100)
                // the lines `diagnostics` keeps around each label
                .context_lines(diagnostics::CONTEXT_LINES)
                .build(),
        )
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
