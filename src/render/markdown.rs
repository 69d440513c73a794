//! The pull-request comment: warnings first, a summary table, one collapsible section per
//! change. GitHub refuses comments over 65,536 characters, so the longest diffs are cut first
//! until the whole comment fits the limit, each cut saying so.

use std::fmt::Write;

use super::lines::{Line, body, headline, target, thousands};
use crate::plan::{Action, Change, Plan};

/// The default size limit: under GitHub's 65,536 with room for a bot's own footer.
pub const DEFAULT_LIMIT: usize = 60_000;

/// Longer lines (a long string in a layout) are cut to this many characters.
const MAX_LINE: usize = 1_000;

/// One collapsible section: its fenced lines and how many of them are kept.
struct Section<'p> {
    change: &'p Change,
    lines: Vec<String>,
    kept: usize,
}

impl Section<'_> {
    fn kept_chars(&self) -> usize {
        self.lines[..self.kept].iter().map(|l| l.len() + 1).sum()
    }
}

/// The plan as a GitHub comment of at most `limit` characters (when `limit` leaves room for
/// the header, warnings and summary table at all).
pub fn markdown(plan: &Plan, limit: usize) -> String {
    let mut sections: Vec<Section> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|change| {
            let lines: Vec<String> = body(change).into_iter().map(diff_line).collect();
            Section {
                change,
                kept: lines.len(),
                lines,
            }
        })
        .collect();
    let mut shown = sections.len();
    loop {
        let text = render(plan, &sections[..shown], sections.len() - shown);
        if text.chars().count() <= limit {
            return text;
        }
        let over = text.chars().count() - limit;
        // Cut the longest kept diff first, down to the next longest (or by what is over).
        let mut by_size: Vec<usize> = (0..shown).filter(|&i| sections[i].kept > 0).collect();
        by_size
            .sort_by_key(|&i| std::cmp::Reverse((sections[i].kept_chars(), std::cmp::Reverse(i))));
        match by_size.first() {
            Some(&longest) => {
                let floor = by_size
                    .get(1)
                    .map(|&i| sections[i].kept_chars())
                    .unwrap_or(0);
                let section = &mut sections[longest];
                // The truncation note costs characters too; cut a little more than `over`.
                let mut cut = 0;
                while section.kept > 0 && (cut < over + 120) {
                    section.kept -= 1;
                    cut += section.lines[section.kept].len() + 1;
                    if section.kept_chars() <= floor && cut >= 120 {
                        break;
                    }
                }
            }
            None if shown > 0 => shown -= 1,
            None => return text,
        }
    }
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
        Line::Diff(text) => text,
    };
    if text.chars().count() > MAX_LINE {
        text = text.chars().take(MAX_LINE).collect::<String>() + " …";
    }
    text
}

fn render(plan: &Plan, sections: &[Section], hidden: usize) -> String {
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
    if !plan.has_changes() {
        let _ = writeln!(out, "No changes. The server matches the manifest.");
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
    for section in sections {
        out.push('\n');
        let _ = writeln!(
            out,
            "<details><summary><code>{} {}</code> {}</summary>",
            escape(section.change.sign()),
            escape(&section.change.address.to_string()),
            escape(
                headline(section.change)
                    .split_once(' ')
                    .map_or("", |(_, rest)| rest)
            )
        );
        out.push('\n');
        let kept = &section.lines[..section.kept];
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
        let cut = section.lines.len() - section.kept;
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
    }
    if hidden > 0 {
        out.push('\n');
        let _ = writeln!(
            out,
            "_… {} more change{} not shown to keep this comment short; run `grokform plan` for the full plan._",
            thousands(hidden),
            if hidden == 1 { "" } else { "s" }
        );
    }
    out
}

/// Text outside code, made safe for GitHub's HTML-aware Markdown.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
