//! The pull-request comment: warnings first, a summary table, one collapsible section per
//! change. GitHub refuses comments over 65,536 characters, so the longest diffs are cut first
//! until the whole comment fits the limit, each cut saying so.

use std::fmt::Write;

use super::lines::{Line, body, headline, target, thousands};
use super::repairs;
use crate::plan::{Action, Change, Plan};

/// The default size limit: under GitHub's 65,536 with room for a bot's own footer.
pub const DEFAULT_LIMIT: usize = 60_000;

/// Longer lines (a long string in a layout) are cut to this many characters.
const MAX_LINE: usize = 1_000;

/// One collapsible section: its fenced lines, how many of them are kept, and sizes in chars.
struct Section<'p> {
    change: &'p Change,
    lines: Vec<String>,
    /// Characters of each line, newline included.
    widths: Vec<usize>,
    kept: usize,
    kept_chars: usize,
    /// Characters of the whole rendered section as it stands.
    cost: usize,
}

impl<'p> Section<'p> {
    fn new(change: &'p Change) -> Self {
        let lines: Vec<String> = body(change).into_iter().map(diff_line).collect();
        let widths: Vec<usize> = lines.iter().map(|l| l.chars().count() + 1).collect();
        let mut section = Section {
            change,
            kept: lines.len(),
            kept_chars: widths.iter().sum(),
            lines,
            widths,
            cost: 0,
        };
        section.cost = chars(&section.render());
        section
    }

    /// Keeps one line less.
    fn cut_one(&mut self) {
        self.kept -= 1;
        self.kept_chars -= self.widths[self.kept];
    }
}

/// The plan as a GitHub comment of at most `limit` characters (when `limit` leaves room for
/// the header, warnings and summary table at all).
pub fn markdown(plan: &Plan, limit: usize) -> String {
    let head = head(plan);
    if !plan.has_changes() {
        return head;
    }
    let mut sections: Vec<Section> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(Section::new)
        .collect();
    let head_cost = chars(&head);
    let mut shown = sections.len();
    let total = |sections: &[Section], shown: usize| {
        head_cost
            + sections[..shown].iter().map(|s| s.cost).sum::<usize>()
            + chars(&hidden_note(sections.len() - shown))
    };
    loop {
        let now = total(&sections, shown);
        if now <= limit {
            break;
        }
        let over = now - limit;
        // Cut the longest kept diff first, down to the next longest or by what is over.
        let mut longest: Option<usize> = None;
        let mut floor = 0;
        for i in (0..shown).filter(|&i| sections[i].kept > 0) {
            let size = sections[i].kept_chars;
            match longest {
                Some(l) if sections[l].kept_chars >= size => floor = floor.max(size),
                Some(l) => {
                    floor = floor.max(sections[l].kept_chars);
                    longest = Some(i);
                }
                None => longest = Some(i),
            }
        }
        match longest {
            Some(i) => {
                let section = &mut sections[i];
                let start = section.kept_chars;
                // At least one line; the truncation note costs characters too, so a little
                // more than `over` unless the section reaches the next longest first.
                loop {
                    section.cut_one();
                    let cut = start - section.kept_chars;
                    if section.kept == 0 || cut >= over + 120 || section.kept_chars <= floor {
                        break;
                    }
                }
                section.cost = chars(&section.render());
            }
            None if shown > 0 => shown -= 1,
            None => break,
        }
    }
    let mut out = head;
    for section in &sections[..shown] {
        out.push_str(&section.render());
    }
    out.push_str(&hidden_note(sections.len() - shown));
    out
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// A body line inside a ```diff fence.
fn diff_line(line: Line) -> String {
    let mut text = match line {
        Line::Attr {
            key,
            before: Some(old),
            after: Some(new),
        } => format!("- {key}: {old}\n+ {key}: {new}"),
        Line::Attr {
            key,
            before: None,
            after: Some(new),
        } => format!("+ {key}: {new}"),
        Line::Attr {
            key,
            before: Some(old),
            after: None,
        } => format!("- {key}: {old}"),
        Line::Attr { key, .. } => format!("  {key}:"),
        Line::Note { key, text } if text.is_empty() => format!("  {key}:"),
        Line::Note { key, text } => format!("  {key}: {text}"),
        Line::Viewer(text) | Line::Diff(text) => text,
    };
    if text.chars().count() > MAX_LINE {
        text = text.chars().take(MAX_LINE).collect::<String>() + " …";
    }
    text
}

/// Everything above the sections: target, warnings, counts.
fn head(plan: &Plan) -> String {
    let mut out = String::new();
    let on = target(&plan.server, plan.environment.as_deref());
    let _ = writeln!(out, "### grokform plan for {}", escape(&on));
    out.push('\n');
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
        for warning in &plan.warnings {
            let _ = writeln!(out, "> - {}", escape(warning));
        }
        out.push('\n');
    }
    for note in &plan.notes {
        let _ = writeln!(out, "> [!NOTE]\n> {}\n", escape(note));
    }
    drift(&mut out, plan);
    if !plan.has_changes() {
        let _ = writeln!(out, "{}", repairs::no_changes(plan));
        return out;
    }
    let summary = plan.summary();
    let _ = writeln!(out, "| Action | Count |");
    let _ = writeln!(out, "| --- | ---: |");
    for action in Action::ALL {
        let label = match action {
            Action::NoOp => "unchanged".to_string(),
            other => format!("`{}` {}", other.sign(), other.as_str()),
        };
        let _ = writeln!(out, "| {label} | {} |", summary.count(action));
    }
    out.push('\n');
    let _ = writeln!(out, "**{summary}**");
    out
}

