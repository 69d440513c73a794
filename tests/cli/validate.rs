//! `grokform validate`: the examples pass, and every kind of bad input fails with exit 1 and a
//! diagnostic naming the file, line and column of the offending node (snapshotted in full).

use crate::support::{Filters, Run, TestContext, grokform, grokform_snapshot, repo_root};

/// The CSVs and layout every case can point at.
const ORDERS: &str = "order_id,region,revenue\nO1,North,10.5\nO2,South,7\n";
const CUSTOMERS: &str = "customer_id,name\nC1,Alice\nC2,Bob\n";
const LAYOUT: &str = r##"{
  "#type": "ViewLayout",
  "viewStateMap": {"tableId": "${table.orders.id}", "look": {"xColumnName": "region"}},
  "columns": [{"name": "revenue"}]
}
"##;

/// A valid manifest that cases start from.
const BASE: &str = "\
version: 1
server: https://datagrok.example.com/api
vars:
  project: Sales
tables:
  orders:
    name: Admin:${var.project}:Orders
    source: data/orders.csv
  customers:
    name: Admin:${var.project}:Customers
    source: data/customers.csv
layouts:
  main:
    source: layouts/main.json
dashboards:
  overview:
    name: Overview
    tables: [orders, customers]
    layout: main
shares:
  - dashboard: overview
    groups: [Analysts, Managers]
calls:
  refresh:
    function: Demo:RefreshCaches
    params: {table: \"${table.orders.id}\"}
";

/// A project of the base files plus `manifest`, with no server (validate needs none).
fn project(manifest: impl AsRef<[u8]>) -> TestContext {
    let context = TestContext::new();
    context.write("data/orders.csv", ORDERS);
    context.write("data/customers.csv", CUSTOMERS);
    context.write("layouts/main.json", LAYOUT);
    context.write_bytes("grokform.yaml", manifest.as_ref());
    context
}

/// `grokform validate EXTRA…` in the project.
fn validate(context: &TestContext, extra: &[&str]) -> Run {
    context.grokform(&[&["validate"], extra].concat()).run()
}

/// Asserts the run failed with a located diagnostic and snapshots what the user saw.
#[track_caller]
fn assert_bad(name: &str, context: &TestContext) {
    let run = validate(context, &[]);
    run.code(1);
    assert!(
        !run.stderr.contains("panicked"),
        "{name} panicked:\n{}",
        run.stderr
    );
    let located = run.stderr.lines().any(|line| {
        line.contains("[") && {
            let inner = line.split('[').nth(1).unwrap_or("");
            let parts: Vec<&str> = inner.trim_end_matches(']').rsplitn(3, ':').collect();
            parts.len() == 3
                && parts[0].chars().all(|c| c.is_ascii_digit())
                && parts[1].chars().all(|c| c.is_ascii_digit())
                && !parts[2].is_empty()
        }
    });
    assert!(located, "{name}: no file:line:column in\n{}", run.stderr);
    grokform_snapshot!(name, context.filters(), run);
}

/// `BASE` with `from` replaced by `to` (which must occur).
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "`{from}` is not in the base manifest");
    BASE.replacen(from, to, 1)
}

#[test]
fn quickstart_is_valid() {
    // Without a warning: one line on stdout, nothing on stderr.
    grokform_snapshot!(
        Filters::new(),
        grokform(["validate", "-C", "examples/quickstart"])
            .current_dir(repo_root())
            .run()
    );
}

#[test]
fn environments_example_is_valid_in_every_environment() {
    for env in [None, Some("staging"), Some("prod")] {
        let mut args = vec![
            "validate",
            "-f",
            "examples/environments/grokform.yaml",
            "--strict",
        ];
        if let Some(env) = env {
            args.extend(["--env", env]);
        }
        grokform(args).current_dir(repo_root()).run().code(0);
    }
}

#[test]
fn environment_overrides_server_vars_and_state() {
    let path = repo_root().join("examples/environments/grokform.yaml");
    let base = grokform::model::Model::load(&path, None).unwrap().model;
    let prod = grokform::model::Model::load(&path, Some("prod"))
        .unwrap()
        .model;
    assert_eq!(base.tables["orders"].name, "Admin:SalesDev:Orders");
    assert_eq!(prod.tables["orders"].name, "Admin:Sales:Orders");
    assert_eq!(
        prod.server.as_deref(),
        Some("https://datagrok.example.com/api")
    );
    assert_eq!(prod.environment.as_deref(), Some("prod"));
    assert!(
        prod.shares
            .contains_key(&("orders".into(), "Managers".into()))
    );
    assert_eq!(
        prod.state,
        grokform::model::StateBackend::Datagrok {
            connector: "System:AppData".into(),
            path: "grokform/prod/state.json".into()
        }
    );
    assert_eq!(base.state, grokform::model::StateBackend::Local);
}

