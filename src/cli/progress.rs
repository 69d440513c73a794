//! How a running apply looks: a progress bar per upload on a terminal, one line per finished
//! action elsewhere (CI logs), and the closing summary.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::address::Address;
use crate::apply::{ApplyReport, Completed, Event, Reporter};
use crate::plan::Action;

/// The reporter for this terminal (or log).
pub fn reporter() -> Arc<dyn Reporter> {
    if std::io::stderr().is_terminal() {
        Arc::new(Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::default(),
        })
    } else {
        Arc::new(Lines)
    }
}

/// One line per finished action, for logs.
struct Lines;

impl Reporter for Lines {
    fn event(&self, event: Event) {
        if let Some(line) = line(&event) {
            anstream::eprintln!("{line}");
        }
    }
}

/// Progress bars for uploads on a terminal, and the same lines printed above them.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<Address, ProgressBar>>,
}

impl Reporter for Bars {
    fn event(&self, event: Event) {
        match &event {
            Event::Upload { address, total } => {
                let bar = self.multi.add(ProgressBar::new(*total));
                bar.set_style(
                    ProgressStyle::with_template(
                        "  {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                );
                bar.set_prefix(address.to_string());
                self.bars
                    .lock()
                    .expect("not poisoned")
                    .insert(address.clone(), bar);
            }
            Event::Progress { address, sent } => {
                if let Some(bar) = self.bars.lock().expect("not poisoned").get(address) {
                    bar.set_position(*sent);
                }
            }
            Event::Finished(Completed { address, .. }) | Event::Failed { address, .. } => {
                if let Some(bar) = self.bars.lock().expect("not poisoned").remove(address) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
            }
            _ => {}
        }
        if let Some(line) = line(&event) {
            let _ = self.multi.println(line);
        }
    }
}

/// The log line of an event, if it gets one.
fn line(event: &Event) -> Option<String> {
    match event {
        Event::Finished(Completed {
            address,
            action,
            note: Some(note),
            ..
        }) => Some(format!("{} {address}: {note}", action.sign())),
        Event::Finished(Completed {
            address,
            action,
            remote_id,
            note: None,
        }) => Some(match remote_id {
            Some(id) => format!(
                "{} {address}: {} (ID {id})",
                action.sign(),
                past_tense(*action)
            ),
            None => format!("{} {address}: {}", action.sign(), past_tense(*action)),
        }),
        Event::Failed { message, .. } => Some(format!("✗ {message}")),
        Event::Warning(message) => Some(format!("warning: {message}")),
        _ => None,
    }
}

fn past_tense(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::Forget => "forgotten (left on the server)",
        Action::Run => "ran",
        Action::NoOp => "unchanged",
    }
}

/// The closing lines of an apply; takes the report's errors to render them in full (with
/// their help).
pub fn summary(report: &mut ApplyReport, state: &str) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for done in &report.succeeded {
        *counts.entry(past_tense(done.action)).or_default() += 1;
    }
    let order = [
        "created",
        "updated",
        "replaced",
        "deleted",
        "forgotten (left on the server)",
        "ran",
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|k| {
            counts
                .get(k)
                .map(|n| format!("{n} {}", k.split(' ').next().unwrap_or(k)))
        })
        .collect();
    let done = if parts.is_empty() {
        // moves and imports change only the state (they are reported above): say where
        // nothing changed, so an apply that recorded them does not read as a no-op
        "nothing changed on the server".to_string()
    } else {
        parts.join(", ")
    };
    if report.is_success() {
        anstream::eprintln!("\nApply complete: {done}.");
        return;
    }
    for failure in &mut report.failed {
        match failure.error.take() {
            Some(error) => anstream::eprintln!("\n{:?}", miette::Report::new(error)),
            None => anstream::eprintln!("\nerror: {}", failure.message),
        }
    }
    if !report.skipped.is_empty() {
        let skipped: Vec<String> = report.skipped.iter().map(|a| a.to_string()).collect();
        anstream::eprintln!("Not started: {}.", skipped.join(", "));
    }
    let why = if report.interrupted {
        "Apply interrupted"
    } else {
        "Apply failed"
    };
    anstream::eprintln!(
        "{why}: {done} before it stopped. The state ({state}) records every completed action; run `grokform plan` to see what is left."
    );
}
