//! Text → `Manifest`: reading the bytes, YAML parsing with `serde-saphyr`, and turning its
//! errors into `Problem`s labelled at their line and column.

use std::path::Path;
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use serde_saphyr::{Location, Spanned};

use super::Manifest;
use super::problem::{Problem, ProblemKind, SourceText};

/// The manifest's text with its display name; converts YAML locations into byte spans.
#[derive(Clone, Debug)]
pub struct Text {
    pub name: String,
    pub source: SourceText,
}

impl Text {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        Text {
            source: Arc::new(NamedSource::new(name.clone(), text.into())),
            name,
        }
    }

    /// Reads `path`, shown as `name`; a missing file or non-UTF-8 bytes are problems.
    #[allow(clippy::disallowed_methods)] // the manifest file itself: `manifest` sits below `model::source`
    pub fn read(path: &Path, name: &str) -> Result<Self, Problem> {
        let bytes = std::fs::read(path).map_err(|error| {
            Problem::error(
                ProblemKind::Unreadable,
                format!("cannot read the manifest `{name}`: {error}"),
            )
            .help("pass the manifest with `-f FILE` or its folder with `-C DIR`")
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Text::new(name, text)),
            Err(error) => {
                let at = error.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                // Lossy decoding keeps the valid prefix byte for byte, so `at` still points
                // at the first replacement character.
                let text = Text::new(name, lossy);
                Err(
                    Problem::error(ProblemKind::NotUtf8, format!("`{name}` is not valid UTF-8"))
                        .source(&text.source)
                        .label(SourceSpan::new(at.into(), 1), "invalid byte here")
                        .help("save the manifest as UTF-8"),
                )
            }
        }
    }

    pub fn text(&self) -> &str {
        self.source.inner()
    }

    /// The byte span of a spanned node.
    pub fn span<T>(&self, spanned: &Spanned<T>) -> SourceSpan {
        self.location_span(&spanned.referenced)
    }

    /// The byte span of a location (zero-length when only line and column are known).
    pub fn location_span(&self, location: &Location) -> SourceSpan {
        let text = self.text();
        let span = location.span();
        if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
            let offset = (offset as usize).min(text.len());
            let len = (len as usize).min(text.len() - offset);
            return SourceSpan::new(offset.into(), len);
        }
        SourceSpan::new(self.offset(location.line(), location.column()).into(), 0)
    }

    /// The byte offset of a 1-based line and character column (clamped to the text).
    pub fn offset(&self, line: u64, column: u64) -> usize {
        let text = self.text();
        if line == 0 {
            return 0;
        }
        let mut start = 0;
        for _ in 1..line {
            match text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => return text.len(),
            }
        }
        let line_text = &text[start..];
        let line_end = line_text.find('\n').unwrap_or(line_text.len());
        let within = line_text[..line_end]
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(line_end, |(i, _)| i);
        start + within
    }
}

/// Parses the manifest text; syntax and shape errors are one `Problem` at their location.
pub fn parse(text: &Text) -> Result<Manifest, Problem> {
    let body = text.text();
    if body
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(
            Problem::error(ProblemKind::Empty, format!("`{}` is empty", text.name))
                .source(&text.source)
                .label(SourceSpan::new(0.into(), 0), "no manifest here")
                .help("start with `version: 1`; `grokform schema` prints every key"),
        );
    }
    serde_saphyr::from_str::<Manifest>(body).map_err(|error| syntax_problem(text, &error))
}

fn syntax_problem(text: &Text, error: &serde_saphyr::Error) -> Problem {
    let rendered = error
        .render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        })
        .trim()
        .to_string();
    // The location goes into the label and the header; the message keeps only the cause.
    let message = match rendered.find(" at line ") {
        Some(i) => rendered[..i].to_string(),
        None => rendered,
    };
    let message = message.trim_end_matches(':');
    // serde-saphyr's advice names its own API, which means nothing to a manifest's author.
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message)
        .to_string();
    let (kind, help) = classify(&message);
    let mut span = error
        .location()
        .map_or(SourceSpan::new(0.into(), 0), |l| text.location_span(&l));
    let mut label = "here";
    if message.contains("missing field `version`") {
        // serde reports a missing field at the end of its mapping; the start reads better.
        span = SourceSpan::new(0.into(), 0);
        label = "the manifest starts here";
    }
    let message = if too_deep(&message) {
        format!("the manifest is nested more than {MAX_DEPTH} levels deep")
    } else if let Some(detail) = message.strip_prefix("budget breached: ") {
        format!("the manifest is too large once its aliases are expanded ({detail})")
    } else {
        message
    };
    Problem::error(kind, format!("invalid manifest: {message}"))
        .source(&text.source)
        .label(span, label)
        .maybe_help(help)
}

/// serde-saphyr's default nesting limit (lists and mappings), which keeps parsing off the
/// bottom of the stack.
const MAX_DEPTH: usize = 64;

/// Whether the parser stopped at its nesting limit (the budget's depth for block
/// collections, the scanner's recursion limit for flow ones).
fn too_deep(message: &str) -> bool {
    message.starts_with("budget breached: Depth") || message.contains("recursion limit exceeded")
}

/// A kind and a help line for the common kinds of parse error.
fn classify(message: &str) -> (ProblemKind, Option<String>) {
    let m = message.to_lowercase();
    if too_deep(message) {
        (
            ProblemKind::TooDeep,
            Some("a manifest needs only a few levels; flatten the nested value".into()),
        )
    } else if m.contains("unknown field") {
        (
            ProblemKind::UnknownKey,
            Some("remove the key or fix its spelling; `grokform schema` lists every key".into()),
        )
    } else if m.contains("duplicate") {
        (
            ProblemKind::DuplicateKey,
            Some("each key may appear once in a mapping".into()),
        )
    } else if m.contains("missing field `version`") {
        (
            ProblemKind::MissingKey,
            Some("start the manifest with `version: 1`".into()),
        )
    } else if m.contains("missing field") {
        (ProblemKind::MissingKey, None)
    } else if m.contains("budget") || m.contains("alias") {
        (
            ProblemKind::TooLarge,
            Some(
                "the manifest expands beyond grokform's limits; avoid deeply nested aliases".into(),
            ),
        )
    } else if m.contains("invalid type") || m.contains("expected") {
        (ProblemKind::WrongType, None)
    } else {
        (ProblemKind::Syntax, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = Text::new(
            "m.yaml",
            "version: 1\ntables:\n  sales:\n    name: A:B\n    source: x.csv\n",
        );
        let manifest = parse(&text).unwrap();
        let (key, table) = manifest.tables.get("sales").unwrap();
        let at = |s: SourceSpan| &text.text()[s.offset()..s.offset() + s.len()];
        assert_eq!(at(text.span(key)), "sales");
        assert_eq!(at(text.span(&table.name)), "A:B");
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = Text::new("m.yaml", "a: é\nbé: x\n");
        assert_eq!(text.offset(2, 3), "a: é\nbé".len());
        assert_eq!(text.offset(9, 1), text.text().len());
    }
}
