//! The one check a server URL gets before anything is sent to it.

use super::ClientError;

/// Validates and normalises the base URL (`ServerUrl`, the one normaliser): `http(s)`, no
/// credentials, no query, no trailing `/`; `local` is the caller's to start, not a URL.
pub(super) fn normalise_base_url(base_url: &str) -> Result<String, ClientError> {
    let bad = |url: String, reason: String| ClientError::BadUrl { url, reason };
    match crate::server_url::ServerUrl::parse(base_url) {
        Ok(url) if url.is_local() => Err(bad(
            url.to_string(),
            crate::server_url::ServerUrlProblem::Scheme.to_string(),
        )),
        Ok(url) => Ok(url.to_string()),
        Err(error) => Err(bad(error.url, error.problem.to_string())),
    }
}
