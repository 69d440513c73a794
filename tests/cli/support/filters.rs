//! Snapshot filters built from what a test really used (its project folder, the system's
//! temporary folder, its server's address) rather than from patterns guessing at them, so
//! snapshots are the same on any machine and a path that should not be printed is not hidden
//! by an over-eager pattern. Only values that are random by nature (UUIDs, process IDs, clock
//! times) are matched by pattern.

use std::net::SocketAddr;
use std::path::Path;

/// What a snapshot hides, and in which order.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Folders as printed (plain text) and their replacement; applied longest first, so a
    /// folder inside another (the project in the temporary folder) is replaced whole.
    paths: Vec<(String, String)>,
    /// Other (regex, replacement) pairs of this test, applied after the folders.
    specific: Vec<(String, String)>,
}

/// Applied first. miette wraps a message at 100 columns, so where it wraps depends on the
/// length of the paths, ports and IDs in it: its continuation lines (`  | `) are joined again,
/// without a space after a line that ends in `-` (a break inside a hyphenated word or a UUID).
const UNWRAP: &[(&str, &str)] = &[(r"-\n  \| ", "-"), (r"\n  \| ", " ")];

/// Filters for random values, applied after the specific ones.
const GENERIC: &[(&str, &str)] = &[
    (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    ),
    (r"pid \d+", "pid [PID]"),
    (
        r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    ),
];

impl Filters {
    /// The system's temporary folder as `[TMP]`, and the generic filters.
    pub fn new() -> Self {
        Filters::default().path(&std::env::temp_dir(), "[TMP]")
    }

    /// `path` as `replacement`, in every form it may be printed: as given and canonical (they
    /// differ where the temporary folder is behind a symlink, as on macOS).
    pub fn path(mut self, path: &Path, replacement: &str) -> Self {
        let mut forms = vec![path.to_path_buf()];
        forms.extend(std::fs::canonicalize(path));
        for form in forms {
            let form = form.display().to_string();
            let form = form.trim_end_matches(std::path::MAIN_SEPARATOR);
            if !form.is_empty() && !self.paths.iter().any(|(p, _)| p == form) {
                self.paths.push((form.to_owned(), replacement.to_owned()));
            }
        }
        self
    }

    /// The server at `addr`: its port becomes `[PORT]`.
    pub fn server(mut self, addr: SocketAddr) -> Self {
        let host = addr.ip().to_string();
        self.specific.push((
            format!(r"{}:{}\b", escape(&host), addr.port()),
            format!("{host}:[PORT]"),
        ));
        self
    }

    /// `text` as `replacement`.
    pub fn literal(mut self, text: &str, replacement: &str) -> Self {
        self.specific.push((escape(text), replacement.to_owned()));
        self
    }

    /// A pattern of this test's own (e.g. a serial that depends on scheduling).
    pub fn regex(mut self, pattern: &str, replacement: &str) -> Self {
        self.specific
            .push((pattern.to_owned(), replacement.to_owned()));
        self
    }

    /// Insta settings applying the filters: unwrapping, folders, this test's own, random values.
    pub fn settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in UNWRAP {
            settings.add_filter(pattern, *replacement);
        }
        let mut paths = self.paths.clone();
        paths.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
        for (path, replacement) in &paths {
            settings.add_filter(&escape(path), replacement.as_str());
        }
        for (pattern, replacement) in &self.specific {
            settings.add_filter(pattern, replacement.as_str());
        }
        for (pattern, replacement) in GENERIC {
            settings.add_filter(pattern, *replacement);
        }
        settings
    }

    /// Runs `f` (which asserts snapshots) with the filters applied.
    pub fn bind<R>(&self, f: impl FnOnce() -> R) -> R {
        self.settings().bind(f)
    }
}

/// `text` as a regex matching exactly it.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_ports_are_replaced_in_every_form_inner_folders_first() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("project");
        std::fs::create_dir(&inner).unwrap();
        let addr: SocketAddr = "127.0.0.1:4567".parse().unwrap();
        let filters = Filters::new()
            .path(dir.path(), "[OUTER]")
            .path(&inner, "[PROJECT]")
            .server(addr);
        let canonical = std::fs::canonicalize(&inner).unwrap();
        let text = format!(
            "{} and {} and {}/x on http://127.0.0.1:4567/api, not 127.0.0.1:45678",
            inner.display(),
            canonical.display(),
            dir.path().display()
        );
        filters.bind(|| {
            insta::assert_snapshot!(text, @"[PROJECT] and [PROJECT] and [OUTER]/x on http://127.0.0.1:[PORT]/api, not 127.0.0.1:45678");
        });
    }

    #[test]
    fn escaped_text_matches_only_itself() {
        assert_eq!(escape("a.b+c(1)"), r"a\.b\+c\(1\)");
    }
}
