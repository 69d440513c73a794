//! What every validated string type (`Key`, `GrokName`, `RemotePath`, `ServerUrl`) offers
//! besides its own `parse`: read-only access as `&str`, display, comparison with plain
//! strings, and serde as a string that is parsed again on the way in. One macro, so the four
//! types cannot drift apart; none of it can build a value without going through `parse`.

/// Implements the shared surface for `$name(String)` whose `parse` returns `$error`.
macro_rules! validated_string {
    ($name:ident, $error:ty) => {
        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        // Read-only: a `&str` view cannot break what `parse` checked, and it lets the stages
        // after `model` pass these where they used to pass strings.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Both borrows hash and order exactly as the inner `String`, so maps keyed by the
        // type are looked up with `&str` or `&String` alike.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<String> for $name {
            fn borrow(&self) -> &String {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        /// Unit tests build models from literals: the literal is still parsed, and a wrong one
        /// fails the test that wrote it.
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name::parse(text).unwrap_or_else(|error| panic!("test literal {text:?}: {error}"))
            }
        }

        #[cfg(test)]
        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name::from(text.as_str())
            }
        }
    };
}

pub(crate) use validated_string;

/// A character as an error message names it: visible ones in backticks, the others (spaces,
/// control characters) by code point, since printing them would show nothing or break the line.
pub(crate) fn shown_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        c if c.is_control() || c.is_whitespace() => format!("U+{:04X}", c as u32),
        '`' => "'`'".to_string(),
        c => format!("`{c}`"),
    }
}

/// At most `MAX_SHOWN` characters of `text` with control characters escaped, for messages:
/// a value can be megabytes long or hold a newline, and the message must stay one short line.
pub(crate) fn shown_text(text: &str) -> String {
    const MAX_SHOWN: usize = 80;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_SHOWN {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_and_texts_are_shown_on_one_short_line() {
        assert_eq!(shown_char('.'), "`.`");
        assert_eq!(shown_char(' '), "a space");
        assert_eq!(shown_char('\u{7}'), "U+0007");
        assert_eq!(shown_char('\u{a0}'), "U+00A0");
        assert_eq!(shown_text("a\nb"), "a\\nb");
        let long = "x".repeat(500);
        assert_eq!(shown_text(&long).chars().count(), 81);
        assert!(shown_text(&long).ends_with('…'));
    }
}
