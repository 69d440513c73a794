//! A copy of a diagnostic tree whose rendering is bounded whatever the input: messages and
//! help lines clipped, sources reduced to `Excerpt`s, at most `SHOWN` related diagnostics
//! (the rest counted), cause chains and nesting cut short. Everything that prints a
//! diagnostic (the terminal rendering and the GitHub annotations) goes through it, so no
//! command can print an unbounded or unrenderable report.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode, SourceSpan};

use super::excerpt::Excerpt;

/// Related diagnostics (problems) shown in full; more are counted in a closing line.
pub const SHOWN: usize = 10;
/// Labels shown per diagnostic.
const LABELS: usize = 8;
/// Characters of a message or help line kept (its start and its end).
const MESSAGE_LIMIT: usize = 600;
/// Characters of a label's text kept.
const LABEL_LIMIT: usize = 160;
/// Levels of related diagnostics followed (grokform's reports have two).
const RELATED_DEPTH: usize = 3;
/// Causes shown in a chain.
const CAUSES: usize = 8;

/// An owned, size-bounded diagnostic.
#[derive(Debug)]
pub struct Bounded {
    message: String,
    code: Option<String>,
    severity: Option<Severity>,
    help: Option<String>,
    url: Option<String>,
    excerpt: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Bounded>,
    /// Related diagnostics left out (beyond `SHOWN`, or below `RELATED_DEPTH`).
    hidden: usize,
    cause: Option<Box<Bounded>>,
    /// Whether `cause` was a diagnostic (rendered with its own snippets) or a plain error.
    cause_is_diagnostic: bool,
}

impl Bounded {
    /// The bounded copy of `diagnostic`.
    pub fn new(diagnostic: &dyn Diagnostic) -> Self {
        Self::build(diagnostic, None, 0)
    }

    /// Related diagnostics left out, at every level.
    pub fn hidden(&self) -> usize {
        self.hidden + self.related.iter().map(Bounded::hidden).sum::<usize>()
    }

    fn build(
        diagnostic: &dyn Diagnostic,
        inherited: Option<&dyn SourceCode>,
        depth: usize,
    ) -> Self {
        Self::build_in_chain(diagnostic, inherited, depth, 0)
    }

    /// `build` for the `link`-th cause of a chain.
    fn build_in_chain(
        diagnostic: &dyn Diagnostic,
        inherited: Option<&dyn SourceCode>,
        depth: usize,
        link: usize,
    ) -> Self {
        let source = diagnostic.source_code().or(inherited);
        let labels: Vec<LabeledSpan> = diagnostic
            .labels()
            .map(|labels| labels.take(LABELS).collect())
            .unwrap_or_default();
        let (excerpt, labels) = match (source, labels.is_empty()) {
            (Some(source), false) => match excerpt(source, &labels) {
                Some((excerpt, labels)) => (Some(excerpt), labels),
                None => (None, Vec::new()),
            },
            _ => (None, Vec::new()),
        };
        let labels = labels
            .into_iter()
            .map(|label| {
                let text = label.label().map(|t| clip(t, LABEL_LIMIT));
                let span = *label.inner();
                if label.primary() {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            })
            .collect();
        let mut related = Vec::new();
        let mut hidden = 0;
        if let Some(all) = diagnostic.related() {
            for (i, r) in all.enumerate() {
                if i < SHOWN && depth < RELATED_DEPTH {
                    related.push(Self::build(r, source, depth + 1));
                } else {
                    hidden += 1;
                }
            }
        }
        let (cause, cause_is_diagnostic) = if link >= CAUSES {
            (None, false)
        } else if let Some(cause) = diagnostic.diagnostic_source() {
            let cause = Self::build_in_chain(cause, source, depth, link + 1);
            (Some(Box::new(cause)), true)
        } else if let Some(cause) = diagnostic.source() {
            (Some(Box::new(Self::from_error(cause, link + 1))), false)
        } else {
            (None, false)
        };
        Bounded {
            message: clip(&diagnostic.to_string(), MESSAGE_LIMIT),
            code: diagnostic.code().map(|c| clip(&c.to_string(), LABEL_LIMIT)),
            severity: diagnostic.severity(),
            help: diagnostic
                .help()
                .map(|h| clip(&h.to_string(), MESSAGE_LIMIT)),
            url: diagnostic
                .url()
                .map(|u| clip(&u.to_string(), MESSAGE_LIMIT)),
            excerpt,
            labels,
            related,
            hidden,
            cause,
            cause_is_diagnostic,
        }
    }

    /// A plain error of a cause chain: its message and its own cause.
    fn from_error(error: &dyn std::error::Error, link: usize) -> Self {
        let cause = match error.source() {
            Some(cause) if link < CAUSES => Some(Box::new(Self::from_error(cause, link + 1))),
            _ => None,
        };
        Bounded {
            message: clip(&error.to_string(), MESSAGE_LIMIT),
            code: None,
            severity: None,
            help: None,
            url: None,
            excerpt: None,
            labels: Vec::new(),
            related: Vec::new(),
            hidden: 0,
            cause,
            cause_is_diagnostic: false,
        }
    }
}

/// The excerpt of the whole source for `labels`; `None` when the source cannot be read.
fn excerpt(source: &dyn SourceCode, labels: &[LabeledSpan]) -> Option<(Excerpt, Vec<LabeledSpan>)> {
    // An empty span with unlimited context after it is the whole text.
    let all = source
        .read_span(&SourceSpan::new(0.into(), 0), 0, usize::MAX)
        .ok()?;
    let text = String::from_utf8_lossy(all.data());
    let name = all.name().map(str::to_string);
    Some(Excerpt::new(name, &text, labels))
}

/// `text` cut to about `limit` characters: its start, `…`, and its end.
pub fn clip(text: &str, limit: usize) -> String {
    let count = text.chars().take(limit + 1).count();
    if count <= limit {
        return text.to_string();
    }
    let head = limit * 3 / 4;
    let tail = limit - head;
    let start = text.char_indices().nth(head).map_or(text.len(), |(i, _)| i);
    let end = text
        .char_indices()
        .rev()
        .nth(tail - 1)
        .map_or(0, |(i, _)| i)
        .max(start);
    let left_out = text[start..end].chars().count();
    format!(
        "{} … ({left_out} characters left out) … {}",
        &text[..start],
        &text[end..]
    )
}

impl fmt::Display for Bounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Bounded {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Some(cause) if !self.cause_is_diagnostic => Some(&**cause),
            _ => None,
        }
    }
}

