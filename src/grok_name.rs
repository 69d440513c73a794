//! `GrokName`: a name the Datagrok API addresses an entity by (`JohnDoe:Sales:Q1`, a
//! connector `System:AppData`, a function `Demo:Refresh`, a dashboard's name). The rules come
//! from the API (datagrok-api.md, Identifiers): clients send every `:` as `.`, so a part that
//! holds `.` is ambiguous. They live here once: `validate` rejects exactly what the client
//! could not send, and the client only turns a valid name into its URL form.

use crate::key::Key;
use crate::validated::{shown_char, shown_text, validated_string};

/// What a Grok name may be, for help lines.
pub const GROK_NAME_RULE: &str = "Grok names are `:`-separated parts, e.g. `Admin:Sales:Orders`";

/// A validated Grok name in colon form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GrokName(String);

/// Why a text is not a Grok name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not a Grok name: it {problem}", shown_text(.name))]
pub struct GrokNameError {
    /// The text as given.
    pub name: String,
    pub problem: GrokNameProblem,
}

/// The first thing wrong with a would-be Grok name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrokNameProblem {
    #[error("is empty")]
    Empty,
    #[error("has an empty part (parts are separated by `:`)")]
    EmptyPart,
    /// A part holds `.`; `whole` when that part is the whole (one-part) name.
    #[error("{} `.`, which is ambiguous once `:` becomes `.` in URLs", if *.whole { "contains".to_string() } else { format!("has a part `{}` containing", shown_text(.part)) })]
    Dot { part: String, whole: bool },
    #[error("contains the control character {}", shown_char(*.0))]
    Control(char),
}

impl GrokName {
    /// `text` as a Grok name, or the first reason it is not one.
    pub fn parse(text: &str) -> Result<GrokName, GrokNameError> {
        let problem = |problem| GrokNameError {
            name: text.to_string(),
            problem,
        };
        if text.trim().is_empty() {
            return Err(problem(GrokNameProblem::Empty));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(problem(GrokNameProblem::Control(c)));
        }
        for part in text.split(':') {
            if part.trim().is_empty() {
                return Err(problem(GrokNameProblem::EmptyPart));
            }
            if part.contains('.') {
                return Err(problem(GrokNameProblem::Dot {
                    part: part.to_string(),
                    whole: part.len() == text.len(),
                }));
            }
        }
        Ok(GrokName(text.to_string()))
    }

    /// The `:`-separated parts, each non-blank and free of `.` and control characters.
    pub fn parts(&self) -> impl Iterator<Item = &str> {
        self.0.split(':')
    }
}

/// A key is always a one-part Grok name (a letter or `_`, then no `.`, `:` or control
/// character), which is what a dashboard without `name:` is called.
impl From<&Key> for GrokName {
    fn from(key: &Key) -> Self {
        GrokName(key.as_str().to_string())
    }
}

validated_string!(GrokName, GrokNameError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colon_separated_names_and_uuids_are_grok_names() {
        for text in [
            "Admin:Sales:Orders",
            "Cars",
            "System:AppData",
            "Jane:Sales Overview",
            "Zoë:a/b?c#d",
            "3f0c2e3a-0000-4000-8000-000000000000",
        ] {
            assert_eq!(GrokName::parse(text).unwrap(), text);
        }
        let name = GrokName::parse("JohnDoe:Sales:Q1").unwrap();
        assert_eq!(name.parts().collect::<Vec<_>>(), ["JohnDoe", "Sales", "Q1"]);
    }

    #[test]
    fn empty_parts_periods_and_control_characters_are_refused() {
        let problem = |text: &str| GrokName::parse(text).unwrap_err().problem;
        assert_eq!(problem(""), GrokNameProblem::Empty);
        assert_eq!(problem("  "), GrokNameProblem::Empty);
        assert_eq!(problem("Admin::Orders"), GrokNameProblem::EmptyPart);
        assert_eq!(problem(":a"), GrokNameProblem::EmptyPart);
        assert_eq!(problem("a: :b"), GrokNameProblem::EmptyPart);
        assert_eq!(
            problem("Admin:Q1.2024"),
            GrokNameProblem::Dot {
                part: "Q1.2024".into(),
                whole: false
            }
        );
        assert_eq!(
            GrokName::parse("Sales v1.2").unwrap_err().to_string(),
            "`Sales v1.2` is not a Grok name: it contains `.`, which is ambiguous once `:` becomes `.` in URLs"
        );
        assert_eq!(problem("a:\u{1}"), GrokNameProblem::Control('\u{1}'));
        assert_eq!(problem("Sales\nOverview"), GrokNameProblem::Control('\n'));
        assert_eq!(
            GrokName::parse("JohnDoe:Sales.v2").unwrap_err().to_string(),
            "`JohnDoe:Sales.v2` is not a Grok name: it has a part `Sales.v2` containing `.`, which is ambiguous once `:` becomes `.` in URLs"
        );
    }

    #[test]
    fn every_key_is_a_grok_name() {
        for text in ["sales", "売上", "raw-sales", "_x"] {
            let key = Key::parse(text).unwrap();
            let name = GrokName::from(&key);
            assert_eq!(GrokName::parse(name.as_str()).unwrap(), name);
        }
    }
}