/// Drift rows shown in a comment; the rest are counted, so that drift on every object of a
/// large manifest cannot push the comment over GitHub's limit.
const MAX_DRIFT_ROWS: usize = 100;

/// "Changed outside grokform" as a table, then the ignored drift folded away.
fn drift(out: &mut String, plan: &Plan) {
    let repairs = repairs::repairs(plan);
    if !repairs.is_empty() {
        let mut rows = 0;
        let _ = writeln!(out, "#### Changed outside grokform\n");
        let _ = writeln!(
            out,
            "| | address | drift | seen on the server | plan |\n|---|---|---|---|---|"
        );
        for repair in &repairs {
            for item in &repair.drift {
                rows += 1;
                if rows > MAX_DRIFT_ROWS {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {} | {} |",
                    repairs::sign(item),
                    repair.address,
                    item.kind,
                    cell(&item.seen),
                    cell(&repair.outcome)
                );
            }
        }
        if rows > MAX_DRIFT_ROWS {
            let _ = writeln!(
                out,
                "\n_… {} more not shown; run `grokform plan` for all of them._",
                thousands(rows - MAX_DRIFT_ROWS)
            );
        }
        out.push('\n');
    }
    let ignored = repairs::ignored(plan);
    if !ignored.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Ignored drift ({}), not repaired</summary>\n",
            ignored.len()
        );
        let _ = writeln!(
            out,
            "| address | drift | seen on the server |\n|---|---|---|"
        );
        for (address, item) in &ignored {
            let _ = writeln!(
                out,
                "| `{address}` | {} | {} |",
                item.kind,
                cell(&item.seen)
            );
        }
        if ignored.len() > MAX_DRIFT_ROWS {
            let _ = writeln!(
                out,
                "\n_… {} more not shown._",
                thousands(ignored.len() - MAX_DRIFT_ROWS)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
}

/// Text made safe for one Markdown table cell.
fn cell(text: &str) -> String {
    escape(text).replace('|', "\\|").replace('\n', " ")
}

impl Section<'_> {
    /// The `<details>` block with the kept lines and, if any were cut, a note saying so.
    fn render(&self) -> String {
        let mut out = String::from("\n");
        let change = self.change;
        let _ = writeln!(
            out,
            "<details><summary><code>{} {}</code> {}</summary>",
            escape(change.sign()),
            escape(&change.address.to_string()),
            escape(
                headline(change)
                    .split_once(' ')
                    .map_or("", |(_, rest)| rest)
            )
        );
        out.push('\n');
        let kept = &self.lines[..self.kept];
        if !kept.is_empty() {
            let fence = if kept.iter().any(|l| l.contains("```")) {
                "~~~~"
            } else {
                "```"
            };
            let _ = writeln!(out, "{fence}diff");
            for line in kept {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{fence}");
            out.push('\n');
        }
        let cut = self.lines.len() - self.kept;
        if cut > 0 {
            let _ = writeln!(
                out,
                "_… {} more line{} truncated; run `grokform plan` for the full diff_",
                thousands(cut),
                if cut == 1 { "" } else { "s" }
            );
            out.push('\n');
        }
        let _ = writeln!(out, "</details>");
        out
    }
}

/// The closing note when whole sections had to go.
fn hidden_note(hidden: usize) -> String {
    if hidden == 0 {
        return String::new();
    }
    format!(
        "\n_… {} more change{} not shown to keep this comment short; run `grokform plan` for the full plan._\n",
        thousands(hidden),
        if hidden == 1 { "" } else { "s" }
    )
}

/// Text outside code, made safe for GitHub's HTML-aware Markdown.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
