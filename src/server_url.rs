//! `ServerUrl`: the one normaliser of Datagrok API base URLs. The manifest, `--server`, the
//! state, saved plans and the client all name a server; they agree on what "the same server"
//! means only if they normalise it the same way, and a plan file or state must never hold
//! credentials. So: `local` (the built-in emulator) or an `http(s)` URL with a host, no
//! credentials, query or fragment; scheme and host lowercased (by the URL parser), default
//! port dropped, no trailing `/`.

use crate::validated::{shown_text, validated_string};

/// A validated server: `local` or a normalised `http(s)` base URL.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerUrl(String);

/// Why a text cannot name a server.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{url}` is not a usable server URL: {problem}")]
pub struct ServerUrlError {
    /// The text as given, trimmed, without credentials (it is shown to users and logged).
    pub url: String,
    pub problem: ServerUrlProblem,
}

/// The first thing wrong with a would-be server URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServerUrlProblem {
    /// The URL parser's own reason.
    #[error("{0}")]
    Unparsable(String),
    #[error("only `http` and `https` URLs are supported")]
    Scheme,
    #[error("it names no host")]
    NoHost,
    #[error("credentials do not belong in the URL; use `DATAGROK_API_KEY`")]
    Credentials,
    #[error("the URL cannot have a query or fragment")]
    QueryOrFragment,
}

impl miette::Diagnostic for ServerUrlError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("grokform::server_url::invalid"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(
            "use e.g. `https://datagrok.example.com/api`, or `local` for the built-in emulator",
        ))
    }
}

impl ServerUrl {
    /// The name of the built-in emulator in `--server`, the manifest and the state.
    pub const LOCAL: &'static str = "local";

    /// `text` as a server, or the first reason it cannot be one. `local` is accepted in any
    /// case and surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<ServerUrl, ServerUrlError> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case(Self::LOCAL) {
            return Ok(ServerUrl(Self::LOCAL.to_string()));
        }
        let error = |url: String, problem| ServerUrlError { url, problem };
        let url = reqwest::Url::parse(trimmed).map_err(|e| {
            error(
                shown_text(&without_userinfo(trimmed)),
                ServerUrlProblem::Unparsable(e.to_string()),
            )
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(error(
                shown_text(&without_userinfo(trimmed)),
                ServerUrlProblem::Credentials,
            ));
        }
        let shown = || shown_text(trimmed);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(error(shown(), ServerUrlProblem::Scheme));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(error(shown(), ServerUrlProblem::NoHost));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(error(shown(), ServerUrlProblem::QueryOrFragment));
        }
        Ok(ServerUrl(url.as_str().trim_end_matches('/').to_string()))
    }

    /// The built-in emulator.
    pub fn local() -> ServerUrl {
        ServerUrl(Self::LOCAL.to_string())
    }

    pub fn is_local(&self) -> bool {
        self.0 == Self::LOCAL
    }

    /// Whether this is an API base (its path ends with `/api`); without it requests reach
    /// the web UI. `local` is one.
    pub fn is_api_base(&self) -> bool {
        self.is_local() || self.0.ends_with("/api")
    }

    /// A server named in text that was recorded earlier (state, saved plan) or given by a
    /// caller that has not validated it, as grokform shows and compares it: credentials
    /// dropped, and normalised when it is a valid server URL (else trimmed as it is).
    pub fn canonical(text: &str) -> String {
        let text = without_userinfo(text.trim());
        match ServerUrl::parse(&text) {
            Ok(url) => url.0,
            Err(_) => text,
        }
    }

    /// Whether two server texts name the same server once both are `canonical`.
    pub fn same(a: &str, b: &str) -> bool {
        Self::canonical(a) == Self::canonical(b)
    }
}

validated_string!(ServerUrl, ServerUrlError);

/// `text` without a `user:password@` in its authority, found textually so that it works on
/// text the URL parser refuses too.
fn without_userinfo(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised_once() {
        let cases = [
            ("https://example.com/api", "https://example.com/api"),
            ("https://example.com/api///", "https://example.com/api"),
            ("  HTTPS://Example.COM/api/  ", "https://example.com/api"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("https://example.com:443/api", "https://example.com/api"),
            (
                "https://example.com/Some/API",
                "https://example.com/Some/API",
            ),
            (" LOCAL ", "local"),
        ];
        for (text, normal) in cases {
            assert_eq!(ServerUrl::parse(text).unwrap(), normal, "{text}");
        }
        assert!(ServerUrl::parse("local").unwrap().is_local());
        assert!(ServerUrl::parse("https://x/api/").unwrap().is_api_base());
        assert!(!ServerUrl::parse("https://x/").unwrap().is_api_base());
    }

    #[test]
    fn what_cannot_be_a_server_is_refused_with_its_reason() {
        let problem = |text: &str| ServerUrl::parse(text).unwrap_err().problem;
        assert_eq!(problem("ftp://x/api"), ServerUrlProblem::Scheme);
        assert_eq!(
            problem("https://x/api?a=1"),
            ServerUrlProblem::QueryOrFragment
        );
        assert_eq!(
            problem("https://x/api#top"),
            ServerUrlProblem::QueryOrFragment
        );
        assert_eq!(
            problem("https://me:pw@x/api"),
            ServerUrlProblem::Credentials
        );
        assert!(matches!(
            problem("not a url"),
            ServerUrlProblem::Unparsable(_)
        ));
        assert!(matches!(problem(""), ServerUrlProblem::Unparsable(_)));
    }

    #[test]
    fn errors_never_show_credentials() {
        for text in ["https://me:s3cret@x/api", "htt ps://me:s3cret@x/api"] {
            let error = ServerUrl::parse(text).unwrap_err();
            assert!(!error.to_string().contains("s3cret"), "{error}");
        }
        // What is shown still names the server the user meant: port and path kept.
        let error = ServerUrl::parse("http://me:s3cret@localhost:8080/api").unwrap_err();
        assert_eq!(error.url, "http://localhost:8080/api");
        assert_eq!(error.problem, ServerUrlProblem::Credentials);
        assert_eq!(
            ServerUrl::canonical("https://bot:s3cret@DG.example.com/api/"),
            "https://dg.example.com/api"
        );
    }

    #[test]
    fn the_same_server_compares_equal_however_it_was_written() {
        assert!(ServerUrl::same(
            "https://A.example/api/",
            "https://a.example/api"
        ));
        assert!(ServerUrl::same("local", " Local"));
        assert!(!ServerUrl::same(
            "https://a.example/api",
            "https://b.example/api"
        ));
        assert!(!ServerUrl::same(
            "https://a.example/api",
            "https://a.example/API"
        ));
        assert!(ServerUrl::same("not a url", " not a url "));
    }
}
