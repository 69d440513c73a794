//! One diagnostic type for everything wrong with a manifest (parse errors, resolve errors,
//! warnings), so that `cli` renders them all the same way and a run can report every problem
//! at once with miette's `related`.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

/// The text a diagnostic points into (the manifest or a layout file), with its display name.
pub type SourceText = Arc<NamedSource<String>>;

/// One problem: a code, a message, labels on the exact nodes, a help line.
#[derive(Debug, Clone)]
pub struct Problem {
    /// `grokform::manifest::unknown_reference` and the like.
    pub code: &'static str,
    pub message: String,
    pub severity: Severity,
    pub source: Option<SourceText>,
    pub labels: Vec<LabeledSpan>,
    pub help: Option<String>,
}

impl Problem {
    /// An error with no label yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            severity: Severity::Error,
            source: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning with no label yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    /// Points into `source`.
    pub fn source(mut self, source: &SourceText) -> Self {
        self.source = Some(source.clone());
        self
    }

    /// Adds a label at `span`.
    pub fn label(mut self, span: SourceSpan, text: impl Into<String>) -> Self {
        self.labels
            .push(LabeledSpan::new_with_span(Some(text.into()), span));
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// Several problems reported together; each renders in full as a related diagnostic.
#[derive(Debug)]
pub struct Problems {
    /// The manifest's display name.
    pub manifest: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` has {} errors",
            self.manifest,
            self.problems.iter().filter(|p| p.is_error()).count()
        )
    }
}

impl std::error::Error for Problems {}

impl Diagnostic for Problems {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("grokform::manifest::invalid"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// Turns a list of errors into one report: the problem itself when alone, otherwise all of
/// them as related diagnostics of a summary.
pub fn into_report(manifest: &str, mut problems: Vec<Problem>) -> miette::Report {
    if problems.len() == 1 {
        miette::Report::new(problems.remove(0))
    } else {
        miette::Report::new(Problems {
            manifest: manifest.to_string(),
            problems,
        })
    }
}

/// The closest of `candidates` to `name`, for a "did you mean" help line.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&name.to_lowercase(), &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}
