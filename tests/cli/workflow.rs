//! The CI / pull-request workflow end to end (issue 5), through the real binary against the real
//! emulator: saved plans and every reason one is refused, the JSON and Markdown formats, remote
//! state shared by two "runners", locks, environments, workflow annotations and `init`.

use std::time::{Duration, Instant};

use grokform::client::{ApiKey, Client, ClientOptions};
use grokform::emulator::{DEFAULT_API_KEY, Emulator};
use grokform::state::StateStore;
use serde_json::Value;

use crate::common::{grokform, repo_root};
use crate::project::{Project, emulator, emulator_with_key, filters, held};

const REMOTE_STATE: &str =
    "\nstate:\n  backend: datagrok\n  connector: System:AppData\n  path: grokform/ci/state.json\n";

/// Requests that changed something on the server since `from` (everything but reads).
fn writes_since(server: &Emulator, from: usize) -> Vec<String> {
    server.requests()[from..]
        .iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// `apply FILE` refused as stale for `reasons`, having written nothing to `server`.
#[track_caller]
fn assert_refused(project: &Project, server: &Emulator, file: &str, reasons: &[&str]) -> String {
    let before = server.requests().len();
    let state_before = std::fs::read(project.path(".grokform/state.json")).ok();
    let mut run = project.run(&["apply", file]);
    run.code(1);
    run.stderr = unwrapped(&run.stderr);
    assert!(
        run.stderr.contains("the saved plan is stale: "),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("the saved plan is stale").count(),
        1,
        "said once: {}",
        run.stderr
    );
    for reason in reasons {
        assert!(
            run.stderr.contains(reason),
            "the refusal names `{reason}`: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("grokform plan --out FILE"),
        "{}",
        run.stderr
    );
    assert_eq!(
        writes_since(server, before),
        Vec::<String>::new(),
        "nothing is written on refusal"
    );
    assert_eq!(
        std::fs::read(project.path(".grokform/state.json")).ok(),
        state_before,
        "the state is untouched"
    );
    run.stderr.clone()
}

/// miette's report with its wrapped lines joined again, so sentences can be searched.
fn unwrapped(report: &str) -> String {
    report.replace("\n  | ", " ")
}

fn client_for(server: &Emulator) -> Client {
    Client::new(
        &server.url(),
        ApiKey::new(DEFAULT_API_KEY.into()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap()
}

fn validate_against(schema_file: &str, value: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema").join(schema_file)).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}\n{value:#}");
}

#[test]
fn a_saved_plan_is_applied_exactly_without_a_prompt_and_then_nothing_is_left() {
    let server = emulator();
    let project = Project::quickstart(&server);

    let plan = project.run(&[
        "plan",
        "--detailed-exitcode",
        "--format",
        "markdown",
        "--out",
        "grokform.plan",
    ]);
    plan.code(2);
    assert!(
        plan.stdout.starts_with("### grokform plan for "),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stderr
            .contains("apply it with `grokform apply grokform.plan`"),
        "{}",
        plan.stderr
    );
    assert_eq!(
        writes_since(&server, 0),
        Vec::<String>::new(),
        "plan writes nothing"
    );
    let saved: Value = serde_json::from_str(&project.read("grokform.plan")).unwrap();
    assert_eq!(saved["server"], server.url());
    assert_eq!(saved["state"]["serial"], 0);
    let inputs: Vec<&String> = saved["inputs"].as_object().unwrap().keys().collect();
    assert_eq!(
        inputs,
        [
            "data/customers.csv",
            "data/orders.csv",
            "data/regions.md",
            "grokform.yaml",
            "layouts/sales-overview.layout.json"
        ]
    );

    // Standard input is a pipe, not a terminal, and there is no --auto-approve: a saved plan
    // is its own approval.
    let apply = project.run(&["apply", "grokform.plan"]);
    apply.code(0);
    assert!(!apply.stderr.contains("Enter a value"), "{}", apply.stderr);
    assert!(
        apply.stderr.contains("Apply complete: 8 created, 1 ran."),
        "{}",
        apply.stderr
    );
    assert_eq!(held(&server, "tables").len(), 2);
    assert_eq!(held(&server, "dashboards").len(), 2);
    assert_eq!(held(&server, "shares").len(), 3);
    assert_eq!(held(&server, "calls").len(), 1);
    // The state continues the history the reviewed plan recorded.
    assert_eq!(project.state()["lineage"], saved["state"]["lineage"]);

    let again = project.run(&["plan", "--detailed-exitcode"]);
    again.code(0);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);

    // The same file cannot be applied twice: the state moved under it.
    let stderr = assert_refused(
        &project,
        &server,
        "grokform.plan",
        &["the state moved since the plan was made (serial 0, now "],
    );
    // How many saves an apply makes depends on how its concurrent actions shared them.
    let mut settings = filters();
    settings.add_filter(r"now \d+\)", "now [SERIAL])");
    settings.bind(|| insta::assert_snapshot!("saved_plan_applied_twice", stderr));
}

#[test]
fn a_saved_plan_is_refused_when_another_apply_moved_the_state() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.edit("data/orders.csv", |csv| {
        format!("{csv}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    project
        .run(&["plan", "--out", "reviewed.plan", "--detailed-exitcode"])
        .code(2);
    // Another run (a later merge) applies first.
    project.apply();
    let saved: Value = serde_json::from_str(&project.read("reviewed.plan")).unwrap();
    let serial = project.state()["serial"].as_u64().unwrap();
    assert!(serial > saved["state"]["serial"].as_u64().unwrap());
    assert_refused(
        &project,
        &server,
        "reviewed.plan",
        &[&format!(
            "the state moved since the plan was made (serial {}, now {serial})",
            saved["state"]["serial"]
        )],
    );
}

#[test]
fn a_saved_plan_is_refused_on_another_server() {
    let first = emulator();
    let second = emulator();
    let project = Project::quickstart(&first);
    project.run(&["plan", "--out", "p.plan"]).code(0);
    let before_first = first.requests().len();
    let before = second.requests().len();
    let run = project
        .grokform(&["apply", "p.plan"])
        .env("DATAGROK_URL", second.url())
        .run();
    run.code(1);
    assert!(
        unwrapped(&run.stderr).contains(&format!(
            "the plan targets `{}` but this apply targets `{}`",
            first.url(),
            second.url()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(writes_since(&second, before), Vec::<String>::new());
    assert_eq!(writes_since(&first, before_first), Vec::<String>::new());
    assert!(!project.path(".grokform/state.json").exists());
}

#[test]
fn a_saved_plan_is_refused_when_a_source_file_changed() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "p.plan"]).code(0);
    project.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    assert_refused(
        &project,
        &server,
        "p.plan",
        &["`layouts/sales-overview.layout.json` changed since the plan was made"],
    );
    assert_eq!(held(&server, "tables").len(), 0);
}

#[test]
fn a_saved_plan_is_refused_when_the_manifest_changed() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.run(&["plan", "--out", "p.plan"]).code(0);
    project.edit("grokform.yaml", |m| {
        m.replace("access: Edit", "access: View")
    });
    let stderr = assert_refused(
        &project,
        &server,
        "p.plan",
        &["`grokform.yaml` changed since the plan was made"],
    );
    assert!(
        !stderr.contains("data/"),
        "only the manifest is named: {stderr}"
    );
}

#[test]
fn a_saved_plan_is_refused_when_a_source_was_added_or_removed() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "p.plan"]).code(0);

    // A new table with its own CSV: a new input.
    project.write("data/products.csv", "sku,name\nW-1,Widget\n");
    project.edit("grokform.yaml", |m| {
        m.replace(
            "tables:\n",
            "tables:\n  products:\n    name: Admin:${var.project}:Products\n    source: data/products.csv\n",
        )
    });
    assert_refused(
        &project,
        &server,
        "p.plan",
        &[
            "`data/products.csv` is a new input since the plan was made",
            "`grokform.yaml` changed since the plan was made",
        ],
    );

    // Back to the reviewed manifest, less the file resource: its source is no longer an input.
    let project = Project::quickstart(&server);
    project.run(&["plan", "--out", "p.plan"]).code(0);
    project.edit("grokform.yaml", |m| {
        let start = m.find("files:\n").unwrap();
        let end = m.find("tables:\n").unwrap();
        format!("{}{}", &m[..start], &m[end..])
    });
    assert_refused(
        &project,
        &server,
        "p.plan",
        &["`data/regions.md` is no longer an input"],
    );
}

