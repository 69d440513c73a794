//! The one check a server URL gets before anything is sent to it.

use super::ClientError;

/// Validates and normalises the base URL: `http(s)`, no credentials, no query, no trailing `/`.
pub(super) fn normalise_base_url(base_url: &str) -> Result<String, ClientError> {
    let trimmed = base_url.trim();
    let bad = |reason: &str| ClientError::BadUrl {
        url: trimmed.to_string(),
        reason: reason.to_string(),
    };
    let url = reqwest::Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("only `http` and `https` URLs are supported"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Shown without the credentials: they may be real.
        return Err(ClientError::BadUrl {
            url: format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
            reason: "credentials do not belong in the URL; use `DATAGROK_API_KEY`".into(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("the URL cannot have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}