#[test]
fn base_manifest_resolves_fully() {
    let context = project(BASE);
    validate(&context, &["--strict"]).code(0);
    let resolved = grokform::model::Model::load(&context.path("grokform.yaml"), None).unwrap();
    let model = resolved.model;
    let orders = &model.tables["orders"];
    assert_eq!(orders.csv.columns, ["order_id", "region", "revenue"]);
    assert_eq!(orders.csv.rows, 2);
    assert_eq!(orders.source.size, ORDERS.len() as u64);
    assert_eq!(orders.source.relative, "data/orders.csv");
    assert!(orders.source.path.starts_with(&model.root));
    assert_eq!(
        model.calls["refresh"].depends_on,
        ["table.orders".parse().unwrap()]
    );
    assert_eq!(model.calls["refresh"].params["table"], "${table.orders.id}");
    assert_eq!(model.dashboards["overview"].tables, ["orders", "customers"]);
    let order: Vec<String> = grokform::graph::order(&model.dependencies())
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        order,
        [
            "table.customers",
            "table.orders",
            "dashboard.overview",
            "share.overview.Analysts",
            "share.overview.Managers",
            "call.refresh"
        ]
    );
}

macro_rules! bad {
    ($name:ident, $manifest:expr) => {
        bad!($name, $manifest, |_p: &TestContext| {});
    };
    ($name:ident, $manifest:expr, $setup:expr) => {
        #[test]
        fn $name() {
            let context = project($manifest);
            #[allow(clippy::redundant_closure_call)]
            ($setup)(&context);
            assert_bad(stringify!($name), &context);
        }
    };
}

// Syntax and shape.
bad!(
    yaml_syntax_error,
    "version: 1\ntables:\n  orders: {name: x, source: \"data/orders.csv\n"
);
bad!(
    wrong_type,
    edit("tables: [orders, customers]", "tables: orders")
);
bad!(unknown_top_level_key, edit("vars:", "varz:"));
bad!(
    unknown_nested_key,
    edit("    source: data/orders.csv", "    sorce: data/orders.csv")
);
bad!(
    duplicate_key,
    edit("  customers:\n    name:", "  orders:\n    name:")
);
bad!(alias_bomb, {
    let mut text =
        String::from("version: 1\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    text.replace(
        "version: 1\n",
        "version: 1\ncalls:\n  c:\n    function: Echo\n    params:\n      ",
    )
    .replace("\nx", "\n      x")
});
bad!(empty_file, "# nothing here yet\n\n");
bad!(non_utf8, b"version: 1\nvars:\n  project: Caf\xe9\n");
bad!(missing_version, BASE.replacen("version: 1\n", "", 1));
bad!(unsupported_version, edit("version: 1", "version: 2"));
bad!(
    invalid_key,
    edit("  customers:\n    name:", "  cust.omers:\n    name:")
);

// References.
bad!(
    unknown_table,
    edit("tables: [orders, customers]", "tables: [orders, custmers]")
);
bad!(unknown_layout, edit("layout: main", "layout: mian"));
bad!(
    unknown_share_dashboard,
    edit("  - dashboard: overview", "  - dashboard: overveiw")
);
bad!(
    unknown_depends_on,
    edit(
        "    function: Demo:RefreshCaches",
        "    function: Demo:RefreshCaches\n    depends_on: [table.order]"
    )
);
bad!(
    depends_on_not_an_address,
    edit(
        "    function: Demo:RefreshCaches",
        "    function: Demo:RefreshCaches\n    depends_on: [orders]"
    )
);
bad!(
    unknown_template_in_params,
    edit("${table.orders.id}\"}", "${table.ordrs.id}\"}")
);
bad!(unknown_template_in_layout, BASE, |p: &TestContext| {
    p.write(
        "layouts/main.json",
        &LAYOUT.replace(
            "${table.orders.id}",
            "${dashboard.overview.id}\", \"t\": \"${table.sales.id}",
        ),
    );
});
bad!(
    unknown_variable,
    edit("Admin:${var.project}:Orders", "Admin:${var.projet}:Orders")
);
bad!(
    dependency_cycle,
    format!(
        "{BASE}  a:\n    function: Echo\n    depends_on: [call.b]\n  b:\n    function: Echo\n    params: {{x: \"${{dashboard.overview.id}}\"}}\n    depends_on: [call.a]\n"
    )
);

