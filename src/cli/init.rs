//! `grokform init`: scaffolds a new project into an empty folder: a manifest that validates and
//! plans against the built-in emulator as written, an example table, the editor schema,
//! `.gitignore` entries and the GitHub Actions workflow.

// `init` owns writing the scaffolded project into the (empty) target folder.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, WrapErr};

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to create the project in (created if missing; must be empty).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// The files `init` writes, relative to the project folder.
fn files() -> Vec<(&'static str, String)> {
    vec![
        (
            "grokform.yaml",
            include_str!("init/grokform.yaml").to_string(),
        ),
        (
            "data/example.csv",
            include_str!("init/example.csv").to_string(),
        ),
        ("grokform.schema.json", crate::manifest::json_schema()),
        (".gitignore", include_str!("init/gitignore").to_string()),
        (
            ".github/workflows/grokform.yml",
            include_str!("../../examples/ci/github-actions.yml").to_string(),
        ),
    ]
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let dir = &args.dir;
    check_empty(dir)?;
    for (relative, content) in files() {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, content)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
        anstream::eprintln!("  created {relative}");
    }
    let shown = if dir == Path::new(".") {
        String::new()
    } else {
        format!(" -C {}", dir.display())
    };
    anstream::eprintln!(
        "\nA new grokform project is ready. Next:\n  grokform validate{shown}\n  grokform plan{shown} --server local    # against the built-in emulator\n  grokform apply{shown} --server local\nthen set `server:` in grokform.yaml (or DATAGROK_URL) and DATAGROK_API_KEY for your Datagrok."
    );
    Ok(ExitStatus::Success)
}

/// `init` never overwrites: the folder must not exist or hold nothing but `.git`.
fn check_empty(dir: &Path) -> miette::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read {}", dir.display()));
        }
    };
    let mut present: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".git")
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    present.sort();
    let shown: Vec<&str> = present.iter().take(5).map(String::as_str).collect();
    let more = if present.len() > 5 {
        format!(" and {} more", present.len() - 5)
    } else {
        String::new()
    };
    miette::bail!(
        help = "run `grokform init` in an empty folder, or name a new one: `grokform init my-dashboards`",
        "{} is not empty (it holds `{}`{more}); init writes nothing over existing files",
        dir.display(),
        shown.join("`, `")
    )
}
