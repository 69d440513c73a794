//! `--help` and usage errors: the help is snapshotted whole (it is what users read first), and a
//! usage error exits 1, never 2.

use crate::support::{Filters, grokform, grokform_snapshot};

#[test]
fn help_lists_every_command() {
    grokform_snapshot!(Filters::new(), grokform(["--help"]).run());
}

#[test]
fn unknown_command_is_a_usage_error_with_exit_1_never_2() {
    // 2 means "changes" under `plan --detailed-exitcode`; a usage error must not look like it.
    grokform_snapshot!(Filters::new(), grokform(["frobnicate"]).run());
}
