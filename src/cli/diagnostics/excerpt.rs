//! The part of a source file a diagnostic shows, small enough for any terminal.
//!
//! miette renders a labelled source line in full and pads underlines with formatting widths
//! that must fit in a `u16`: a label past column 65,535 panics inside its renderer, and a
//! 4 MB line is printed whole (plus an underline three times its size). An `Excerpt` holds
//! only the lines around the labels, each long line clipped to windows around the label ends
//! with `…` where text was left out, and reports the true line and column of every span, so
//! the rendering stays located while its size no longer depends on the input's.

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Context lines around a label (the renderer is configured with the same number).
pub const CONTEXT_LINES: usize = 1;
/// Lines longer than this many characters are clipped.
const LINE_LIMIT: usize = 160;
/// Characters kept on each side of a label's start or end in a clipped line.
const WINDOW: usize = 40;
/// A label covering more lines than this is cut to its first line.
const SPAN_LINES: usize = 8;
/// Labels whose context is at most this many lines apart share one snippet (as miette would
/// show them); farther apart, each gets its own instead of every line in between.
const MERGE_GAP: usize = 12;
/// What stands for the text left out of a clipped line.
const MARKER: &str = "…";

/// Clipped lines around a diagnostic's labels, addressed by its own offsets.
#[derive(Debug)]
pub struct Excerpt {
    name: Option<String>,
    segments: Vec<Segment>,
}

/// A run of consecutive source lines.
#[derive(Debug)]
struct Segment {
    /// Excerpt offset of `text`.
    base: usize,
    /// The lines, long ones clipped, with their line breaks.
    text: String,
    /// The source line (0-based) of the first line.
    line: usize,
    /// `(offset in text, source column in bytes)` where each kept run or marker starts.
    columns: Vec<(usize, usize)>,
}

/// Line starts of a text, with line breaks counted as miette counts them (`\n`, `\r\n` and a
/// lone `\r` each end a line), so line numbers agree with an unclipped rendering.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    starts.push(i);
                }
                b'\r' | b'\n' => {
                    i += 1;
                    starts.push(i);
                }
                _ => i += 1,
            }
        }
        Lines { text, starts }
    }

    /// Index of the last line (a text ending with a break has an empty last line).
    fn last(&self) -> usize {
        self.starts.len() - 1
    }

    /// The line holding byte `offset`.
    fn of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// Start of line `i`, and the end of its content (before its line break).
    fn bounds(&self, i: usize) -> (usize, usize) {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
        let content = &self.text[start..end];
        let content = content.strip_suffix('\n').unwrap_or(content);
        let content = content.strip_suffix('\r').unwrap_or(content);
        (start, start + content.len())
    }
}

impl Excerpt {
    /// The excerpt of `text` for `labels`, and the labels moved onto it (same order).
    pub fn new(
        name: Option<String>,
        text: &str,
        labels: &[LabeledSpan],
    ) -> (Self, Vec<LabeledSpan>) {
        let lines = Lines::new(text);
        let spans: Vec<(usize, usize)> = labels
            .iter()
            .map(|label| clamp(text, &lines, label.inner()))
            .collect();
        // The lines each label needs, merged into runs.
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(start, end)| {
                let first = lines.of(start).saturating_sub(CONTEXT_LINES);
                let last = (lines.of(end) + CONTEXT_LINES).min(lines.last());
                (first, last)
            })
            .collect();
        ranges.sort_unstable();
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (first, last) in ranges {
            match runs.last_mut() {
                Some(run) if first <= run.1 + 1 + MERGE_GAP => run.1 = run.1.max(last),
                _ => runs.push((first, last)),
            }
        }
        let points: Vec<usize> = spans.iter().flat_map(|&(s, e)| [s, e]).collect();
        let mut moved = vec![0; points.len()];
        let mut segments = Vec::with_capacity(runs.len());
        let mut base = 0;
        for (first, last) in runs {
            let segment = Segment::new(&lines, first, last, base, &points, &mut moved);
            // One byte between segments keeps a span at the end of one apart from the next.
            base += segment.text.len() + 1;
            segments.push(segment);
        }
        let labels = labels
            .iter()
            .zip(moved.chunks(2))
            .map(|(label, at)| {
                let span = SourceSpan::new(at[0].into(), at[1] - at[0]);
                let text = label.label().map(str::to_string);
                if label.primary() {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            })
            .collect();
        (Excerpt { name, segments }, labels)
    }

    fn segment(&self, span: &SourceSpan) -> Option<&Segment> {
        let i = self
            .segments
            .partition_point(|s| s.base <= span.offset())
            .checked_sub(1)?;
        let segment = &self.segments[i];
        (span.offset() + span.len() <= segment.base + segment.text.len()).then_some(segment)
    }
}