// Names.
bad!(
    grok_name_empty_part,
    edit("Admin:${var.project}:Orders", "Admin::Orders")
);
bad!(
    grok_name_dot_in_part,
    edit("Admin:${var.project}:Orders", "Admin:Q1.2024:Orders")
);
bad!(
    invalid_access,
    edit(
        "    groups: [Analysts, Managers]",
        "    groups: [Analysts, Managers]\n    access: Admin"
    )
);
bad!(invalid_run_policy, format!("{BASE}    run: sometimes\n"));
bad!(
    remote_path_absolute,
    format!(
        "{BASE}files:\n  f:\n    connector: System:AppData\n    path: /etc/passwd\n    source: data/orders.csv\n"
    )
);
bad!(
    remote_path_dotdot,
    format!(
        "{BASE}files:\n  f:\n    connector: System:AppData\n    path: sales/../../x.csv\n    source: data/orders.csv\n"
    )
);
bad!(
    remote_path_empty_segment,
    format!(
        "{BASE}files:\n  f:\n    connector: System:AppData\n    path: sales//x.csv\n    source: data/orders.csv\n"
    )
);
bad!(
    invalid_server,
    edit(
        "https://datagrok.example.com/api",
        "ftp://datagrok.example.com/api"
    )
);
bad!(
    state_backend_missing_path,
    format!("{BASE}state:\n  backend: datagrok\n  connector: System:AppData\n")
);

// Two resources writing the same remote object.
bad!(
    duplicate_table_name,
    edit("Admin:${var.project}:Customers", "admin:Sales:orders")
);
bad!(
    duplicate_file_target,
    format!(
        "{BASE}files:\n  a:\n    connector: System:AppData\n    path: x/y.csv\n    source: data/orders.csv\n  b:\n    connector: System:AppData\n    path: x/y.csv\n    source: data/customers.csv\n"
    )
);
bad!(
    duplicate_share,
    edit(
        "groups: [Analysts, Managers]",
        "groups: [Analysts, Managers, Analysts]"
    )
);

// Sources.
bad!(
    source_missing,
    edit("data/customers.csv", "data/customer.csv")
);
bad!(source_is_a_folder, edit("data/customers.csv", "data"));
bad!(
    source_outside_folder,
    edit("data/customers.csv", "../customers.csv"),
    |p: &TestContext| {
        std::fs::write(p.root().parent().unwrap().join("customers.csv"), CUSTOMERS).ok();
    }
);
bad!(
    source_symlink_outside,
    edit("data/customers.csv", "data/link.csv"),
    |p: &TestContext| {
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/hostname", p.path("data/link.csv")).unwrap();
    }
);
bad!(layout_invalid_json, BASE, |p: &TestContext| {
    p.write(
        "layouts/main.json",
        "{\n  \"#type\": \"ViewLayout\",\n  \"columns\": [\n    {\"name\": \"revenue\",}\n  ]\n}\n",
    );
});
bad!(table_ragged_csv, BASE, |p: &TestContext| {
    p.write("data/customers.csv", "customer_id,name\nC1,Alice\nC2\n");
});
bad!(table_empty_csv, BASE, |p: &TestContext| {
    p.write("data/customers.csv", "");
});

// Everything at once: one run reports every problem.
bad!(
    many_problems_at_once,
    edit("tables: [orders, customers]", "tables: [orders, nope]")
        .replace("layout: main", "layout: nope")
        .replace("Admin:${var.project}:Orders", "Admin::Orders")
        .replace(
            "groups: [Analysts, Managers]",
            "groups: [Analysts]\n    access: Read"
        )
);

#[test]
fn unknown_environment_lists_the_known_ones() {
    let context = project(format!(
        "{BASE}environments:\n  staging:\n    vars: {{project: Staging}}\n  prod:\n    server: https://datagrok.example.com/api\n"
    ));
    grokform_snapshot!(context.filters(), validate(&context, &["--env", "prd"])).code(1);
    validate(&context, &["--env", "staging"]).code(0);
}

