//! `Key`: the name of a manifest entry (`tables.sales` → `sales`). Keys become addresses
//! (`table.sales`), which the state, saved plans and `--target` hold as text split at `.`, so
//! what a key may contain is decided once, here, and every later stage can rely on it.
//!
//! A key is an identifier in the sense of Unicode (UAX #31), as in HCL and most languages,
//! plus `-`: `équipe`, `ventes_2024`, `売上` and `raw-sales` are keys; `.`, spaces, `/` and
//! control characters are not.

use crate::validated::{shown_char, shown_text, validated_string};

/// What a key may be, as the help line of every key diagnostic says it.
pub const KEY_RULE: &str = "a key starts with a letter (of any script) or `_`, then has only letters, digits, `_` and `-` (a Unicode identifier, UAX #31: XID_Start or `_`, then XID_Continue or `-`); keys become addresses like `table.KEY`, so `.`, spaces, `/` and other symbols cannot appear";

/// A validated manifest key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

/// Why a text is not a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not a key: it {problem}", shown_text(.key))]
pub struct KeyError {
    /// The text as given.
    pub key: String,
    pub problem: KeyProblem,
}

/// The first thing wrong with a would-be key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("is empty")]
    Empty,
    /// The first character is not a letter or `_` (a digit, `-`, a space, a symbol).
    #[error("starts with {}, not a letter or `_`", shown_char(*.0))]
    Start(char),
    /// A later character is not a letter, digit, `_` or `-`; `at` is its byte offset.
    #[error("contains {}", shown_char(*.found))]
    Char { found: char, at: usize },
}

impl KeyProblem {
    /// The byte range of the offending character in the key, for a label (`None` when empty).
    pub fn range(self) -> Option<(usize, usize)> {
        match self {
            KeyProblem::Empty => None,
            KeyProblem::Start(c) => Some((0, c.len_utf8())),
            KeyProblem::Char { found, at } => Some((at, at + found.len_utf8())),
        }
    }
}

impl Key {
    /// `text` as a key, or the first reason it is not one.
    pub fn parse(text: &str) -> Result<Key, KeyError> {
        let problem = |problem| KeyError {
            key: text.to_string(),
            problem,
        };
        let mut chars = text.char_indices();
        let Some((_, first)) = chars.next() else {
            return Err(problem(KeyProblem::Empty));
        };
        if !(unicode_ident::is_xid_start(first) || first == '_') {
            return Err(problem(KeyProblem::Start(first)));
        }
        if let Some((at, found)) =
            chars.find(|&(_, c)| !(unicode_ident::is_xid_continue(c) || c == '-'))
        {
            return Err(problem(KeyProblem::Char { found, at }));
        }
        Ok(Key(text.to_string()))
    }
}

validated_string!(Key, KeyError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_identifiers_and_dashes_are_keys() {
        for text in [
            "sales",
            "équipe",
            "ventes_2024",
            "売上",
            "raw-sales",
            "_private",
            "Ünïcödé-2",
            "x",
        ] {
            let key = Key::parse(text).unwrap();
            assert_eq!(key.as_str(), text);
            assert_eq!(key, text);
        }
    }

    #[test]
    fn the_first_wrong_character_is_named_with_its_place() {
        let problem = |text: &str| Key::parse(text).unwrap_err().problem;
        assert_eq!(problem(""), KeyProblem::Empty);
        assert_eq!(problem(" "), KeyProblem::Start(' '));
        assert_eq!(problem("2024"), KeyProblem::Start('2'));
        assert_eq!(problem("-x"), KeyProblem::Start('-'));
        assert_eq!(problem(".x"), KeyProblem::Start('.'));
        assert_eq!(problem("a.b"), KeyProblem::Char { found: '.', at: 1 });
        assert_eq!(problem("é b"), KeyProblem::Char { found: ' ', at: 2 });
        assert_eq!(problem("a/b"), KeyProblem::Char { found: '/', at: 1 });
        assert_eq!(
            problem("a\u{7}"),
            KeyProblem::Char {
                found: '\u{7}',
                at: 1
            }
        );
        assert_eq!(problem("a:b"), KeyProblem::Char { found: ':', at: 1 });
        assert_eq!(problem("é b").range(), Some((2, 3)));
    }

    #[test]
    fn errors_name_the_key_and_the_reason() {
        let error = Key::parse("cust.omers").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`cust.omers` is not a key: it contains `.`"
        );
        assert_eq!(
            Key::parse("").unwrap_err().to_string(),
            "`` is not a key: it is empty"
        );
    }

    #[test]
    fn serde_reads_and_writes_the_text_and_checks_it() {
        let key: Key = serde_json::from_str("\"売上\"").unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"売上\"");
        assert!(serde_json::from_str::<Key>("\"a b\"").is_err());
    }

    #[test]
    fn maps_keyed_by_keys_are_looked_up_with_strings() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(Key::parse("sales").unwrap(), 1);
        assert_eq!(map.get("sales"), Some(&1));
        let owned: String = "sales".into();
        assert_eq!(map.get(&owned), Some(&1));
    }
}