/// A label's span inside `text` and on character boundaries; one covering many lines is cut
/// to the end of its first line.
fn clamp(text: &str, lines: &Lines, span: &SourceSpan) -> (usize, usize) {
    // A partly covered character counts as covered.
    let boundary = |i: usize, step_back: bool| {
        let mut i = i.min(text.len());
        while !text.is_char_boundary(i) {
            if step_back { i -= 1 } else { i += 1 }
        }
        i
    };
    let start = boundary(span.offset(), true);
    let mut end = boundary(span.offset().saturating_add(span.len()), false).max(start);
    let line = lines.of(start);
    if lines.of(end) - line > SPAN_LINES {
        end = lines.bounds(line).1.max(start);
    }
    (start, end)
}

impl Segment {
    /// Lines `first..=last`, clipped around `points` (label starts and ends); records where
    /// each point lands in `moved`.
    fn new(
        lines: &Lines,
        first: usize,
        last: usize,
        base: usize,
        points: &[usize],
        moved: &mut [usize],
    ) -> Self {
        let text = lines.text;
        let mut out = String::new();
        let mut columns = Vec::new();
        for i in first..=last {
            let (start, end) = lines.bounds(i);
            let next = lines.starts.get(i + 1).copied().unwrap_or(text.len());
            let line = &text[start..end];
            let on_line: Vec<usize> = points
                .iter()
                .filter(|&&p| (start..=end).contains(&p))
                .map(|&p| p - start)
                .collect();
            let runs = if line.chars().nth(LINE_LIMIT).is_some() {
                windows(line, &on_line)
            } else {
                vec![(0, line.len())]
            };
            let mut kept_to = 0;
            for (from, to) in runs {
                if from > kept_to {
                    columns.push((out.len(), kept_to));
                    out.push_str(MARKER);
                }
                let at = out.len();
                columns.push((at, from));
                out.push_str(&line[from..to]);
                for (slot, &p) in moved.iter_mut().zip(points) {
                    if (start + from..=start + to).contains(&p) {
                        *slot = base + at + (p - start - from);
                    }
                }
                kept_to = to;
            }
            if kept_to < line.len() {
                columns.push((out.len(), kept_to));
                out.push_str(MARKER);
            }
            // The line break is copied as it is; a point inside it (or at the very end) stays
            // at the same distance from the content's end.
            let at = out.len();
            columns.push((at, line.len()));
            out.push_str(&text[end..next]);
            for (slot, &p) in moved.iter_mut().zip(points) {
                if p > end && p <= next {
                    *slot = base + at + (p - end);
                }
            }
        }
        Segment {
            base,
            text: out,
            line: first,
            columns,
        }
    }

    /// The source column (bytes from its line's start) of an offset in `text`.
    fn column(&self, at: usize) -> usize {
        let line_start = self.text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let i = self.columns.partition_point(|&(o, _)| o <= at);
        match i.checked_sub(1).map(|i| self.columns[i]) {
            Some((o, column)) if o >= line_start => column + (at - o),
            _ => at - line_start,
        }
    }
}

