//! Hostile manifests (very long lines, one-line JSON, deep nesting, thousands of problems):
//! every command that reports manifest problems exits 1 with a located, readable diagnostic of
//! bounded size, never a panic (exit 101) or megabytes of output.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{Run, grokform};

/// Writes `manifest` as `grokform.yaml` in a new folder.
fn project(manifest: impl AsRef<[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grokform.yaml"), manifest).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Run {
    grokform(args).current_dir(dir).run()
}

/// Runs `validate` in GitHub Actions mode and returns the annotation lines.
fn annotations(dir: &Path) -> Vec<String> {
    let run = grokform(["validate"])
        .current_dir(dir)
        .env("GITHUB_ACTIONS", "true")
        .run();
    run.code(1);
    run.stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(str::to_string)
        .collect()
}

/// The issue's reproduction: an error past column 65,535 panicked miette's renderer.
fn past_column_65535() -> String {
    format!("version: 1\nvars:\n  x: {}: b\n", "a".repeat(65_600))
}

#[test]
fn an_error_past_column_65535_is_located_and_clipped() {
    let dir = project(past_column_65535());
    let validate = run(dir.path(), &["validate"]);
    validate.code(1);
    insta::assert_snapshot!(validate.stderr);
    // `plan` and `apply` render the same diagnostic the same way.
    for args in [&["plan"][..], &["apply", "--auto-approve"]] {
        let other = run(dir.path(), args);
        other.code(1);
        assert_eq!(other.stderr, validate.stderr, "{args:?}");
    }
    assert_eq!(
        annotations(dir.path()),
        [
            "::error file=grokform.yaml,line=3,col=65606::invalid manifest: mapping values are \
             not allowed in this context: here"
        ]
    );
}

#[test]
fn a_4_mb_invalid_value_gets_a_small_report_quickly() {
    let dir = project(format!("version: {}\n", "7".repeat(4_000_000)));
    let started = Instant::now();
    let run = run(dir.path(), &["validate"]);
    let elapsed = started.elapsed();
    run.code(1);
    // Before: 18 MB of standard error in about 5 s.
    assert!(run.stderr.len() < 2_000, "{} bytes", run.stderr.len());
    insta::assert_snapshot!(run.stderr);
    assert!(
        run.stderr.contains("[./grokform.yaml:1:10]"),
        "{}",
        run.stderr
    );
    // Both ends of the value are shown, the middle left out.
    assert!(run.stderr.contains("version: 777"), "{}", run.stderr);
    assert!(run.stderr.contains("77…77"), "{}", run.stderr);
    // Generous for a loaded machine; the point is seconds, not minutes.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    assert!(annotations(dir.path())[0].len() < 2_000);
}

/// A manifest written as one line of JSON, over 64 KiB, with a misspelt key at its end.
fn one_line_json() -> String {
    let vars: Vec<String> = (0..1_500)
        .map(|i| format!("\"var{i:04}\": \"{}\"", "v".repeat(40)))
        .collect();
    let text = format!(
        "{{\"version\": 1, \"vars\": {{{}}}, \"tables\": {{\"orders\": {{\"name\": \"Admin:Orders\", \"source\": \"orders.csv\", \"sorce\": 1}}}}}}",
        vars.join(", ")
    );
    assert!(text.len() > 64 * 1024 && !text.contains('\n'));
    text
}

#[test]
fn a_one_line_json_manifest_over_64_kib_points_at_its_error() {
    let text = one_line_json();
    let column = text.find("\"sorce\"").unwrap() + 1;
    let dir = project(&text);
    let run = run(dir.path(), &["validate"]);
    run.code(1);
    insta::assert_snapshot!(run.stderr);
    assert!(
        run.stderr
            .contains(&format!("[./grokform.yaml:1:{column}]")),
        "{}",
        run.stderr
    );
    assert_eq!(
        annotations(dir.path()),
        [format!(
            "::error file=grokform.yaml,line=1,col={column}::invalid manifest: unknown field \
             `sorce`, expected one of name, source, allow_column_removal, prevent_destroy: here"
        )]
    );
}

#[test]
fn deep_nesting_is_a_clear_error_not_a_stack_overflow() {
    let depth = 10_000;
    let shapes = [
        (
            "flow lists",
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        ),
        (
            "flow maps",
            format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth)),
        ),
        ("block lists", format!("\n        {}x", "- ".repeat(depth))),
    ];
    for (shape, value) in shapes {
        let dir = project(format!(
            "version: 1\ncalls:\n  c:\n    function: Demo:F\n    params:\n      p: {value}\n"
        ));
        let run = run(dir.path(), &["validate"]);
        run.code(1);
        assert!(
            run.stderr.contains("grokform::manifest::too_deep")
                && run
                    .stderr
                    .contains("the manifest is nested more than 64 levels deep")
                && run.stderr.contains("[./grokform.yaml:"),
            "{shape}: {}",
            run.stderr
        );
        assert!(run.stderr.len() < 2_000, "{shape}: {}", run.stderr.len());
    }
}

