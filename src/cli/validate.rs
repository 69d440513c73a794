//! `grokform validate`: parse and resolve the manifest, touching no server.

use super::ExitStatus;
use crate::model::Model;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: super::ManifestArgs,

    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let path = args.manifest.manifest_path();
    let resolved = Model::load(&path, args.manifest.env.as_deref())?;
    super::diagnostics::warnings(&resolved.warnings);
    let model = &resolved.model;
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let summary = [
        count(model.files.len(), "file"),
        count(model.tables.len(), "table"),
        count(model.layouts.len(), "layout"),
        count(model.dashboards.len(), "dashboard"),
        count(model.shares.len(), "share"),
        count(model.calls.len(), "call"),
    ]
    .join(", ");
    let env = model
        .environment
        .as_ref()
        .map_or(String::new(), |e| format!(" (environment `{e}`)"));
    if args.strict && !resolved.warnings.is_empty() {
        anstream::eprintln!(
            "error: {} with --strict",
            count(resolved.warnings.len(), "warning")
        );
        return Ok(ExitStatus::Failure);
    }
    let warnings = if resolved.warnings.is_empty() {
        String::new()
    } else {
        format!(" with {}", count(resolved.warnings.len(), "warning"))
    };
    anstream::println!("`{}` is valid{env}{warnings}: {summary}", path.display());
    Ok(ExitStatus::Success)
}
