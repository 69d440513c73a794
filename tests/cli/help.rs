use crate::common::grokform;

#[test]
fn help_lists_every_command() {
    let run = grokform(["--help"]).run();
    run.code(0);
    for command in [
        "validate",
        "plan",
        "apply",
        "emulator",
        "schema",
        "completions",
    ] {
        assert!(
            run.stdout.contains(command),
            "`{command}` missing from --help:\n{}",
            run.stdout
        );
    }
}

#[test]
fn unknown_command_is_a_usage_error_with_exit_1_never_2() {
    // 2 means "changes" under `plan --detailed-exitcode`; a usage error must not look like it.
    let run = grokform(["frobnicate"]).run();
    run.code(1);
    assert!(
        run.stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{}",
        run.stderr
    );
}
