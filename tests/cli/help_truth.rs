//! `--help` says only what is true of each command: regression tests for help texts that
//! described another command's behaviour (refresh's formats once read as the plan's).

use crate::support::grokform;

/// The `--format` block of a subcommand's long help, from the flag to the next flag.
fn format_help(command: &str) -> String {
    let run = grokform([command, "--help"]).run();
    run.code(0);
    let start = run
        .stdout
        .find("--format <FORMAT>")
        .expect("the help documents --format");
    let rest = &run.stdout[start..];
    let end = rest[2..].find("\n      --").map_or(rest.len(), |i| i + 2);
    rest[..end].to_owned()
}

#[test]
fn refresh_help_describes_the_report_not_a_plan() {
    let help = format_help("refresh");
    assert!(
        help.contains("schema/refresh.schema.json"),
        "json names the report's schema:\n{help}"
    );
    assert!(
        !help.contains("--out") && !help.contains("plan"),
        "refresh has no --out and prints no plan:\n{help}"
    );
}

#[test]
fn plan_help_still_describes_the_saved_plan() {
    let help = format_help("plan");
    assert!(help.contains("the same document `--out` saves"), "{help}");
}

#[test]
fn top_level_help_names_calls_and_that_plan_reads_the_server() {
    let run = grokform(["--help"]).run();
    run.code(0);
    assert!(run.stdout.contains("function calls"), "{}", run.stdout);
    assert!(
        run.stdout.contains("reads the server back"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("in memory"), "{}", run.stdout);
}
