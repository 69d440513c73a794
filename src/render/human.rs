//! The terminal view, in the shape Terraform users read without thinking: a sign per change,
//! old → new attributes, the layout's viewer summary and diff, warnings, and one closing
//! summary line.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::lines::{Line, body, headline, target};
use super::repairs;
use crate::plan::{Action, Change, Plan};

/// Colours, or none.
struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn sign(&self, change: &Change) -> Style {
        if change.uncertain {
            return AnsiColor::Red.on_default().bold();
        }
        match change.action {
            Action::Create => AnsiColor::Green.on_default(),
            Action::Update => AnsiColor::Yellow.on_default(),
            Action::Replace => AnsiColor::Magenta.on_default(),
            Action::Delete => AnsiColor::Red.on_default(),
            Action::Forget => AnsiColor::Cyan.on_default(),
            Action::Run => AnsiColor::Blue.on_default(),
            Action::NoOp => Style::new(),
        }
    }
}

/// The plan for a terminal or a CI log; ANSI colours only when `color` is true.
pub fn human(plan: &Plan, color: bool) -> String {
    let p = Palette { color };
    let bold = Style::new().bold();
    let mut out = String::new();
    let on = target(&plan.server, plan.environment.as_deref());
    if !plan.has_changes() {
        let _ = writeln!(out, "grokform plan for {on}");
        out.push('\n');
        drift(&mut out, plan, &p);
        let _ = writeln!(out, "{}", p.paint(bold, &repairs::no_changes(plan)));
        warnings(&mut out, plan, &p);
        notes(&mut out, plan, &p);
        return out;
    }
    let _ = writeln!(out, "grokform will perform the following actions on {on}:");
    let mut section = String::new();
    drift(&mut section, plan, &p);
    if let Some(section) = section.strip_suffix('\n') {
        // each change below starts with its own blank line
        out.push('\n');
        out.push_str(section);
    }
    for change in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        out.push('\n');
        let _ = writeln!(
            out,
            "  {}",
            p.paint(bold, &format!("# {}", headline(change)))
        );
        let sign = p.paint(p.sign(change), &format!("{:>3}", change.sign()));
        let _ = writeln!(out, "{sign} {}", change.address);
        change_body(&mut out, change, &p);
    }
    warnings(&mut out, plan, &p);
    notes(&mut out, plan, &p);
    out.push('\n');
    let _ = writeln!(out, "{}", p.paint(bold, &plan.summary().to_string()));
    out
}

/// "Changed outside grokform": each address's drift with what was seen on the server and
/// what the plan does about it; then the ignored drift, never repaired. Each block ends with
/// a blank line.
fn drift(out: &mut String, plan: &Plan, p: &Palette) {
    let repairs = repairs::repairs(plan);
    if !repairs.is_empty() {
        let bold = Style::new().bold();
        let _ = writeln!(out, "{}", p.paint(bold, "Changed outside grokform:"));
        for repair in &repairs {
            let _ = writeln!(
                out,
                "  {} {}",
                p.paint(bold, &repair.address.to_string()),
                repair.outcome
            );
            for item in &repair.drift {
                let sign = repairs::sign(item);
                let style = match sign {
                    "-" => AnsiColor::Red.on_default(),
                    "+" => AnsiColor::Green.on_default(),
                    _ => AnsiColor::Yellow.on_default(),
                };
                let _ = writeln!(
                    out,
                    "    {} {}: {}",
                    p.paint(style, sign),
                    item.kind,
                    item.seen
                );
            }
        }
        out.push('\n');
    }
    let ignored = repairs::ignored(plan);
    if !ignored.is_empty() {
        let _ = writeln!(out, "Ignored drift ({}), not repaired:", ignored.len());
        for (address, item) in &ignored {
            let _ = writeln!(out, "  {address}: {}: {}", item.kind, item.seen);
        }
        out.push('\n');
    }
}

/// What the refresh could not check.
fn notes(out: &mut String, plan: &Plan, p: &Palette) {
    if plan.notes.is_empty() {
        return;
    }
    out.push('\n');
    for note in &plan.notes {
        let _ = writeln!(
            out,
            "{} {note}",
            p.paint(AnsiColor::Yellow.on_default(), "Note:")
        );
    }
}

fn change_body(out: &mut String, change: &Change, p: &Palette) {
    let lines = body(change);
    let width = lines
        .iter()
        .filter_map(|l| match l {
            Line::Attr { key, .. } | Line::Note { key, .. } => Some(key.len() + 1),
            Line::Viewer(_) | Line::Diff(_) => None,
        })
        .max()
        .unwrap_or(0);
    for line in lines {
        match line {
            Line::Attr { key, before, after } => {
                let key = format!("{key}:");
                let value = match (before, after) {
                    (Some(old), Some(new)) => format!("{old} → {new}"),
                    (None, Some(new)) => new,
                    (Some(old), None) => old,
                    (None, None) => String::new(),
                };
                let _ = writeln!(out, "      {key:width$} {value}");
            }
            Line::Note { key, text } if text.is_empty() => {
                let _ = writeln!(out, "      {key}:");
            }
            Line::Note { key, text } => {
                let key = format!("{key}:");
                let _ = writeln!(out, "      {key:width$} {text}");
            }
            Line::Viewer(text) => {
                let style = match text.chars().next() {
                    Some('+') => AnsiColor::Green.on_default(),
                    Some('-') => AnsiColor::Red.on_default(),
                    _ => AnsiColor::Yellow.on_default(),
                };
                let _ = writeln!(out, "        {}", p.paint(style, &text));
            }
            Line::Diff(text) => {
                let style = if text.starts_with("@@") {
                    AnsiColor::Cyan.on_default()
                } else if text.starts_with('+') {
                    AnsiColor::Green.on_default()
                } else if text.starts_with('-') {
                    AnsiColor::Red.on_default()
                } else {
                    Style::new()
                };
                let _ = writeln!(out, "        {}", p.paint(style, &text));
            }
        }
    }
}

fn warnings(out: &mut String, plan: &Plan, p: &Palette) {
    if plan.warnings.is_empty() {
        return;
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        p.paint(AnsiColor::Yellow.on_default().bold(), "Warnings:")
    );
    for warning in &plan.warnings {
        let _ = writeln!(out, "  - {warning}");
    }
}
