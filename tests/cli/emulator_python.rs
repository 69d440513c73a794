//! Datagrok's own Python client (`datagrok-api` from PyPI), unchanged, against the emulator:
//! the proof that the emulator speaks the API the way Datagrok's clients expect.

use std::path::PathBuf;
use std::process::Command;

use grokform::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig};
use serde_json::json;

use crate::common::repo_root;

/// The venv's Python, created by `scripts/python-env` when missing; a clear failure otherwise.
fn python() -> PathBuf {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        let status = Command::new(root.join("scripts/python-env")).status();
        assert!(
            matches!(status, Ok(s) if s.success()) && python.exists(),
            "the Python client test needs `.venv` with `datagrok-api`: run `scripts/python-env` \
             (it needs python3 with venv and access to PyPI); it failed with {status:?}"
        );
    }
    python
}

#[test]
fn datagroks_python_client_works_unchanged() {
    let python = python();
    let emulator = Emulator::start_blocking(EmulatorConfig::default()).expect("starts");
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
