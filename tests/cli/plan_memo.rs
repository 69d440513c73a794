//! The no-op plan memo through the binary: `plan --refresh=false` after a no-op plan answers
//! from `.grokform/plan-memo/` (seen in `GROKFORM_DEBUG_SOURCES=1`'s line) with the same output,
//! and any change to what the plan depends on (a source, a folder, the manifest, the state, a
//! journal, the arguments, the server or key) takes the full plan again, which sees it.
//!
//! The memo only records files whose ctime is older than the racy window (2 s), which no test
//! can set, so each project here waits until its files are that old (a condition, polled).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::support::{Run, Server, TestContext};

const MEMO: &str = ".grokform/plan-memo";
const ANSWERED: &str = "unchanged since the memoised no-op plan";

/// The quickstart applied, its files older than the racy window, and a first no-op plan run
/// (which writes the memo); returns the context and that plan's output.
fn memoised() -> (TestContext, Run) {
    let project = TestContext::quickstart();
    project.apply();
    wait_until_old(project.root());
    let first = plan(&project, &[]);
    first.code(0);
    assert!(!first.stderr.contains(ANSWERED), "{}", first.stderr);
    assert!(project.path(MEMO).is_dir(), "a no-op plan writes a memo");
    (project, first)
}

/// `plan --refresh=false --detailed-exitcode ARGS` with the source counter on.
fn plan(project: &TestContext, args: &[&str]) -> Run {
    let mut all = vec!["plan", "--refresh=false", "--detailed-exitcode"];
    all.extend_from_slice(args);
    project
        .grokform(&all)
        .env("GROKFORM_DEBUG_SOURCES", "1")
        .run()
}

