//! One diagnostic type for everything wrong with a manifest (parse errors, resolve errors,
//! warnings), so that `cli` renders them all the same way and a run can report every problem
//! at once with miette's `related`.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

/// The text a diagnostic points into (the manifest or a layout file), with its display name.
pub type SourceText = Arc<NamedSource<String>>;

/// What kind of problem a manifest has: one variant per diagnostic code, so that codes are
/// spelled once and tests and callers match on kinds instead of strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    // Reading and parsing the text.
    Unreadable,
    NotUtf8,
    Empty,
    Syntax,
    UnknownKey,
    DuplicateKey,
    MissingKey,
    WrongType,
    TooLarge,
    TooDeep,
    // Meaning, found by `model::resolve`.
    Version,
    InvalidKey,
    UnknownEnvironment,
    UnknownReference,
    InvalidServer,
    InvalidState,
    InvalidName,
    InvalidPath,
    InvalidSource,
    InvalidCsv,
    InvalidLayout,
    MalformedReference,
    InvalidAddress,
    InvalidAccess,
    InvalidRun,
    InvalidIgnoreChanges,
    InvalidLifecycle,
    NoTables,
    NoGroups,
    Duplicate,
    Cycle,
    InvalidImport,
    InvalidMoved,
    // Warnings.
    ServerWithoutApi,
    UnusedLayout,
    UnknownColumn,
}

impl ProblemKind {
    /// The diagnostic code users see (`grokform::manifest::unknown_reference`).
    pub fn code(self) -> &'static str {
        use ProblemKind::*;
        match self {
            Unreadable => "grokform::manifest::unreadable",
            NotUtf8 => "grokform::manifest::not_utf8",
            Empty => "grokform::manifest::empty",
            Syntax => "grokform::manifest::syntax",
            UnknownKey => "grokform::manifest::unknown_key",
            DuplicateKey => "grokform::manifest::duplicate_key",
            MissingKey => "grokform::manifest::missing_key",
            WrongType => "grokform::manifest::wrong_type",
            TooLarge => "grokform::manifest::too_large",
            TooDeep => "grokform::manifest::too_deep",
            Version => "grokform::manifest::version",
            InvalidKey => "grokform::manifest::invalid_key",
            UnknownEnvironment => "grokform::manifest::unknown_environment",
            UnknownReference => "grokform::manifest::unknown_reference",
            InvalidServer => "grokform::manifest::invalid_server",
            InvalidState => "grokform::manifest::invalid_state",
            InvalidName => "grokform::manifest::invalid_name",
            InvalidPath => "grokform::manifest::invalid_path",
            InvalidSource => "grokform::manifest::invalid_source",
            InvalidCsv => "grokform::manifest::invalid_csv",
            InvalidLayout => "grokform::manifest::invalid_layout",
            MalformedReference => "grokform::manifest::malformed_reference",
            InvalidAddress => "grokform::manifest::invalid_address",
            InvalidAccess => "grokform::manifest::invalid_access",
            InvalidRun => "grokform::manifest::invalid_run",
            InvalidIgnoreChanges => "grokform::manifest::invalid_ignore_changes",
            InvalidLifecycle => "grokform::manifest::invalid_lifecycle",
            NoTables => "grokform::manifest::no_tables",
            NoGroups => "grokform::manifest::no_groups",
            Duplicate => "grokform::manifest::duplicate",
            Cycle => "grokform::manifest::cycle",
            InvalidImport => "grokform::manifest::invalid_import",
            InvalidMoved => "grokform::manifest::invalid_moved",
            ServerWithoutApi => "grokform::manifest::server_without_api",
            UnusedLayout => "grokform::manifest::unused_layout",
            UnknownColumn => "grokform::manifest::unknown_column",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One problem: a kind, a message, labels on the exact nodes, a help line.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    pub severity: Severity,
    pub source: Option<SourceText>,
    pub labels: Vec<LabeledSpan>,
    pub help: Option<String>,
}

impl Problem {
    /// An error with no label yet.
    pub fn error(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            kind,
            message: message.into(),
            severity: Severity::Error,
            source: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning with no label yet.
    pub fn warning(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(kind, message)
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
        Some(Box::new(self.kind.code()))
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
