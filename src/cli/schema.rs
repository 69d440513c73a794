//! `grokform schema`: prints the manifest's JSON Schema (draft-07) for editors.

use super::ExitStatus;

pub fn run() -> miette::Result<ExitStatus> {
    anstream::print!("{}", crate::manifest::json_schema());
    Ok(ExitStatus::Success)
}