/// Waits until every file and folder under `root` last changed over 2 s ago.
fn wait_until_old(root: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while newest_change(root) > SystemTime::now() - Duration::from_millis(2100) {
        assert!(Instant::now() < deadline, "files kept changing");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn newest_change(dir: &Path) -> SystemTime {
    use std::os::unix::fs::MetadataExt;
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let changed =
            SystemTime::UNIX_EPOCH + Duration::new(meta.ctime() as u64, meta.ctime_nsec() as u32);
        newest = newest.max(changed);
        if meta.is_dir() && path.file_name().is_some_and(|n| n != ".grokform") {
            newest = newest.max(newest_change(&path));
        }
    }
    newest
}

/// Asserts `run` was answered by the memo with exactly `first`'s output.
#[track_caller]
fn answered(run: &Run, first: &Run) {
    run.code(0);
    assert!(run.stderr.contains(ANSWERED), "{}", run.stderr);
    assert_eq!(run.stdout, first.stdout);
}

/// Asserts `run` was a full plan (the memo was not used).
#[track_caller]
fn full(run: &Run) {
    assert!(!run.stderr.contains(ANSWERED), "{}", run.stderr);
    assert!(run.stderr.contains("from the stat cache"), "{}", run.stderr);
}

#[test]
fn an_unchanged_project_is_answered_from_the_memo_with_the_same_output() {
    let (project, first) = memoised();
    assert!(
        first.stdout.contains("No changes"),
        "the first plan is a no-op: {}",
        first.stdout
    );
    let again = plan(&project, &[]);
    answered(&again, &first);
    // 3 sources (2 CSVs, 1 file) and 1 layout.
    assert!(
        again
            .stderr
            .contains(": sources: 0 read, 0 from the stat cache, 4 unchanged")
    );
    // The key never lands in the memo.
    for memo in std::fs::read_dir(project.path(MEMO)).unwrap() {
        let text = std::fs::read_to_string(memo.unwrap().path()).unwrap();
        assert!(!text.contains(&project.key), "the API key is in the memo");
    }
}

#[test]
fn a_changed_source_of_the_same_size_and_mtime_is_planned() {
    let (project, _) = memoised();
    let path = project.path("data/orders.csv");
    let before = std::fs::metadata(&path).unwrap();
    let text = project.read("data/orders.csv");
    // Same length, one digit changed, mtime put back: only the ctime and content differ.
    let changed = text.replacen('1', "7", 1);
    assert_eq!(changed.len(), text.len());
    project.write("data/orders.csv", &changed);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    let run = plan(&project, &[]);
    full(&run);
    run.code(2);
    assert!(run.stdout.contains("table.orders"), "{}", run.stdout);
}

#[test]
fn a_changed_manifest_layout_or_state_is_planned() {
    let (project, first) = memoised();

    // A comment changes the manifest's bytes but not the plan: a full plan, no changes,
    // and the memo follows the new manifest.
    project.edit("grokform.yaml", |m| format!("{m}# reviewed\n"));
    let run = plan(&project, &[]);
    full(&run);
    run.code(0);
    answered(&plan(&project, &[]), &first);

    // A layout edit (a space) changes the layout's text, so the dashboard's.
    let layout = "layouts/sales-overview.layout.json";
    let original = project.read(layout);
    project.write(layout, &format!("{original} "));
    full(&plan(&project, &[]));
    project.write(layout, &original);

    // The state's bytes (a space in its JSON): the full plan decodes it again.
    let state = project.read(".grokform/state.json");
    project.write(".grokform/state.json", &state.replacen("{", "{ ", 1));
    let run = plan(&project, &[]);
    full(&run);
    run.code(0);
}

#[test]
fn a_journal_other_arguments_or_another_server_take_the_full_plan() {
    let (project, first) = memoised();

    for args in [&["--format", "json"][..], &["--target", "table.orders"][..]] {
        full(&plan(&project, args));
    }
    answered(&plan(&project, &[]), &first);

    // A journal beside the state: a run in progress or one to recover.
    project.write(".grokform/state.journal", "");
    full(&plan(&project, &[]));
    std::fs::remove_file(project.path(".grokform/state.journal")).unwrap();
    answered(&plan(&project, &[]), &first);

    // The memo still checks the server and key: a wrong key fails as a full plan would.
    let run = project
        .grokform(&["plan", "--refresh=false", "--detailed-exitcode"])
        .env("DATAGROK_API_KEY", "not-the-key")
        .run();
    run.code(1);
    assert!(
        run.stderr.contains("cannot use the server"),
        "{}",
        run.stderr
    );

    // Another server (same manifest, same state) is another plan.
    let other = Server::new().start();
    let run = project
        .grokform(&["plan", "--refresh=false", "--detailed-exitcode"])
        .env("DATAGROK_URL", other.url())
        .env("GROKFORM_DEBUG_SOURCES", "1")
        .run();
    full(&run);
}

#[test]
fn a_folder_replaced_by_a_link_is_seen() {
    let (project, _) = memoised();
    // The same files, now reached through a link to a folder outside the project: the full
    // plan refuses them, so the memo must not answer.
    let outside = tempfile::tempdir().unwrap();
    let moved = outside.path().join("data");
    std::fs::rename(project.path("data"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, project.path("data")).unwrap();
    let run = plan(&project, &[]);
    run.code(1);
    assert!(!run.stderr.contains(ANSWERED), "{}", run.stderr);
    assert!(
        run.stderr.contains("outside the manifest's folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn fresh_files_and_refreshing_plans_write_no_memo() {
    let project = TestContext::quickstart();
    project.apply();
    // Right after apply the state and sources are inside the racy window.
    plan(&project, &[]).code(0);
    assert!(!project.path(MEMO).exists());
    wait_until_old(project.root());
    // A plan that reads the server back is never memoised.
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(!project.path(MEMO).exists());
}

#[test]
fn a_source_reached_through_a_link_is_never_memoised() {
    let project = TestContext::quickstart();
    // A link inside the project is a valid source, but what it points at can change without
    // the link or its folder changing, so such a plan is always planned in full.
    std::fs::rename(project.path("data/regions.md"), project.path("regions.md")).unwrap();
    std::os::unix::fs::symlink("../regions.md", project.path("data/regions.md")).unwrap();
    project.apply();
    wait_until_old(project.root());
    for _ in 0..2 {
        let run = plan(&project, &[]);
        run.code(0);
        full(&run);
    }
    assert!(!project.path(MEMO).exists());
}
