//! The CI files in `examples/ci/` are copied into users' repositories as they are: every
//! `grokform` command they run must use a subcommand and flags that exist.

use std::collections::BTreeSet;

use crate::support::{grokform, repo_root};

const SUBCOMMANDS: &[&str] = &[
    "validate",
    "plan",
    "apply",
    "refresh",
    "drift",
    "emulator",
    "force-unlock",
    "state",
    "import",
    "schema",
    "init",
];

/// `(subcommand, flags)` of every `grokform SUBCOMMAND …` invocation in `text`.
fn invocations(text: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for (i, token) in tokens.iter().enumerate() {
            if *token != "grokform" {
                continue;
            }
            let Some(sub) = tokens.get(i + 1) else {
                continue;
            };
            let sub = sub.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
            if !SUBCOMMANDS.contains(&sub) {
                continue;
            }
            let flags = tokens[i + 2..]
                .iter()
                .take_while(|t| !matches!(**t, "|" | "||" | "&&" | ";" | ">" | "2>"))
                .filter(|t| t.starts_with("--"))
                .map(|t| {
                    t.split('=')
                        .next()
                        .unwrap_or(t)
                        .trim_end_matches(';')
                        .to_owned()
                })
                .collect();
            found.push((sub.to_owned(), flags));
        }
    }
    found
}

#[test]
fn every_ci_example_uses_commands_and_flags_that_exist() {
    let dir = repo_root().join("examples/ci");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut checked = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (sub, flags) in invocations(&text) {
            let help = grokform([sub.as_str(), "--help"]).run();
            help.code(0);
            for flag in flags {
                let known = help.stdout.contains(&format!("{flag} "))
                    || help.stdout.contains(&format!("{flag}\n"));
                assert!(
                    known,
                    "{}: `grokform {sub} {flag}` is not a flag of `{sub}`",
                    file.display()
                );
                checked.insert(format!("{sub} {flag}"));
            }
        }
    }
    // the files run plan, apply and refresh with flags: a parser that found none is broken
    for expected in [
        "plan --out",
        "apply --lock-timeout",
        "refresh --detailed-exitcode",
    ] {
        assert!(
            checked.contains(expected),
            "{expected} not found in {checked:?}"
        );
    }
}

#[test]
fn a_flag_that_does_not_exist_is_caught() {
    let (sub, flags) = invocations("      - grokform apply --auto-aprove --lock-timeout 10m")
        .pop()
        .unwrap();
    let help = grokform([sub.as_str(), "--help"]).run();
    assert!(
        !help.stdout.contains("--auto-aprove "),
        "the check sees a typo"
    );
    assert_eq!(flags, ["--auto-aprove", "--lock-timeout"]);
}
