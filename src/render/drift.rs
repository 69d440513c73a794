//! The views of a refresh report: the terminal (or CI log) and a Markdown issue or pull-request
//! comment. Drift comes first, one line per item under its address; ignored drift, unverified
//! objects and capability notes follow, each under its own heading, so nothing is hidden.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::lines::target;
use crate::address::Address;
use crate::plan::{Drift, Observation};
use crate::refresh::RefreshReport;

/// Drift items with the address they are about.
type Items = Vec<(Address, Drift)>;

/// The drift items of the report, split into the ones that count and the ignored ones.
fn split(report: &RefreshReport) -> (Items, Items) {
    report
        .observed
        .all_drift()
        .into_iter()
        .partition(|(_, d)| !d.ignored)
}

/// `-` for something gone, `~` for something changed, `+` for something added.
fn sign(report: &RefreshReport, address: &Address, drift: &Drift) -> &'static str {
    if drift.kind == crate::plan::DriftKind::GrantAdded {
        return "+";
    }
    match report.observed.get(address) {
        Some(Observation::Gone { .. }) => "-",
        _ => "~",
    }
}

/// The report for a terminal or a CI log; ANSI colours only when `color` is true.
pub fn refresh_human(report: &RefreshReport, color: bool) -> String {
    let paint = |style: Style, text: &str| {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    };
    let bold = Style::new().bold();
    let on = target(&report.server, report.environment.as_deref());
    let (drift, ignored) = split(report);
    let mut out = String::new();
    let _ = writeln!(out, "grokform refresh of {on}");
    if drift.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "{}",
            paint(
                bold,
                &format!(
                    "No drift. The server matches the state ({} checked).",
                    report.summary.checked
                )
            )
        );
    } else {
        out.push('\n');
        let _ = writeln!(out, "{}", paint(bold, "Changed outside grokform:"));
        let mut last: Option<&Address> = None;
        for (address, item) in &drift {
            if last != Some(address) {
                let _ = writeln!(out, "  {}", paint(bold, &address.to_string()));
                last = Some(address);
            }
            let s = sign(report, address, item);
            let style = match s {
                "-" => AnsiColor::Red.on_default(),
                "+" => AnsiColor::Green.on_default(),
                _ => AnsiColor::Yellow.on_default(),
            };
            let _ = writeln!(out, "    {} {}: {}", paint(style, s), item.kind, item.seen);
        }
    }
    if !ignored.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "Ignored drift ({}):", ignored.len());
        for (address, item) in &ignored {
            let _ = writeln!(out, "  {address}: {}: {}", item.kind, item.seen);
        }
    }
    let unverified = report.observed.unverified();
    if !unverified.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "Unverified ({}):", unverified.len());
        for (address, reason) in &unverified {
            let _ = writeln!(out, "  {address}: {reason}");
        }
    }
    if !report.observed.notes.is_empty() {
        out.push('\n');
        for note in &report.observed.notes {
            let _ = writeln!(
                out,
                "{} {note}",
                paint(AnsiColor::Yellow.on_default(), "Note:")
            );
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

/// `Drift: 3 changes outside grokform, 1 ignored, 0 unverified, 9 in sync.`
fn summary_line(report: &RefreshReport) -> String {
    let s = &report.summary;
    format!(
        "Drift: {} change{} outside grokform, {} ignored, {} unverified, {} of {} in sync.",
        s.drift,
        if s.drift == 1 { "" } else { "s" },
        s.ignored,
        s.unverified,
        s.in_sync,
        s.checked
    )
}

/// The report as an issue or pull-request comment.
pub fn refresh_markdown(report: &RefreshReport) -> String {
    let on = target(&report.server, report.environment.as_deref());
    let (drift, ignored) = split(report);
    let mut out = String::new();
    if drift.is_empty() {
        let _ = writeln!(out, "### grokform refresh: no drift on `{on}`");
    } else {
        let _ = writeln!(
            out,
            "### grokform refresh: changed outside grokform on `{on}`"
        );
    }
    out.push('\n');
    for note in &report.observed.notes {
        let _ = writeln!(out, "> [!WARNING]\n> {}\n", cell(note));
    }
    if !drift.is_empty() {
        table(&mut out, report, &drift);
        out.push('\n');
    }
    if !ignored.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Ignored drift ({})</summary>\n",
            ignored.len()
        );
        table(&mut out, report, &ignored);
        let _ = writeln!(out, "\n</details>\n");
    }
    let unverified = report.observed.unverified();
    if !unverified.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Unverified ({})</summary>\n",
            unverified.len()
        );
        let _ = writeln!(out, "| address | why |\n|---|---|");
        for (address, reason) in &unverified {
            let _ = writeln!(out, "| `{address}` | {} |", cell(reason));
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

fn table(out: &mut String, report: &RefreshReport, rows: &[(Address, Drift)]) {
    let _ = writeln!(
        out,
        "| | address | drift | seen on the server |\n|---|---|---|---|"
    );
    for (address, item) in rows {
        let _ = writeln!(
            out,
            "| `{}` | `{address}` | {} | {} |",
            sign(report, address, item),
            item.kind,
            cell(&item.seen)
        );
    }
}

/// Text made safe for one Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_report_names_each_drift_and_keeps_ignored_apart() {
        let report = crate::refresh::sample_report();
        insta::assert_snapshot!("refresh_human", refresh_human(&report, false));
        insta::assert_snapshot!("refresh_markdown", refresh_markdown(&report));
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc<d"), "a\\|b c&lt;d");
    }
}
