//! `grokform plan`.

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: super::ManifestArgs,
}

pub fn run(_args: Args) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`grokform plan` is not built yet"))
}