/// The byte ranges of `line` to keep: `WINDOW` characters around each point (the start of
/// the line when there is none), merged where they meet.
fn windows(line: &str, points: &[usize]) -> Vec<(usize, usize)> {
    let back = |p: usize| {
        line[..p]
            .char_indices()
            .rev()
            .nth(WINDOW - 1)
            .map_or(0, |(i, _)| i)
    };
    let ahead = |p: usize| {
        line[p..]
            .char_indices()
            .nth(WINDOW)
            .map_or(line.len(), |(i, _)| p + i)
    };
    let mut ranges: Vec<(usize, usize)> = if points.is_empty() {
        vec![(0, ahead(0))]
    } else {
        points.iter().map(|&p| (back(p), ahead(p))).collect()
    };
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (from, to) in ranges {
        match merged.last_mut() {
            // Leaving out a few characters would not save anything.
            Some(last) if from <= last.1 + 2 * MARKER.len() => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let segment = self.segment(span).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((span.offset() - segment.base).into(), span.len());
        let inner = segment
            .text
            .read_span(&local, context_lines_before, context_lines_after)?;
        let data: &'a [u8] = inner.data();
        let offset = inner.span().offset() + segment.base;
        let span = SourceSpan::new(offset.into(), inner.span().len());
        let line = inner.line() + segment.line;
        // miette gives the span's column only when the contents start at the span.
        let column = if context_lines_before == 0 {
            segment.column(local.offset())
        } else {
            inner.column()
        };
        let line_count = inner.line_count() + segment.line;
        Ok(Box::new(match &self.name {
            Some(name) => {
                MietteSpanContents::new_named(name.clone(), data, span, line, column, line_count)
            }
            None => MietteSpanContents::new(data, span, line, column, line_count),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(offset: usize, len: usize) -> LabeledSpan {
        LabeledSpan::new(Some("here".into()), offset, len)
    }

    /// The excerpt's text of the span of `label` (and its line and column, 1-based).
    fn at(excerpt: &Excerpt, label: &LabeledSpan) -> (String, usize, usize) {
        let contents = excerpt.read_span(label.inner(), 0, 0).unwrap();
        let text = String::from_utf8_lossy(contents.data()).into_owned();
        (text, contents.line() + 1, contents.column() + 1)
    }

    #[test]
    fn short_lines_are_kept_whole_with_their_context() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let (excerpt, labels) = Excerpt::new(None, text, &[label(13, 1)]);
        assert_eq!(excerpt.segments.len(), 1);
        assert_eq!(excerpt.segments[0].text, "b: 2\nc: 3\nd: 4\n");
        assert_eq!(at(&excerpt, &labels[0]), ("3".into(), 3, 4));
    }

    #[test]
    fn a_long_line_is_clipped_around_the_label_with_true_line_and_column() {
        let long = "a".repeat(70_000);
        let text = format!("version: 1\nvars:\n  x: {long}: b\nend: 1\n");
        let offset = text.find(": b").unwrap();
        let (excerpt, labels) = Excerpt::new(Some("m.yaml".into()), &text, &[label(offset, 1)]);
        let segment = &excerpt.segments[0];
        assert!(segment.text.len() < 400, "{}", segment.text);
        let clipped = segment.text.lines().nth(1).unwrap();
        assert_eq!(
            clipped,
            format!("{MARKER}{}: b", "a".repeat(WINDOW)),
            "the line keeps {WINDOW} characters before the label and its short end"
        );
        let (found, line, column) = at(&excerpt, &labels[0]);
        assert_eq!(found, ":");
        assert_eq!((line, column), (3, 5 + 70_000 + 1));
        let contents = excerpt.read_span(labels[0].inner(), 0, 0).unwrap();
        assert_eq!(contents.name(), Some("m.yaml"));
    }

    #[test]
    fn a_long_span_keeps_both_ends_with_a_marker_between() {
        let text = format!("x: {}\n", "é".repeat(10_000));
        let (excerpt, labels) = Excerpt::new(None, &text, &[label(3, text.len() - 4)]);
        let (found, line, column) = at(&excerpt, &labels[0]);
        assert_eq!((line, column), (1, 4));
        assert_eq!(
            found,
            format!("{}{MARKER}{}", "é".repeat(WINDOW), "é".repeat(WINDOW))
        );
    }

    #[test]
    fn far_apart_labels_get_separate_segments_and_near_ones_share_one() {
        let text: String = (0..200).map(|i| format!("k{i}: v\n")).collect();
        let line = |i: usize| text.find(&format!("k{i}:")).unwrap();
        let (excerpt, labels) = Excerpt::new(
            None,
            &text,
            &[label(line(3), 2), label(line(10), 2), label(line(150), 2)],
        );
        assert_eq!(excerpt.segments.len(), 2);
        assert_eq!(excerpt.segments[0].line, 2);
        let found: Vec<_> = labels.iter().map(|l| at(&excerpt, l)).collect();
        assert_eq!(
            found,
            [
                ("k3".into(), 4, 1),
                ("k1".into(), 11, 1),
                ("k1".into(), 151, 1)
            ]
        );
        assert!(
            excerpt
                .read_span(
                    &SourceSpan::new(0.into(), excerpt.segments[1].base + 1),
                    0,
                    0
                )
                .is_err()
        );
    }

    #[test]
    fn a_span_over_many_lines_is_cut_to_its_first_line() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let (excerpt, labels) = Excerpt::new(None, &text, &[label(0, text.len())]);
        assert_eq!(at(&excerpt, &labels[0]), ("line 0".into(), 1, 1));
        assert_eq!(excerpt.segments[0].text, "line 0\nline 1\n");
    }

    #[test]
    fn out_of_range_and_mid_character_labels_are_clamped() {
        let text = "é: x";
        let (excerpt, labels) = Excerpt::new(None, text, &[label(1, 0), label(50, 3)]);
        assert_eq!(at(&excerpt, &labels[0]).0, "é");
        assert_eq!(at(&excerpt, &labels[1]), (String::new(), 1, 6));
    }

    #[test]
    fn line_breaks_count_as_miette_counts_them() {
        let text = "a\r\nb\rc\nd";
        let (excerpt, labels) = Excerpt::new(None, text, &[label(7, 1)]);
        assert_eq!(at(&excerpt, &labels[0]), ("d".into(), 4, 1));
    }
}