#[test]
fn warnings_pass_unless_strict() {
    let context = project(
        edit(
            "https://datagrok.example.com/api",
            "https://datagrok.example.com",
        )
        .replace(
            "dashboards:\n",
            "  unused:\n    source: layouts/main.json\ndashboards:\n",
        ),
    );
    context.write(
        "layouts/main.json",
        &LAYOUT.replace("\"xColumnName\": \"region\"", "\"xColumnName\": \"regoin\""),
    );
    grokform_snapshot!(context.filters(), validate(&context, &[])).code(0);
    let strict = validate(&context, &["--strict"]);
    strict.code(1);
    assert!(
        strict.stderr.contains("3 warnings with --strict"),
        "{}",
        strict.stderr
    );
}

#[test]
fn missing_manifest_is_an_error_naming_it() {
    let context = TestContext::new();
    grokform_snapshot!(context.filters(), context.run(&["validate"]), @r"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    grokform::manifest::unreadable

      x cannot read the manifest `./grokform.yaml`: No such file or directory (os error 2)
      help: pass the manifest with `-f FILE` or its folder with `-C DIR`
    ");
}

mod property {
    //! Arbitrary bytes and well-formed-but-wrong manifests never panic the parser or resolver.

    use proptest::prelude::*;

    fn load(dir: &std::path::Path, text: &[u8]) {
        let path = dir.join("grokform.yaml");
        std::fs::write(&path, text).unwrap();
        // Rendering too must not panic (labels must lie inside their source).
        if let Err(report) = grokform::model::Model::load(&path, None) {
            let _ = format!("{report:?}");
        }
        let _ = grokform::model::Model::load(&path, Some("nope")).map_err(|r| format!("{r:?}"));
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("orders".to_string()),
            Just("data/orders.csv".to_string()),
            Just("${var.project}".to_string()),
            Just("${table.orders.id}".to_string()),
            Just("${dashboard.x.id}".to_string()),
            Just("a::b".to_string()),
            Just("../x".to_string()),
            Just("[1, 2]".to_string()),
            Just("{a: 1}".to_string()),
            Just("~".to_string()),
            Just("12".to_string()),
            Just("\"é ${\"".to_string()),
            "[a-z:./${}]{0,12}".prop_map(|s| format!("\"{s}\"")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let dir = tempfile::tempdir().unwrap();
            load(dir.path(), &bytes);
        }

        #[test]
        fn wrong_manifests_never_panic(values in proptest::collection::vec(scalar(), 12)) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("data")).unwrap();
            std::fs::write(dir.path().join("data/orders.csv"), "a,b\n1,2\n").unwrap();
            let v = |i: usize| values[i].clone();
            let text = format!(
                "version: 1\nvars:\n  project: {}\ntables:\n  orders:\n    name: {}\n    source: {}\nlayouts:\n  l:\n    source: {}\ndashboards:\n  d:\n    tables: [{}]\n    layout: {}\nshares:\n  - dashboard: {}\n    groups: [{}]\n    access: {}\ncalls:\n  c:\n    function: {}\n    params: {{p: {}}}\n    depends_on: [{}]\n",
                v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), v(9), v(10), v(11)
            );
            load(dir.path(), text.as_bytes());
        }
    }
}

bad!(
    malformed_reference_in_params,
    edit("${table.orders.id}\"}", "${table.orders}\"}")
);
bad!(malformed_reference_in_layout, BASE, |p: &TestContext| {
    p.write(
        "layouts/main.json",
        &LAYOUT.replace("${table.orders.id}", "${var.project}"),
    );
});

/// Remote state per environment: an inherited top-level `state:` gets an `<env>/` folder (two
/// environments never share a state); an environment's own `state:` is used exactly.
#[test]
fn environments_get_their_own_remote_state_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grokform.yaml"),
        "version: 1\nserver: https://x.example/api\n\
         state: { backend: datagrok, connector: \"System:AppData\", path: grokform/state.json }\n\
         environments:\n  staging: {}\n  prod:\n    state: { backend: datagrok, connector: \"System:AppData\", path: teams/prod.json }\n",
    )
    .unwrap();
    let path = dir.path().join("grokform.yaml");
    let backend = |env: Option<&str>| {
        grokform::model::Model::load(&path, env)
            .unwrap()
            .model
            .state
    };
    let remote = |p: &str| grokform::model::StateBackend::Datagrok {
        connector: "System:AppData".into(),
        path: p.into(),
    };
    assert_eq!(backend(None), remote("grokform/state.json"));
    assert_eq!(
        backend(Some("staging")),
        remote("grokform/staging/state.json")
    );
    assert_eq!(backend(Some("prod")), remote("teams/prod.json"));
}
