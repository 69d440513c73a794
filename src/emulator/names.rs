//! Identifiers as they arrive in URLs: percent-encoded segments, Grok names in colon or period
//! form, connectors, file paths. Every rule about what a name means, and every check that keeps
//! a request path inside the data folder, lives here so handlers only see validated values.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use uuid::Uuid;

/// Decodes one percent-encoded URL segment; invalid UTF-8 is an error.
pub fn decode_segment(raw: &str) -> Result<String, String> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| format!("the path segment `{raw}` is not valid UTF-8 once decoded"))
}

/// A table's three-part Grok name `Namespace:Project:Table`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableName {
    pub namespace: String,
    pub project: String,
    pub table: String,
}

impl TableName {
    /// Reads a table name from a decoded URL segment, uploaded by `user`.
    ///
    /// `Table` → `<user>:Table:Table` (a same-named project is implied), `A.B` → namespace `A`,
    /// project `B`, table `B` (our reading; the API leaves two-part names open), `N.P.T` as is.
    /// Colons are accepted as separators too.
    pub fn parse(decoded: &str, user: &str) -> Result<Self, String> {
        let parts: Vec<&str> = decoded.split(['.', ':']).map(str::trim).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("the table name `{decoded}` has an empty part"));
        }
        let (namespace, project, table) = match parts.as_slice() {
            [table] => (user, *table, *table),
            [namespace, project] => (*namespace, *project, *project),
            [namespace, project, table] => (*namespace, *project, *table),
            _ => {
                return Err(format!(
                    "the table name `{decoded}` has more than three parts (`Namespace.Project.Table`)"
                ));
            }
        };
        Ok(Self {
            namespace: namespace.to_owned(),
            project: project.to_owned(),
            table: table.to_owned(),
        })
    }

    /// The colon form, `JohnDoe:Sales:Q1`.
    pub fn grok_name(&self) -> String {
        format!("{}:{}:{}", self.namespace, self.project, self.table)
    }

    /// The key names are compared by: Datagrok names are case-insensitive.
    pub fn key(&self) -> String {
        self.grok_name().to_lowercase()
    }
}

/// Parses `raw` as a UUID if it is one.
pub fn as_uuid(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw.trim()).ok()
}

/// A connector (`System.AppData`, `System:AppData`, a UUID): its display form and the
/// case-insensitive key it is stored under, which is also its folder name on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    pub display: String,
    pub key: String,
}

impl Connector {
    /// Validates a decoded connector segment.
    pub fn parse(decoded: &str) -> Result<Self, String> {
        let display = decoded.trim().replace('.', ":");
        let valid = !display.is_empty()
            && display.len() <= 200
            && display
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | ' '))
            && !display.split(':').any(|p| p.trim().is_empty());
        if !valid {
            return Err(format!(
                "`{decoded}` is not a connector name (like `System:AppData`, sent as `System.AppData`)"
            ));
        }
        let key = display.to_lowercase().replace(':', ".");
        Ok(Self { display, key })
    }
}

/// A validated relative file path: segments with no `.`, `..`, separators or control
/// characters, so joining it to a folder can never leave that folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FilePath(Vec<String>);

impl FilePath {
    /// Validates raw (still percent-encoded) URL segments; `allow_empty` admits the connector's
    /// root (for sync).
    pub fn from_raw_segments(raw: &[&str], allow_empty: bool) -> Result<Self, String> {
        let mut segments = Vec::new();
        for (i, raw_segment) in raw.iter().enumerate() {
            if raw_segment.is_empty() {
                // a trailing slash names the folder itself; an empty inner segment is a typo
                if i + 1 == raw.len() {
                    continue;
                }
                return Err("the file path has an empty segment (`//`)".to_owned());
            }
            let segment = decode_segment(raw_segment)?;
            Self::check_segment(&segment)?;
            segments.push(segment);
        }
        if segments.is_empty() && !allow_empty {
            return Err("the file path is empty".to_owned());
        }
        Ok(Self(segments))
    }

