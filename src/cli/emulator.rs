//! `grokform emulator`.

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`grokform emulator` is not built yet"))
}
