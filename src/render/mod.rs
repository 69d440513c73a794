//! Human, JSON and Markdown views of a plan. Rendering returns strings and never prints, so
//! `cli` decides where output goes and tests snapshot exactly what users see.

mod drift;
mod human;
mod lines;
mod markdown;
mod repairs;

pub use drift::{refresh_human, refresh_markdown};
pub use human::human;
pub use markdown::{DEFAULT_LIMIT, markdown};

use crate::plan::Plan;

/// The plan as pretty JSON with a trailing newline: the saved-plan format (see
/// the README's "Plan format" and `schema/plan.schema.json`).
pub fn json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).expect("plans serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod drift_plan_tests;
