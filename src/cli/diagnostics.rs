//! Printing diagnostics: miette's rendering for people, plus GitHub Actions workflow
//! annotations (`::error file=…,line=…,col=…::message`) when `GITHUB_ACTIONS=true`, so that
//! validation problems show up on the pull request's diff.
//!
//! Whatever the input, what is printed stays small and renderable: every report is first
//! copied into a `Bounded` diagnostic (long source lines clipped around their labels, long
//! messages clipped, at most `SHOWN` problems in full, the rest counted).

mod bounded;
mod excerpt;

use miette::{Diagnostic, Report, Severity};

use bounded::{Bounded, SHOWN};
pub use excerpt::CONTEXT_LINES;

/// Prints an error report (and its annotations in GitHub Actions).
pub fn error(report: &Report) {
    print(report.as_ref(), Severity::Error, "problem");
}

/// Prints warning reports (and their annotations in GitHub Actions), at most `SHOWN` of them.
pub fn warnings(reports: &[Report]) {
    for report in reports.iter().take(SHOWN) {
        print(report.as_ref(), Severity::Warning, "warning");
    }
    if reports.len() > SHOWN {
        note(reports.len() - SHOWN, "warning", Severity::Warning);
    }
}

fn print(diagnostic: &dyn Diagnostic, default: Severity, kind: &str) {
    let bounded = Bounded::new(diagnostic);
    let hidden = bounded.hidden();
    let lines = annotations(&bounded, default);
    anstream::eprintln!("{:?}", Report::new(bounded));
    annotate(&lines);
    if hidden > 0 {
        note(hidden, kind, default);
    }
}

/// Says how many `kind`s were left out (on the terminal and as an annotation).
fn note(hidden: usize, kind: &str, severity: Severity) {
    let plural = if hidden == 1 { "" } else { "s" };
    let text = format!("… and {hidden} more {kind}{plural} (only the first {SHOWN} are shown)");
    anstream::eprintln!("{text}");
    annotate(&[format!("::{}::{}", level(severity), escape_message(&text))]);
}

#[allow(clippy::disallowed_methods)] // `cli` owns the environment
fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Writes annotation lines when running in GitHub Actions.
fn annotate(lines: &[String]) {
    if !in_github_actions() {
        return;
    }
    // Standard error: the runner reads workflow commands there too, and standard output
    // may be a JSON or Markdown plan being redirected to a file.
    for line in lines {
        eprintln!("{line}");
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "notice",
    }
}

/// The annotation lines for a diagnostic tree, in order.
pub fn annotations(diagnostic: &dyn Diagnostic, default: Severity) -> Vec<String> {
    let mut out = Vec::new();
    collect(diagnostic, default, None, &mut out);
    out
}

fn collect<'a>(
    diagnostic: &'a dyn Diagnostic,
    default: Severity,
    inherited: Option<&'a dyn miette::SourceCode>,
    out: &mut Vec<String>,
) {
    let severity = diagnostic.severity().unwrap_or(default);
    let level = level(severity);
    let source = diagnostic.source_code().or(inherited);
    let message = escape_message(&diagnostic.to_string());
    let mut located = false;
    if let (Some(source), Some(labels)) = (source, diagnostic.labels()) {
        for label in labels {
            let Ok(contents) = source.read_span(label.inner(), 0, 0) else {
                continue;
            };
            let mut properties = Vec::new();
            if let Some(name) = contents.name() {
                properties.push(format!("file={}", escape_property(&annotation_path(name))));
            }
            properties.push(format!("line={}", contents.line() + 1));
            properties.push(format!("col={}", contents.column() + 1));
            let text = match label.label() {
                Some(label) => format!("{message}: {}", escape_message(label)),
                None => message.clone(),
            };
            out.push(format!("::{level} {}::{text}", properties.join(",")));
            located = true;
        }
    }
    let related: Vec<&dyn Diagnostic> = diagnostic
        .related()
        .map(|r| r.collect())
        .unwrap_or_default();
    if !located && related.is_empty() {
        out.push(format!("::{level}::{message}"));
    }
    for related in related {
        collect(related, severity, source, out);
    }
}

/// The path GitHub matches against the repository: relative to the working directory (the
/// checkout in a workflow), without a leading `./`, with `/` separators.
fn annotation_path(name: &str) -> String {
    let path = std::path::Path::new(name);
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            path.strip_prefix(cwd)
                .ok()
                .map(std::path::Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    let text = relative.to_string_lossy();
    let text = if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    };
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    text.to_string()
}

/// Workflow-command escaping of a message (`%`, CR, LF).
fn escape_message(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping of a property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_message(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use miette::{LabeledSpan, NamedSource, miette};

    use super::*;

    #[test]
    fn annotations_point_at_file_line_and_column() {
        let source = NamedSource::new("dir/grokform.yaml", "version: 1\ntables:\n  sales: 3\n");
        let report = miette!(
            labels = vec![LabeledSpan::at(28..29, "expected a mapping")],
            "invalid type"
        )
        .with_source_code(source);
        let lines = annotations(report.as_ref(), Severity::Error);
        assert_eq!(
            lines,
            ["::error file=dir/grokform.yaml,line=3,col=10::invalid type: expected a mapping"]
        );
    }

    #[test]
    fn annotation_paths_are_relative_to_the_checkout() {
        assert_eq!(annotation_path("./grokform.yaml"), "grokform.yaml");
        assert_eq!(
            annotation_path("././dir/grokform.yaml"),
            "dir/grokform.yaml"
        );
        let cwd = std::env::current_dir().unwrap();
        let inside = cwd.join("sub").join("grokform.yaml");
        assert_eq!(
            annotation_path(&inside.to_string_lossy()),
            "sub/grokform.yaml"
        );
        assert_eq!(annotation_path("/elsewhere/g.yaml"), "/elsewhere/g.yaml");
    }

    #[test]
    fn unlocated_diagnostics_still_annotate_and_escape() {
        let report = miette!("100% wrong\nsecond line");
        let lines = annotations(report.as_ref(), Severity::Warning);
        assert_eq!(lines, ["::warning::100%25 wrong%0Asecond line"]);
    }
}