#[test]
fn no_secret_in_saved_plans_or_machine_output() {
    let key = "ci-secret-9f8e7d6c5b4a";
    let server = emulator_with_key(key);
    let mut project = Project::quickstart(&server);
    project.key = key.to_string();
    // A URL with credentials in it is refused without repeating them.
    let with_userinfo = server.url().replace("http://", "http://bot:hunter2pass@");
    let refused = project
        .grokform(&["plan"])
        .env("DATAGROK_URL", &with_userinfo)
        .run();
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("credentials do not belong in the URL"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("hunter2pass"),
        "{}",
        refused.stderr
    );

    let json = project.run(&["plan", "--format", "json", "--out", "p.plan"]);
    json.code(0);
    let markdown = project.run(&["plan", "--format", "markdown"]);
    markdown.code(0);
    let file = project.read("p.plan");
    for text in [&file, &json.stdout, &json.stderr, &markdown.stdout] {
        assert!(!text.contains(key), "{text}");
    }
    let applied = project.run(&["apply", "p.plan", "--format", "json"]);
    applied.code(0);
    for (path, bytes) in project.all_files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(key), "{}", path.display());
    }
    assert!(!applied.stdout.contains(key) && !applied.stderr.contains(key));
}

#[test]
fn json_plans_and_apply_reports_match_their_schemas() {
    let server = emulator();
    let project = Project::quickstart(&server);

    let first = project.run(&["plan", "--format", "json", "--out", "p.plan"]);
    first.code(0);
    let value: Value = serde_json::from_str(&first.stdout).expect("stdout is only JSON");
    validate_against("plan.schema.json", &value);
    assert_eq!(
        first.stdout,
        project.read("p.plan"),
        "--format json is the saved file"
    );

    let report = project.run(&["apply", "p.plan", "--format", "json"]);
    report.code(0);
    let value: Value = serde_json::from_str(&report.stdout).expect("stdout is only JSON");
    validate_against("apply-report.schema.json", &value);
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["succeeded"].as_array().unwrap().len(), 9);
    assert_eq!(value["failed"], Value::Array(vec![]));
    assert_eq!(value["interrupted"], false);

    // An update, a replace with shares following, a forget: the richer shapes validate too.
    project.edit("data/customers.csv", |c| {
        format!("{c}C-999,Zed,SMB,North,Oslo,2026-01-01\n")
    });
    project.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    project.edit("grokform.yaml", |m| {
        m.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    let second = project.run(&["plan", "--format", "json", "--detailed-exitcode"]);
    second.code(2);
    let value: Value = serde_json::from_str(&second.stdout).unwrap();
    validate_against("plan.schema.json", &value);
    let actions: Vec<&str> = value["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    for action in ["update", "replace", "forget"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let report = project.run(&["apply", "--auto-approve", "--format", "json"]);
    report.code(0);
    let value: Value = serde_json::from_str(&report.stdout).unwrap();
    validate_against("apply-report.schema.json", &value);

    // Nothing to do is still a valid report.
    let empty = project.run(&["apply", "--auto-approve", "--format", "json"]);
    empty.code(0);
    let value: Value = serde_json::from_str(&empty.stdout).unwrap();
    validate_against("apply-report.schema.json", &value);
    assert_eq!(value["succeeded"], Value::Array(vec![]));
}

#[test]
fn markdown_of_a_real_plan_is_ready_to_post() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    project.edit("layouts/sales-overview.layout.json", |t| {
        t.replace("Revenue by region", "Revenue per region")
    });
    project.edit("grokform.yaml", |m| {
        m.replace("groups: [Analysts, Managers]", "groups: [Analysts]")
    });
    let run = project.run(&["plan", "--format", "markdown"]);
    run.code(0);
    let md = &run.stdout;
    // Warnings come before the sections.
    let warnings_at = md
        .find("URL")
        .expect("the replaced dashboard's URL is warned about");
    let first_section = md.find("<details>").unwrap();
    assert!(warnings_at < first_section, "{md}");
    assert!(md.contains("| Action | Count |"), "{md}");
    filters().bind(|| insta::assert_snapshot!("markdown_real_plan", md));
}

#[test]
fn markdown_of_a_huge_layout_diff_is_truncated_under_the_comment_limit() {
    let server = emulator();
    let project = Project::quickstart(&server);
    let columns = |prefix: &str| -> Value {
        Value::Array(
            (0..4000)
                .map(|i| Value::from(format!("{prefix}_column_{i:05}")))
                .collect(),
        )
    };
    let layout = |prefix: &str| -> String {
        let mut layout: Value =
            serde_json::from_str(&project.read("layouts/sales-overview.layout.json")).unwrap();
        layout["viewStateMap"]["viewers"][0]["look"]["columnNames"] = columns(prefix);
        serde_json::to_string_pretty(&layout).unwrap()
    };
    project.write("layouts/sales-overview.layout.json", &layout("before"));
    project.apply();
    project.write("layouts/sales-overview.layout.json", &layout("after"));
    let run = project.run(&["plan", "--format", "markdown", "--detailed-exitcode"]);
    run.code(2);
    let md = &run.stdout;
    assert!(
        md.chars().count() < 60_000,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("truncated"), "the note says it was cut: {md}");
    assert!(md.contains("-/+ dashboard.sales-overview"), "{md}");
    // Every change still has its section header, even when its diff was cut.
    assert!(md.contains("share.sales-overview.Analysts"), "{md}");
    // Keep the snapshot readable: the kept diff lines are regular, keep only the head and tail.
    let lines: Vec<&str> = md.lines().collect();
    let mut shown: Vec<String> = Vec::new();
    let mut elided = 0;
    for line in &lines {
        if line.contains("_column_") {
            elided += 1;
            if elided <= 3 {
                shown.push((*line).to_string());
            }
        } else {
            if elided > 3 {
                shown.push(format!("[… {} more column lines …]", elided - 3));
            }
            elided = 0;
            shown.push((*line).to_string());
        }
    }
    let text = shown.join("\n");
    filters().bind(|| insta::assert_snapshot!("markdown_truncated_plan", text));
}

/// The quickstart with its state on the server.
fn remote_project(server: &Emulator) -> Project {
    let project = Project::quickstart(server);
    project.edit("grokform.yaml", |m| format!("{m}{REMOTE_STATE}"));
    project
}

#[test]
fn remote_state_is_shared_by_runners_without_a_committed_state() {
    let server = emulator();
    let first = remote_project(&server);
    first.run(&["plan", "--out", "p.plan"]).code(0);
    first.run(&["apply", "p.plan"]).code(0);
    assert!(
        !first.path(".grokform/state.json").exists(),
        "no local state"
    );
    let files: Vec<String> = held(&server, "files")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        files.contains(&"grokform/ci/state.json".to_string()),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with(".lock")),
        "the lock is gone: {files:?}"
    );

    // Another runner: a fresh checkout, no `.grokform/` at all.
    let second = remote_project(&server);
    assert!(!second.path(".grokform").exists());
    let plan = second.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);

    // A plan the second runner saved goes stale once the first applies something newer: the
    // serial check refuses the older one.
    second.edit("data/orders.csv", |c| {
        format!("{c}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    second
        .run(&["plan", "--out", "p.plan", "--detailed-exitcode"])
        .code(2);
    first.edit("data/orders.csv", |c| {
        format!("{c}O-9999,2026-01-01,C-001,North,Widget,1,1.0,1.0,open\n")
    });
    first.apply();
    let run = second.run(&["apply", "p.plan"]);
    run.code(1);
    assert!(
        run.stderr
            .contains("the state moved since the plan was made"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_remote_lock_held_by_another_run_is_reported_and_waited_for() {
    let server = emulator();
    let project = remote_project(&server);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let other = StateStore::remote(
        client_for(&server),
        "System:AppData",
        "grokform/ci/state.json",
    );
    let lock = runtime
        .block_on(other.lock("apply", Duration::ZERO))
        .unwrap();

    let run = project.run(&["apply", "--auto-approve"]);
    run.code(1);
    assert!(run.stderr.contains("is locked by"), "{}", run.stderr);
    assert!(run.stderr.contains("running `apply`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("force-unlock"),
        "the way out is named: {}",
        run.stderr
    );
    assert_eq!(held(&server, "tables").len(), 0);

    // The other run finishes 1.5 s later; `--lock-timeout` waits for it.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        runtime.block_on(lock.release()).unwrap();
    });
    let started = Instant::now();
    let run = project.run(&["apply", "--auto-approve", "--lock-timeout", "30s"]);
    run.code(0);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "it waited"
    );
    releaser.join().unwrap();
    assert_eq!(held(&server, "tables").len(), 2);
}

#[test]
fn force_unlock_breaks_a_remote_lock() {
    let server = emulator();
    let project = remote_project(&server);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let other = StateStore::remote(
        client_for(&server),
        "System:AppData",
        "grokform/ci/state.json",
    );
    let lock = runtime
        .block_on(other.lock("apply", Duration::ZERO))
        .unwrap();
    std::mem::forget(lock); // A run that died: nobody will release it.

    let run = project.run(&["force-unlock"]);
    run.code(0);
    assert!(
        run.stdout.starts_with(
            "Removed the lock on `System:AppData/grokform/ci/state.json on the server` held by "
        ),
        "{}",
        run.stdout
    );
    project.apply();
    let run = project.run(&["force-unlock"]);
    run.code(0);
    assert!(
        run.stdout.contains("is not locked; nothing to do"),
        "{}",
        run.stdout
    );
}

#[test]
fn force_unlock_on_local_state_with_nothing_held() {
    let server = emulator();
    let project = Project::quickstart(&server);
    project.apply();
    let run = project.run(&["force-unlock"]);
    run.code(0);
    assert_eq!(
        run.stdout,
        "`.grokform/state.json` is not locked; nothing to do.\n"
    );
}

#[test]
fn environments_keep_their_own_state_and_name_themselves_first() {
    let server = emulator();
    let project = Project::example("environments", &server);
    let url = server.url();

    let plan = project.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    plan.code(2);
    let first_line = plan.stdout.lines().next().unwrap();
    assert_eq!(
        first_line,
        format!("grokform will perform the following actions on {url} (environment: staging):")
    );
    let markdown = project.run(&["plan", "--env", "staging", "--format", "markdown"]);
    assert_eq!(
        markdown.stdout.lines().next().unwrap(),
        format!("### grokform plan for {url} (environment: staging)")
    );

    let apply = project.run(&["apply", "--env", "staging", "--auto-approve"]);
    apply.code(0);
    assert!(
        apply
            .stdout
            .lines()
            .next()
            .unwrap()
            .contains("(environment: staging)"),
        "{}",
        apply.stdout
    );
    let state: Value = serde_json::from_str(&project.read(".grokform/staging/state.json")).unwrap();
    assert_eq!(state["resources"].as_object().unwrap().len(), 3);
    assert!(!project.path(".grokform/state.json").exists());

    // Staging is done; the default environment has not seen any of it.
    let staging = project.run(&["plan", "--env", "staging", "--detailed-exitcode"]);
    staging.code(0);
    assert_eq!(
        staging.stdout.lines().next().unwrap(),
        format!("grokform plan for {url} (environment: staging)")
    );
    let default = project.run(&["plan", "--detailed-exitcode"]);
    default.code(2);
    assert!(default.stdout.contains("3 to create"), "{}", default.stdout);
    assert!(
        default.stdout.starts_with(&format!(
            "grokform will perform the following actions on {url}:"
        )),
        "{}",
        default.stdout
    );
    // GROKFORM_ENV selects it as well.
    let via_env = project
        .grokform(&["plan", "--detailed-exitcode"])
        .env("GROKFORM_ENV", "staging")
        .run();
    via_env.code(0);

    // A saved plan records its environment and is refused in another one.
    project
        .run(&["plan", "--env", "staging", "--out", "staging.plan"])
        .code(0);
    let saved: Value = serde_json::from_str(&project.read("staging.plan")).unwrap();
    assert_eq!(saved["environment"], "staging");
    let before = server.requests().len();
    let wrong = project.run(&["apply", "staging.plan"]);
    wrong.code(1);
    assert!(
        unwrapped(&wrong.stderr).contains(
            "the plan was made for environment `staging` but this apply uses no environment (the manifest's top level)"
        ),
        "{}",
        wrong.stderr
    );
    assert_eq!(writes_since(&server, before), Vec::<String>::new());
    assert!(!project.path(".grokform/state.json").exists());
    let right = project.run(&["apply", "staging.plan", "--env", "staging"]);
    right.code(0);
    assert!(right.stdout.contains("No changes"), "{}", right.stdout);
}

#[test]
fn github_actions_annotations_for_errors_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\nserver: https://dg.example.com\ntables:\n  t:\n    name: A:B:C\n    source: x.csv\n",
    )
    .unwrap();
    let warned = grokform(["validate"])
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .run();
    warned.code(0);
    let lines: Vec<&str> = warned
        .stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(
        lines,
        [
            "::warning file=grokform.yaml,line=2,col=9::server `https://dg.example.com` does not end with `/api`: this reaches the web UI, not the API"
        ]
    );
    assert!(!warned.stdout.contains("::"), "annotations go to stderr");

    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\ntables:\n  t:\n    name: A:B:C\n    source: x.csv\nunknownkey: 3\n",
    )
    .unwrap();
    let failed = grokform(["validate"])
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .run();
    failed.code(1);
    let lines: Vec<&str> = failed
        .stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", failed.stderr);
    assert!(
        lines[0].starts_with(
            "::error file=grokform.yaml,line=6,col=1::invalid manifest: unknown field `unknownkey`"
        ),
        "{}",
        lines[0]
    );

    // Outside GitHub Actions: no workflow commands.
    let plain = grokform(["validate"]).current_dir(dir.path()).run();
    plain.code(1);
    assert!(!plain.stderr.contains("::error"), "{}", plain.stderr);

    // With `-C`, the path is the one from the checkout root.
    let parent = dir.path().parent().unwrap();
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let nested = grokform(["validate", "-C", &name])
        .current_dir(parent)
        .env("GITHUB_ACTIONS", "true")
        .run();
    assert!(
        nested
            .stderr
            .contains(&format!("::error file={name}/grokform.yaml,line=6,col=1::")),
        "{}",
        nested.stderr
    );
}

