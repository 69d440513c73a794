//! The naming rules the API imposes (datagrok-api.md): Grok names, remote paths, keys. Pure
//! checks returning why a name is wrong, so resolve can label the node.

/// Why `name` is not a colon-separated Grok name, if it is not.
pub fn grok_name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("is empty".into());
    }
    for part in name.split(':') {
        if part.trim().is_empty() {
            return Some("has an empty part (parts are separated by `:`)".into());
        }
        if part.contains('.') {
            return Some(format!(
                "has a part `{part}` containing `.`, which is ambiguous once `:` becomes `.` in URLs"
            ));
        }
    }
    None
}

/// Why `path` is not a relative, `/`-separated remote path, if it is not.
pub fn remote_path_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("is empty".into());
    }
    if path.starts_with('/') || path.starts_with('\\') || path.chars().nth(1) == Some(':') {
        return Some("is absolute; remote paths are relative to the connector".into());
    }
    if path.contains('\\') {
        return Some("contains `\\`; remote paths use `/`".into());
    }
    for segment in path.split('/') {
        if segment.is_empty() {
            return Some("has an empty segment (`//` or a trailing `/`)".into());
        }
        if segment == ".." || segment == "." {
            return Some(format!("has a `{segment}` segment"));
        }
    }
    None
}

/// Whether `key` may be used in an address: `[A-Za-z0-9_-]+`.
pub fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grok_names() {
        assert_eq!(grok_name_problem("Admin:Sales:Orders"), None);
        assert_eq!(grok_name_problem("Cars"), None);
        assert!(grok_name_problem("Admin::Orders").is_some());
        assert!(grok_name_problem("Admin:Q1.2024").is_some());
        assert!(grok_name_problem("").is_some());
    }

    #[test]
    fn remote_paths() {
        assert_eq!(remote_path_problem("a/b/c.csv"), None);
        for bad in ["/a", "a//b", "a/../b", "a/", "", "C:/x", "a\\b"] {
            assert!(remote_path_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn keys() {
        assert!(is_key("raw-sales_2"));
        assert!(!is_key("a.b"));
        assert!(!is_key(""));
        assert!(!is_key("é"));
    }
}