    /// Validates a relative path written with `/` (the keys of a sync request).
    pub fn from_relative(text: &str) -> Result<Self, String> {
        let raw: Vec<&str> = text.split('/').collect();
        let mut segments = Vec::new();
        for segment in raw {
            Self::check_segment(segment)?;
            segments.push(segment.to_owned());
        }
        Ok(Self(segments))
    }

    fn check_segment(segment: &str) -> Result<(), String> {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "the file path segment `{segment}` is not allowed: paths stay inside their connector"
            ));
        }
        if segment.contains(['/', '\\', ':']) || segment.chars().any(char::is_control) {
            return Err(format!(
                "the file path segment `{}` contains a separator or control character",
                segment.escape_debug()
            ));
        }
        if segment.len() > 255 {
            return Err("a file path segment is longer than 255 bytes".to_owned());
        }
        Ok(())
    }

    /// The path with `/` separators, as shown and stored.
    pub fn as_string(&self) -> String {
        self.0.join("/")
    }

    /// The segments.
    pub fn segments(&self) -> &[String] {
        &self.0
    }

    /// Whether `self` lies under the folder `dir` (a folder contains itself's children only).
    pub fn is_under(&self, dir: &FilePath) -> bool {
        self.0.len() > dir.0.len() && self.0.starts_with(&dir.0)
    }

    /// The path relative to `dir`, which it must lie under.
    pub fn relative_to(&self, dir: &FilePath) -> String {
        self.0[dir.0.len()..].join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_the_documented_rules() {
        let full = TableName::parse("JohnDoe.Sales.Q1", "Admin").unwrap();
        assert_eq!(full.grok_name(), "JohnDoe:Sales:Q1");
        assert_eq!(
            TableName::parse("Cars", "Admin").unwrap().grok_name(),
            "Admin:Cars:Cars"
        );
        assert_eq!(
            TableName::parse("A.B", "Admin").unwrap().grok_name(),
            "A:B:B"
        );
        assert_eq!(TableName::parse("JohnDoe:Sales:Q1", "Admin").unwrap(), full);
        assert!(TableName::parse("A..B", "Admin").is_err());
        assert!(TableName::parse("A.B.C.D", "Admin").is_err());
        assert_eq!(
            TableName::parse("johndoe.sales.q1", "Admin").unwrap().key(),
            full.key()
        );
    }

    #[test]
    fn connectors_are_case_insensitive_in_both_forms() {
        let a = Connector::parse("System.AppData").unwrap();
        let b = Connector::parse("system:appdata").unwrap();
        assert_eq!(a.key, b.key);
        assert_eq!(a.display, "System:AppData");
        assert!(Connector::parse("..").is_err());
        assert!(Connector::parse("a/b").is_err());
        assert!(Connector::parse("").is_err());
    }

    #[test]
    fn file_paths_cannot_escape() {
        assert!(FilePath::from_raw_segments(&["a", "..", "b"], false).is_err());
        assert!(FilePath::from_raw_segments(&["%2e%2e", "etc"], false).is_err());
        assert!(FilePath::from_raw_segments(&["a%2Fb"], false).is_err());
        assert!(FilePath::from_raw_segments(&["a%5Cb"], false).is_err());
        assert!(FilePath::from_raw_segments(&["", "etc"], false).is_err());
        assert!(FilePath::from_raw_segments(&["a%00"], false).is_err());
        assert!(FilePath::from_raw_segments(&["%FF"], false).is_err());
        assert!(FilePath::from_relative("../x").is_err());
        assert!(FilePath::from_relative("/x").is_err());
        let ok = FilePath::from_raw_segments(&["raw", "sales%20q1.csv"], false).unwrap();
        assert_eq!(ok.as_string(), "raw/sales q1.csv");
        let dir = FilePath::from_raw_segments(&["raw", ""], true).unwrap();
        assert!(ok.is_under(&dir));
        assert_eq!(ok.relative_to(&dir), "sales q1.csv");
        assert!(
            FilePath::from_raw_segments(&[], true)
                .unwrap()
                .segments()
                .is_empty()
        );
    }
}
