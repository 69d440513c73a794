//! `RemotePath`: where a file lives inside a Datagrok connector (`Sales/raw/q1.csv`). The
//! files API takes it as the tail of the route, so it must stay relative to the connector:
//! a leading `/`, a drive letter, `..`, `.` or an empty segment would be normalised by the
//! server into another file than the one named. The rules live here once; the client only
//! percent-encodes the segments of a valid path.

use crate::validated::{shown_char, shown_text, validated_string};

/// What a remote path may be, for help lines.
pub const REMOTE_PATH_RULE: &str =
    "write a relative path inside the connector, e.g. `sales/raw/orders.csv`";

/// A validated path inside a connector, `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RemotePath(String);

/// Why a text is not a remote path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not a remote path: it {problem}", shown_text(.path))]
pub struct RemotePathError {
    /// The text as given.
    pub path: String,
    pub problem: RemotePathProblem,
}

/// The first thing wrong with a would-be remote path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemotePathProblem {
    #[error("is empty")]
    Empty,
    #[error("is absolute; remote paths are relative to the connector")]
    Absolute,
    #[error("contains `\\`; remote paths use `/`")]
    Backslash,
    #[error("has an empty segment (`//` or a trailing `/`)")]
    EmptySegment,
    /// A `.` or `..` segment.
    #[error("has a `{0}` segment")]
    Dots(&'static str),
    #[error("contains the control character {}", shown_char(*.0))]
    Control(char),
}

impl RemotePath {
    /// `text` as a remote path, or the first reason it is not one.
    pub fn parse(text: &str) -> Result<RemotePath, RemotePathError> {
        let problem = |problem| RemotePathError {
            path: text.to_string(),
            problem,
        };
        if text.is_empty() {
            return Err(problem(RemotePathProblem::Empty));
        }
        let bytes = text.as_bytes();
        let drive = bytes.len() >= 2
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && matches!(bytes.get(2), None | Some(b'/' | b'\\'));
        if text.starts_with('/') || text.starts_with('\\') || drive {
            return Err(problem(RemotePathProblem::Absolute));
        }
        if text.contains('\\') {
            return Err(problem(RemotePathProblem::Backslash));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(problem(RemotePathProblem::Control(c)));
        }
        for segment in text.split('/') {
            match segment {
                "" => return Err(problem(RemotePathProblem::EmptySegment)),
                "." => return Err(problem(RemotePathProblem::Dots("."))),
                ".." => return Err(problem(RemotePathProblem::Dots(".."))),
                _ => {}
            }
        }
        Ok(RemotePath(text.to_string()))
    }

    /// The `/`-separated segments, none empty, `.` or `..`.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

validated_string!(RemotePath, RemotePathError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_slash_separated_paths_are_remote_paths() {
        for text in [
            "a/b/c.csv",
            "Sales/raw data/q1:v2.csv",
            "a:b/c",
            "été/売上.csv",
            "..a/b..",
        ] {
            assert_eq!(RemotePath::parse(text).unwrap(), text);
        }
        let path = RemotePath::parse("a/b/c.csv").unwrap();
        assert_eq!(path.segments().collect::<Vec<_>>(), ["a", "b", "c.csv"]);
    }

    #[test]
    fn paths_that_could_name_another_file_are_refused() {
        let problem = |text: &str| RemotePath::parse(text).unwrap_err().problem;
        assert_eq!(problem(""), RemotePathProblem::Empty);
        for absolute in ["/a", "\\a", "C:/x", "c:\\x", "C:"] {
            assert_eq!(problem(absolute), RemotePathProblem::Absolute, "{absolute}");
        }
        assert_eq!(problem("a\\b"), RemotePathProblem::Backslash);
        assert_eq!(problem("a//b"), RemotePathProblem::EmptySegment);
        assert_eq!(problem("a/"), RemotePathProblem::EmptySegment);
        assert_eq!(problem("a/../b"), RemotePathProblem::Dots(".."));
        assert_eq!(problem("./a"), RemotePathProblem::Dots("."));
        assert_eq!(problem(".."), RemotePathProblem::Dots(".."));
        assert_eq!(problem("a/b\u{0}"), RemotePathProblem::Control('\u{0}'));
        assert_eq!(
            RemotePath::parse("a/../b").unwrap_err().to_string(),
            "`a/../b` is not a remote path: it has a `..` segment"
        );
    }
}