#[test]
fn hundreds_of_problems_show_the_first_ten_and_count_the_rest() {
    let mut text = String::from("version: 1\ndashboards:\n");
    for i in 0..500 {
        text.push_str(&format!("  d{i:03}:\n    tables: [missing{i:03}]\n"));
    }
    let dir = project(text);
    let run = run(dir.path(), &["validate"]);
    run.code(1);
    assert!(run.stderr.starts_with("grokform::manifest::invalid"));
    assert!(run.stderr.contains("`./grokform.yaml` has 500 errors"));
    assert_eq!(run.stderr.matches("unknown table `missing").count(), 10);
    assert!(run.stderr.contains("unknown table `missing009`"));
    assert!(!run.stderr.contains("missing010"));
    assert!(
        run.stderr
            .trim_end()
            .ends_with("… and 490 more problems (only the first 10 are shown)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.len() < 10_000, "{} bytes", run.stderr.len());
    let lines = annotations(dir.path());
    assert_eq!(lines.len(), 11, "{lines:#?}");
    assert_eq!(
        lines[0],
        "::error file=grokform.yaml,line=4,col=14::unknown table `missing000`: not a key of `tables`"
    );
    assert_eq!(
        lines[10],
        "::error::… and 490 more problems (only the first 10 are shown)"
    );
}

#[test]
fn many_warnings_show_the_first_ten_and_count_the_rest() {
    let mut text = String::from("version: 1\nlayouts:\n");
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        text.push_str(&format!("  l{i:02}:\n    source: l{i:02}.json\n"));
        std::fs::write(dir.path().join(format!("l{i:02}.json")), "{}").unwrap();
    }
    std::fs::write(dir.path().join("grokform.yaml"), text).unwrap();
    let run = run(dir.path(), &["validate"]);
    run.code(0);
    assert_eq!(
        run.stderr.matches("is not used by any dashboard").count(),
        10
    );
    assert!(
        run.stderr
            .trim_end()
            .ends_with("… and 20 more warnings (only the first 10 are shown)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("is valid with 30 warnings"),
        "{}",
        run.stdout
    );
}

/// Generated hostile manifests: `validate` exits 0 or 1, never panics, and a failure is
/// located and small. Cases are few and bounded in size, so the run takes seconds.
mod never_panics {
    use proptest::prelude::*;

    use super::*;

    /// Text that ends a long value in some way that may or may not be an error.
    fn ending() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just(""),
            Just(": b"),
            Just("\""),
            Just(" # note"),
            Just("\t"),
            Just("é€😀"),
            Just("["),
            Just("}"),
            Just("${var.nope}"),
            Just("\r"),
        ]
    }

    /// A long line: a value of up to 200,000 characters somewhere in a manifest.
    fn long_line() -> impl Strategy<Value = String> {
        (
            0usize..200_000,
            prop_oneof![Just('a'), Just('é'), Just(' '), Just(':')],
            ending(),
            0usize..3,
        )
            .prop_map(|(len, c, end, at)| {
                let value: String = std::iter::repeat_n(c, len).collect();
                match at {
                    0 => format!("version: 1\nvars:\n  x: {value}{end}\n"),
                    1 => format!(
                        "version: 1\ntables:\n  t:\n    name: A:{value}{end}\n    source: t.csv\n"
                    ),
                    _ => format!("version: {value}{end}\n"),
                }
            })
    }

    /// Deep nesting of lists and maps, flow or block, where any value is allowed or not.
    fn deep() -> impl Strategy<Value = String> {
        (0usize..3_000, 0usize..3, any::<bool>()).prop_map(|(depth, shape, params)| {
            let value = match shape {
                0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
                1 => format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth)),
                _ => format!("\n        {}x", "- ".repeat(depth)),
            };
            if params {
                format!(
                    "version: 1\ncalls:\n  c:\n    function: F\n    params:\n      p: {value}\n"
                )
            } else {
                format!("version: 1\nvars:\n  x: {value}\n")
            }
        })
    }

    /// One line of JSON, up to ~150 KiB, optionally broken at its end.
    fn json() -> impl Strategy<Value = String> {
        (0usize..3_000, 0usize..5).prop_map(|(vars, fault)| {
            let vars: Vec<String> = (0..vars)
                .map(|i| format!("\"v{i}\": \"{i:040}\""))
                .collect();
            let tail = match fault {
                0 => "",
                1 => ", \"bogus\": 1",
                2 => ", \"tables\": 3",
                3 => ", \"dashboards\": {\"d\": {\"tables\": [\"nope\"]}}",
                _ => ", \"vars\"",
            };
            format!(
                "{{\"version\": 1, \"vars\": {{{}}}{tail}}}",
                vars.join(", ")
            )
        })
    }

    fn check(manifest: &str) -> Result<(), TestCaseError> {
        let dir = project(manifest);
        std::fs::write(dir.path().join("t.csv"), "a\n1\n").unwrap();
        let run = grokform(["validate"])
            .current_dir(dir.path())
            .env("GITHUB_ACTIONS", "true")
            .run();
        prop_assert!(
            run.code == 0 || run.code == 1,
            "exit {}: {}",
            run.code,
            &run.stderr[..run.stderr.len().min(2_000)]
        );
        prop_assert!(
            run.stderr.len() < 20_000,
            "{} bytes of errors",
            run.stderr.len()
        );
        if run.code == 1 {
            prop_assert!(run.stderr.contains("[./grokform.yaml:"), "{}", run.stderr);
            prop_assert!(
                run.stderr.contains("::error file=grokform.yaml,line="),
                "{}",
                run.stderr
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn long_lines(manifest in long_line()) {
            check(&manifest)?;
        }

        #[test]
        fn deep_nesting(manifest in deep()) {
            check(&manifest)?;
        }

        #[test]
        fn one_line_json(manifest in json()) {
            check(&manifest)?;
        }
    }
}