impl Diagnostic for Bounded {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<Severity> {
        self.severity
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        match &self.cause {
            Some(cause) if self.cause_is_diagnostic => Some(&**cause),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use miette::{NamedSource, miette};

    use super::*;

    #[test]
    fn clip_keeps_both_ends_and_says_how_much_is_left_out() {
        assert_eq!(clip("short", 10), "short");
        let long = format!("start{}end", "x".repeat(1_000));
        let clipped = clip(&long, 40);
        assert!(clipped.starts_with("startxxx"), "{clipped}");
        assert!(clipped.ends_with("xxxend"), "{clipped}");
        assert!(
            clipped.contains(" … (968 characters left out) … "),
            "{clipped}"
        );
        assert_eq!(
            clip(&"é".repeat(50), 40)
                .chars()
                .filter(|&c| c == 'é')
                .count(),
            40
        );
    }

    /// A diagnostic with many related ones, each with a source, a label and a cause.
    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("{count} problems")]
    struct Many {
        count: usize,
        #[related]
        problems: Vec<One>,
    }

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("problem {0}")]
    #[diagnostic(code(test::one), help("fix it"))]
    struct One(
        usize,
        #[source_code] NamedSource<String>,
        #[label("here")] SourceSpan,
        #[source] std::io::Error,
    );

    #[test]
    fn related_diagnostics_are_capped_and_counted() {
        let problems = (0..25)
            .map(|i| {
                One(
                    i,
                    NamedSource::new("m.yaml", format!("a: {}\n", "v".repeat(100_000))),
                    SourceSpan::new(3.into(), 100_000),
                    std::io::Error::other("the cause"),
                )
            })
            .collect();
        let bounded = Bounded::new(&Many {
            count: 25,
            problems,
        });
        assert_eq!(bounded.related.len(), SHOWN);
        assert_eq!(bounded.hidden(), 25 - SHOWN);
        let first = &bounded.related[0];
        assert_eq!(first.message, "problem 0");
        assert_eq!(first.code.as_deref(), Some("test::one"));
        assert_eq!(first.help.as_deref(), Some("fix it"));
        assert_eq!(
            std::error::Error::source(first).map(ToString::to_string),
            Some("the cause".into())
        );
        let label = &first.labels[0];
        let contents = first
            .excerpt
            .as_ref()
            .unwrap()
            .read_span(label.inner(), 0, 0)
            .unwrap();
        assert_eq!((contents.line(), contents.column()), (0, 3));
        assert_eq!(contents.name(), Some("m.yaml"));
        assert!(contents.data().len() < 300);
    }

    #[test]
    fn a_long_message_is_clipped_and_an_unlocated_one_kept() {
        let report = miette!("{}", "m".repeat(1_000_000));
        let bounded = Bounded::new(report.as_ref());
        assert!(bounded.message.chars().count() < MESSAGE_LIMIT + 60);
        assert!(bounded.labels.is_empty() && bounded.excerpt.is_none());
    }
}
