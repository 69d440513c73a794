//! Reading a saved plan (`grokform plan --out FILE`, then `grokform apply FILE`): the one place
//! in `plan` that touches disk, so the planner itself stays free of I/O. Writing goes through
//! `state::atomic_write`, because a half-written plan must never be applied.

// The saved-plan file is owned here; every other file under `plan` stays free of disk.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use super::Plan;

/// The plan format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a saved plan cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SavedPlanError {
    #[error("cannot read the saved plan {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a grokform plan: {error}", path.display())]
    #[diagnostic(help("a saved plan is the file written by `grokform plan --out FILE`"))]
    NotAPlan {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("{} has plan format {found}, this grokform reads format {FORMAT_VERSION}", path.display())]
    Format { path: PathBuf, found: u32 },
}

/// Reads and checks the saved plan at `path`.
pub fn read(path: &Path) -> Result<Plan, SavedPlanError> {
    let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses a saved plan's text; `path` only names it in errors.
fn parse(path: &Path, text: &str) -> Result<Plan, SavedPlanError> {
    let plan: Plan = serde_json::from_str(text).map_err(|error| SavedPlanError::NotAPlan {
        path: path.to_path_buf(),
        error,
    })?;
    if plan.format_version != FORMAT_VERSION {
        return Err(SavedPlanError::Format {
            path: path.to_path_buf(),
            found: plan.format_version,
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_but_a_plan_is_a_clear_error() {
        let path = Path::new("plan.json");
        let err = parse(path, "{\"not\": 1}").unwrap_err();
        assert!(matches!(err, SavedPlanError::NotAPlan { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("plan.json is not a grokform plan")
        );
        let err = read(Path::new("/nonexistent/grokform/plan.json")).unwrap_err();
        assert!(matches!(err, SavedPlanError::Read { .. }), "{err:?}");
    }
}
