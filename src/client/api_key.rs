//! The API key, wrapped so that it cannot be printed by accident.

use std::fmt;
use std::path::Path;

use super::ClientError;

/// The environment variable the key is read from when no `--api-key-file` is given.
pub const API_KEY_ENV: &str = "DATAGROK_API_KEY";

/// A Datagrok API key. `Debug` and `Display` print `***`; the key only ever leaves this type
/// as a sensitive `Authorization` header value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps `s`, rejecting an empty key and keys with whitespace or control characters (they
    /// cannot be sent in a header and are almost always a copy-paste accident).
    pub fn new(s: String) -> Result<Self, ClientError> {
        if s.is_empty() {
            return Err(ClientError::BadApiKey {
                reason: "it is empty".into(),
            });
        }
        if s.chars().any(char::is_whitespace) {
            return Err(ClientError::BadApiKey {
                reason: "it contains whitespace".into(),
            });
        }
        if s.chars().any(char::is_control) {
            return Err(ClientError::BadApiKey {
                reason: "it contains control characters".into(),
            });
        }
        Ok(ApiKey(s))
    }

    /// The key from `file` (trimmed) when given, else from `env`, the value of
    /// `DATAGROK_API_KEY` (trimmed) that `cli`, the owner of the environment, passes in.
    // Reads the key file the user names with `--api-key-file`: small, and the error must name
    // the key file, not a source.
    #[allow(clippy::disallowed_methods)]
    pub fn from_sources(file: Option<&Path>, env: Option<String>) -> Result<Self, ClientError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ClientError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            return ApiKey::new(text.trim().to_string()).map_err(|e| match e {
                ClientError::BadApiKey { reason } => ClientError::BadApiKey {
                    reason: format!("the key in `{}` is unusable: {reason}", path.display()),
                },
                other => other,
            });
        }
        match env.map(|s| s.trim().to_string()) {
            Some(key) if !key.is_empty() => ApiKey::new(key).map_err(|e| match e {
                ClientError::BadApiKey { reason } => ClientError::BadApiKey {
                    reason: format!("`{API_KEY_ENV}` is unusable: {reason}"),
                },
                other => other,
            }),
            _ => Err(ClientError::NoApiKey),
        }
    }

    /// The secret itself; only for building the `Authorization` header and for redacting it
    /// from text that came back from the server.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
mod tests {
    use super::*;

    #[test]
    fn prints_as_stars() {
        let key = ApiKey::new("s3cret-key".into()).unwrap();
        assert_eq!(format!("{key}"), "***");
        assert_eq!(format!("{key:?}"), "***");
        assert_eq!(format!("{:?}", Some(&key)), "Some(***)");
    }

    #[test]
    fn rejects_empty_whitespace_and_control_characters() {
        for bad in ["", "a b", "a\tb", "ab\n", "a\u{7}b"] {
            let err = ApiKey::new(bad.into()).unwrap_err();
            assert!(
                matches!(err, ClientError::BadApiKey { .. }),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn reads_a_trimmed_key_from_a_file_before_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "  from-file\n").unwrap();
        let key = ApiKey::from_sources(Some(&path), Some("from-env".into())).unwrap();
        assert_eq!(key.expose(), "from-file");
        let key = ApiKey::from_sources(None, Some("from-env\n".into())).unwrap();
        assert_eq!(key.expose(), "from-env");
    }

    #[test]
    fn missing_key_and_unreadable_file_are_clear_errors() {
        assert!(matches!(
            ApiKey::from_sources(None, None),
            Err(ClientError::NoApiKey)
        ));
        assert!(matches!(
            ApiKey::from_sources(None, Some("  ".into())),
            Err(ClientError::NoApiKey)
        ));
        let err = ApiKey::from_sources(Some(Path::new("/nonexistent/key")), None).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/key"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "two words").unwrap();
        let err = ApiKey::from_sources(Some(&path), None).unwrap_err();
        assert!(!err.to_string().contains("two words"), "{err}");
    }
}