#[test]
fn init_scaffolds_a_project_that_validates_plans_and_applies_locally() {
    let dir = tempfile::tempdir().unwrap();
    let run = grokform(["init"]).current_dir(dir.path()).run();
    run.code(0);
    for file in [
        "grokform.yaml",
        "data/example.csv",
        "grokform.schema.json",
        ".gitignore",
        ".github/workflows/grokform.yml",
    ] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    for entry in [
        ".grokform/local/",
        "*.plan",
        ".grokform/**/remote-state.json",
    ] {
        assert!(
            gitignore.lines().any(|l| l == entry),
            "{entry} in {gitignore}"
        );
    }
    let workflow =
        std::fs::read_to_string(dir.path().join(".github/workflows/grokform.yml")).unwrap();
    assert_eq!(
        workflow,
        std::fs::read_to_string(repo_root().join("examples/ci/github-actions.yml")).unwrap()
    );

    grokform(["validate", "--strict"])
        .current_dir(dir.path())
        .run()
        .code(0);
    let plan = grokform(["plan", "--server", "local", "--detailed-exitcode"])
        .current_dir(dir.path())
        .run();
    plan.code(2);
    assert!(
        plan.stdout
            .starts_with("grokform will perform the following actions on local"),
        "{}",
        plan.stdout
    );
    grokform(["apply", "--server", "local", "--auto-approve"])
        .current_dir(dir.path())
        .run()
        .code(0);
    let again = grokform(["plan", "--server", "local", "--detailed-exitcode"])
        .current_dir(dir.path())
        .run();
    again.code(0);
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let run = grokform(["init"]).current_dir(dir.path()).run();
    run.code(1);
    assert!(run.stderr.contains("is not empty"), "{}", run.stderr);
    assert!(run.stderr.contains("`notes.txt`"), "{}", run.stderr);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    // A new folder named on the command line is fine.
    grokform(["init", "fresh"])
        .current_dir(dir.path())
        .run()
        .code(0);
    assert!(dir.path().join("fresh/grokform.yaml").is_file());
}
