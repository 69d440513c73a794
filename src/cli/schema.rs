//! `grokform schema`.

use super::ExitStatus;

pub fn run() -> miette::Result<ExitStatus> {
    Err(miette::miette!("`grokform schema` is not built yet"))
}
