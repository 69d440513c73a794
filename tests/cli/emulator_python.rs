//! Datagrok's own Python client (`datagrok-api` from PyPI), unchanged, against the emulator:
//! the proof that the emulator speaks the API the way Datagrok's clients expect. Where the
//! venv cannot be made (offline, no python3) the test is skipped with the reason printed, unless
//! `GROKFORM_REQUIRE_PYTHON_CLIENT` is set, as `.ci/run` does.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use grokform::emulator::DEFAULT_API_KEY;
use serde_json::json;

use crate::support::{Server, repo_root};

/// Set (by `.ci/run`) where the Python client must be tested: a venv that cannot be made is then
/// a failure, not a skip.
const REQUIRED: &str = "GROKFORM_REQUIRE_PYTHON_CLIENT";

/// The venv's Python once `scripts/python-env` has made sure it holds the pinned client (it is
/// idempotent and quick when it does), or why it cannot be had here.
fn python() -> Result<PathBuf, String> {
    let root = repo_root();
    let mut script = Command::new(root.join("scripts/python-env"));
    // Offline, pip's default retries take minutes to fail; a local run should not wait for them.
    for (key, value) in [("PIP_RETRIES", "0"), ("PIP_TIMEOUT", "10")] {
        if std::env::var_os(key).is_none() {
            script.env(key, value);
        }
    }
    let output = script
        .output()
        .map_err(|e| format!("`scripts/python-env` could not run: {e}"))?;
    let python = root.join(".venv/bin/python");
    if output.status.success() && python.exists() {
        return Ok(python);
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = said.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "`scripts/python-env` could not make `.venv` with `datagrok-api` ({}; it needs python3 \
         with venv and access to PyPI):\n{}",
        output.status,
        tail.join("\n")
    ))
}

/// Says, where the test harness does not capture it, that the test was skipped and why.
fn skip(reason: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "\nskipped emulator_python::datagroks_python_client_works_unchanged: {reason}\n\
         (set {REQUIRED}=1 to make this a failure, as `.ci/run` does)"
    );
}

#[test]
fn datagroks_python_client_works_unchanged() {
    let python = match python() {
        Ok(python) => python,
        Err(reason) if std::env::var_os(REQUIRED).is_some() => panic!("{reason}"),
        Err(reason) => return skip(&reason),
    };
    let emulator = Server::new().start();
    let output = Command::new(&python)
        .arg(repo_root().join("tests/python/client_test.py"))
        .env("GROKFORM_EMULATOR_URL", emulator.url())
        .env("GROKFORM_EMULATOR_KEY", DEFAULT_API_KEY)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("all ok"), "{stdout}");

    // what the client did is what the server holds
    let inspected = emulator.inspect();
    let tables = inspected["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0]["name"], "JohnDoe:Sales:Q1");
    assert_eq!(tables[0]["rows"], 1);
    let dashboards = inspected["dashboards"].as_array().unwrap();
    assert_eq!(dashboards.len(), 2);
    assert_eq!(dashboards[1]["layout"]["#type"], "ViewLayout");
    let grants: Vec<(String, String)> = inspected["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["group"].as_str().unwrap().to_owned(),
                s["access"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        grants,
        [
            ("Analysts".to_owned(), "View".to_owned()),
            ("Developers".to_owned(), "Edit".to_owned()),
            ("Managers".to_owned(), "View".to_owned()),
        ]
    );
    let files: Vec<&str> = inspected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["py/data.csv"]);
    assert_eq!(
        inspected["calls"][3],
        json!({"function": "Demo:RefreshCaches", "params": {"table": tables[0]["id"]}})
    );
}
