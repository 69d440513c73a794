//! The stat cache of sources through the binary: a no-op plan reads no source (counted by
//! `GROKFORM_DEBUG_SOURCES=1`, which reports the reads the resolver actually made), a changed
//! source is read again, `--refresh-sources` reads everything, and a corrupt cache only costs
//! a full read. Runs against `--server local` (the in-process emulator), so no process is left.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::common::{Run, grokform};

const MANIFEST: &str = "version: 1
files:
  readme:
    connector: System:AppData
    path: Cache/readme.md
    source: data/readme.md
tables:
  orders:
    name: Admin:Cache:Orders
    source: data/orders.csv
  customers:
    name: Admin:Cache:Customers
    source: data/customers.csv
";

/// Writes `text` at `dir/relative` with an mtime `ago` in the past (older than the racy window
/// of the cache, as sources not being edited are).
fn write_old(dir: &Path, relative: &str, text: &str, ago: Duration) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    set_mtime(&path, SystemTime::now() - ago);
}

fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grokform.yaml"), MANIFEST).unwrap();
    let minute = Duration::from_secs(60);
    write_old(dir.path(), "data/readme.md", "# Regions\n", minute);
    write_old(
        dir.path(),
        "data/orders.csv",
        "id,amount\n1,10\n2,20\n",
        minute,
    );
    write_old(dir.path(), "data/customers.csv", "id,name\n1,Ann\n", minute);
    dir
}

/// Runs `grokform COMMAND -C dir ARGS…` with the source counter on.
fn counted(command: &str, dir: &Path, args: &[&str]) -> Run {
    let mut all = vec![command, "-C", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    grokform(all).env("GROKFORM_DEBUG_SOURCES", "1").run()
}

/// The `(read, cached)` counts a run reported.
fn sources(run: &Run) -> (usize, usize) {
    let line = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("grokform: sources: "))
        .unwrap_or_else(|| panic!("no source counts in\n{}", run.stderr));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{line}");
    (numbers[0], numbers[1])
}

fn cache_file(dir: &Path) -> PathBuf {
    dir.join(".grokform/sources.cache")
}

#[test]
fn a_no_op_plan_reads_no_source_and_a_changed_one_is_read_again() {
    let project = project();
    let dir = project.path();
    let apply = counted("apply", dir, &["--server", "local", "--auto-approve"]);
    apply.code(0);
    assert_eq!(sources(&apply), (3, 0));
    assert!(cache_file(dir).is_file(), "apply wrote the cache");
    let state = std::fs::read_to_string(dir.join(".grokform/state.json")).unwrap();
    assert!(
        !state.contains("mtime"),
        "the stat cache stays out of state.json"
    );

    let plan = counted("plan", dir, &["--server", "local", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    assert_eq!(sources(&plan), (0, 3));

    // One more row, an older mtime than before: only that source is read, and the plan sees it.
    write_old(
        dir,
        "data/orders.csv",
        "id,amount\n1,10\n2,20\n3,30\n",
        Duration::from_secs(30),
    );
    let plan = counted("plan", dir, &["--server", "local", "--detailed-exitcode"]);
    plan.code(2);
    assert!(plan.stdout.contains("table.orders"), "{}", plan.stdout);
    assert_eq!(sources(&plan), (1, 2));
    let apply = counted("apply", dir, &["--server", "local", "--auto-approve"]);
    apply.code(0);
    assert_eq!(sources(&apply), (0, 3));
    let plan = counted("plan", dir, &["--server", "local", "--detailed-exitcode"]);
    plan.code(0);
    assert_eq!(sources(&plan), (0, 3));
}

#[test]
fn refresh_sources_reads_every_source_on_validate_plan_and_apply() {
    let project = project();
    let dir = project.path();
    counted("validate", dir, &[]).code(0);
    assert_eq!(sources(&counted("validate", dir, &[])), (0, 3));
    let validate = counted("validate", dir, &["--refresh-sources"]);
    validate.code(0);
    assert_eq!(sources(&validate), (3, 0));
    let plan = counted("plan", dir, &["--server", "local", "--refresh-sources"]);
    plan.code(0);
    assert_eq!(sources(&plan), (3, 0));
    let apply = counted(
        "apply",
        dir,
        &["--server", "local", "--auto-approve", "--refresh-sources"],
    );
    apply.code(0);
    assert_eq!(sources(&apply), (3, 0));
    assert_eq!(sources(&counted("validate", dir, &[])), (0, 3));
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let project = project();
    let dir = project.path();
    std::fs::create_dir_all(dir.join(".grokform")).unwrap();
    std::fs::write(cache_file(dir), b"\x00{\"version\":1,\"entr").unwrap();
    let validate = counted("validate", dir, &[]);
    validate.code(0);
    assert!(validate.stdout.contains("is valid"), "{}", validate.stdout);
    assert_eq!(sources(&validate), (3, 0));
    let text = std::fs::read_to_string(cache_file(dir)).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["version"], 1);
    assert_eq!(sources(&counted("validate", dir, &[])), (0, 3));

    // A cache that cannot be written (a folder in its place) is only a slower run.
    std::fs::remove_file(cache_file(dir)).unwrap();
    std::fs::create_dir(cache_file(dir)).unwrap();
    let validate = counted("validate", dir, &[]);
    validate.code(0);
    assert_eq!(sources(&validate), (3, 0));
}

#[test]
fn a_source_with_a_future_mtime_is_never_trusted() {
    let project = project();
    let dir = project.path();
    // A clock-skewed (future) mtime is never older than the cache: read every time.
    set_mtime(
        &dir.join("data/orders.csv"),
        SystemTime::now() + Duration::from_secs(3600),
    );
    assert_eq!(sources(&counted("validate", dir, &[])), (3, 0));
    assert_eq!(sources(&counted("validate", dir, &[])), (1, 2));
    assert_eq!(sources(&counted("validate", dir, &[])), (1, 2));
}

#[test]
fn the_environment_has_its_own_cache_and_init_ignores_it() {
    let project = project();
    let dir = project.path();
    let manifest =
        format!("{MANIFEST}environments:\n  prod:\n    server: https://prod.example.com/api\n");
    std::fs::write(dir.join("grokform.yaml"), manifest).unwrap();
    counted("validate", dir, &["--env", "prod"]).code(0);
    assert!(dir.join(".grokform/prod/sources.cache").is_file());
    assert!(!cache_file(dir).exists());

    let fresh = tempfile::tempdir().unwrap();
    grokform(["init", fresh.path().to_str().unwrap()])
        .run()
        .code(0);
    let gitignore = std::fs::read_to_string(fresh.path().join(".gitignore")).unwrap();
    assert!(
        gitignore.lines().any(|l| l == ".grokform/**/sources.cache"),
        "{gitignore}"
    );
}
