//! The typed async Datagrok REST client: one method per route of `datagrok-api.md`. It is one
//! of the two side-effect seams of grokform (with `state`), so everything about talking HTTP
//! lives here: Bearer auth, `:`→`.` and percent-encoding, the `ApiError`-on-200 convention,
//! timeouts, and which requests may be retried (only those that are safe to repeat).

mod answers;
mod api_error;
mod api_key;
mod error;
mod names;
mod retry;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, Once};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde_json::Value;

pub use answers::{DashboardInfo, Health, ShareOutcome, TableInfo};
pub use api_key::{API_KEY_ENV, ApiKey};
pub use error::ClientError;
pub use names::{encode_segment, file_path_segments, grok_name_segment};

use crate::model::Access;

/// Called with the number of bytes of an upload sent so far (restarting from 0 on a retry).
pub type Progress = Option<Arc<dyn Fn(u64) + Send + Sync>>;

/// Timeouts and the retry policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Whole-request limit for JSON calls (Datagrok's own CLI uses 60 s).
    pub timeout_json: Duration,
    /// Whole-request limit for byte transfers: uploads and downloads (600 s). Uploads get one
    /// more second per MiB of the file on top.
    pub timeout_transfer: Duration,
    /// Limit for establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for requests that may be retried.
    pub retries: u32,
    /// First backoff ceiling; it doubles per retry.
    pub backoff_base: Duration,
    /// Largest backoff ceiling.
    pub backoff_max: Duration,
    /// Largest `Retry-After` honoured; longer ones are cut to this.
    pub retry_after_max: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout_json: Duration::from_secs(60),
            timeout_transfer: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(10),
            retries: 4,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            retry_after_max: Duration::from_secs(60),
        }
    }
}

/// A Datagrok API client. Cloning is cheap (an `Arc` inside) and clones share connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
    options: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("key", &self.inner.key)
            .finish()
    }
}

/// What a request carries.
enum Payload<'a> {
    Empty,
    Json(Vec<u8>),
    /// Streamed from disk; the file is reopened for each attempt.
    File {
        path: &'a Path,
        content_type: &'static str,
        progress: &'a Progress,
    },
}

/// One logical request (possibly several attempts).
struct Call<'a> {
    method: Method,
    /// `/public/v1/…`, encoded, without the query.
    route: String,
    query: Option<String>,
    payload: Payload<'a>,
    /// Safe to repeat after it may have reached the server.
    idempotent: bool,
    /// A byte transfer (the long timeout applies).
    transfer: bool,
}

impl Call<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.route)
    }
}

/// A 2xx-or-not answer that passed the `ApiError` check.
struct Answer {
    status: u16,
    body: Bytes,
    content_type: Option<String>,
    /// The `api-error` header, when present.
    api_error: Option<String>,
}

static INSTALL_PROVIDER: Once = Once::new();

impl Client {
    /// A client for the API at `base_url` (e.g. `https://datagrok.example.com/api`; trailing
    /// slashes are dropped). Installs rustls' ring crypto provider once per process.
    pub fn new(base_url: &str, key: ApiKey, options: ClientOptions) -> Result<Client, ClientError> {
        let base = normalise_base_url(base_url)?;
        INSTALL_PROVIDER.call_once(|| {
            // Already installed by someone else is fine: any provider will do.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("grokform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| ClientError::Network {
                url: base.clone(),
                source,
                may_have_committed: false,
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                key,
                options,
            }),
        })
    }

    /// The normalised base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The options in force.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Probes the server before planning against it: a wrong URL (nothing answers, or HTML
    /// answers), a refused key and a non-Datagrok JSON answer each give one clear error.
    pub async fn healthcheck(&self) -> Result<Health, ClientError> {
        let call = Call {
            method: Method::GET,
            route: "/public/v1/healthcheck".into(),
            query: None,
            payload: Payload::Empty,
            idempotent: true,
            transfer: false,
        };
        let answer = match self.execute(&call).await {
            Ok(answer) => answer,
            // An unknown route (the web UI, a proxy) is a wrong URL; a gateway's 5xx page is not.
            Err(ClientError::Http {
                status,
                body_excerpt,
                ..
            }) if status == 404 || (status < 500 && body_excerpt == HTML_EXCERPT) => {
                return Err(ClientError::NotDatagrok {
                    url: self.inner.base.clone(),
                    detail: format!("the healthcheck route answered HTTP {status}"),
                });
            }
            Err(other) => return Err(other),
        };
        let value = self.json(&call, &answer)?;
        answers::health(&value).ok_or_else(|| ClientError::NotDatagrok {
            url: self.inner.base.clone(),
            detail: "the healthcheck answer has no `status`".into(),
        })
    }

    /// Uploads `source` to `path` inside `connector`, streamed from disk. Replaces an existing
    /// file. Retried (the upload is idempotent).
    pub async fn upload_file(
        &self,
        connector: &str,
        path: &str,
        source: &Path,
        progress: Progress,
    ) -> Result<(), ClientError> {
        let call = Call {
            method: Method::POST,
            route: file_route(connector, path)?,
            query: None,
            payload: Payload::File {
                path: source,
                content_type: "application/octet-stream",
                progress: &progress,
            },
            idempotent: true,
            transfer: true,
        };
        self.execute(&call).await.map(|_| ())
    }

    /// Downloads a file; `None` when the server says it does not exist (a 404, or an
    /// `ApiError` saying "not found").
    pub async fn download_file(
        &self,
        connector: &str,
        path: &str,
    ) -> Result<Option<Bytes>, ClientError> {
        let call = Call {
            method: Method::GET,
            route: file_route(connector, path)?,
            query: None,
            payload: Payload::Empty,
            idempotent: true,
            transfer: true,
        };
        match self.execute(&call).await {
            Ok(answer) => Ok(Some(answer.body)),
            Err(error) if is_not_found(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes a file. A file that is already gone counts as deleted (so a retried delete
    /// whose first attempt succeeded is not an error).
    pub async fn delete_file(&self, connector: &str, path: &str) -> Result<(), ClientError> {
        let call = Call {
            method: Method::DELETE,
            route: file_route(connector, path)?,
            query: None,
            payload: Payload::Empty,
            idempotent: true,
            transfer: false,
        };
        match self.execute(&call).await {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Uploads a CSV as the table `grok_name` (colon form), streamed from disk; replaces the
    /// data of an existing table of that name. Retried (idempotent).
    pub async fn upload_table(
        &self,
        grok_name: &str,
        source: &Path,
        progress: Progress,
    ) -> Result<TableInfo, ClientError> {
        let call = Call {
            method: Method::POST,
            route: format!("/public/v1/tables/{}", grok_name_segment(grok_name)?),
            query: None,
            payload: Payload::File {
                path: source,
                content_type: "text/csv; charset=utf-8",
                progress: &progress,
            },
            idempotent: true,
            transfer: true,
        };
        let answer = self.execute(&call).await?;
        let value = self.json(&call, &answer)?;
        answers::table_info(&value)
            .ok_or_else(|| unexpected(&call, "no `ID` in the answer", &value))
    }

    /// Downloads a table (by UUID or Grok name) as CSV.
    pub async fn download_table(&self, id_or_name: &str) -> Result<Bytes, ClientError> {
        let call = Call {
            method: Method::GET,
            route: format!("/public/v1/tables/{}", grok_name_segment(id_or_name)?),
            query: None,
            payload: Payload::Empty,
            idempotent: true,
            transfer: true,
        };
        Ok(self.execute(&call).await?.body)
    }

    /// Creates a dashboard holding `table_ids`, with an optional layout (JSON text). Every call
    /// creates a new dashboard, so it is never retried once the request may have reached the
    /// server; check `ClientError::may_have_committed` on failure.
    pub async fn create_dashboard(
        &self,
        name: &str,
        table_ids: &[String],
        layout: Option<&str>,
    ) -> Result<DashboardInfo, ClientError> {
        if table_ids.is_empty() {
            return Err(ClientError::BadName {
                name: name.to_string(),
                reason: "a dashboard needs at least one table".into(),
            });
        }
        let ids = table_ids
            .iter()
            .map(|id| {
                if id.is_empty() || id.contains(',') {
                    Err(ClientError::BadName {
                        name: id.clone(),
                        reason: "a table ID cannot be empty or contain `,`".into(),
                    })
                } else {
                    Ok(encode_segment(id))
                }
            })
            .collect::<Result<Vec<_>, _>>()?
            .join(",");
        let payload = match layout {
            Some(text) => {
                // Sent as-is, but it must be JSON: a broken layout would otherwise create a
                // dashboard the server may or may not have accepted half of.
                serde_json::from_str::<Value>(text).map_err(|e| ClientError::BadName {
                    name: name.to_string(),
                    reason: format!("its layout is not JSON: {e}"),
                })?;
                Payload::Json(text.as_bytes().to_vec())
            }
            None => Payload::Empty,
        };
        let call = Call {
            method: Method::POST,
            route: format!("/public/v1/dashboards/{}/{ids}", grok_name_segment(name)?),
            query: None,
            payload,
            idempotent: false,
            transfer: false,
        };
        let answer = self.execute(&call).await?;
        let value = self.json(&call, &answer)?;
        answers::dashboard_info(&value)
            .ok_or_else(|| unexpected(&call, "no `ID` in the answer", &value))
    }

    /// Shares an entity with groups. Uses `POST /entities/{id}/shares` and falls back to the
    /// older `GET /dashboards/{id}/shares` only when that answers 404. Retried (re-sharing is
    /// harmless: it lands in `already_shared`).
    pub async fn share(
        &self,
        entity_id: &str,
        groups: &[String],
        access: Access,
    ) -> Result<ShareOutcome, ClientError> {
        if groups.is_empty() {
            return Ok(ShareOutcome {
                status: "success".into(),
                ..ShareOutcome::default()
            });
        }
        for group in groups {
            if group.is_empty() || group.contains(',') {
                return Err(ClientError::BadName {
                    name: group.clone(),
                    reason: "a group name cannot be empty or contain `,`".into(),
                });
            }
        }
        let query = format!(
            "groups={}&access={}",
            groups
                .iter()
                .map(|g| encode_segment(g))
                .collect::<Vec<_>>()
                .join(","),
            access.as_str()
        );
        let id = encode_segment(entity_id);
        let current = Call {
            method: Method::POST,
            route: format!("/public/v1/entities/{id}/shares"),
            query: Some(query.clone()),
            payload: Payload::Empty,
            idempotent: true,
            transfer: false,
        };
        let older = Call {
            method: Method::GET,
            route: format!("/public/v1/dashboards/{id}/shares"),
            query: Some(query),
            payload: Payload::Empty,
            idempotent: true,
            transfer: false,
        };
        let (call, answer) = self.execute_or_older(current, older).await?;
        let value = self.json(&call, &answer)?;
        answers::share_outcome(&value)
            .ok_or_else(|| unexpected(&call, "no `status` in the answer", &value))
    }

    /// Calls a server function (`Package:Function`, or a bare core function) with named
    /// parameters and returns its result as JSON. Uses `/functions/{name}/call` and falls back
    /// to the older `/{name}/call` only on a 404. Never retried once it may have reached the
    /// server.
    pub async fn call_function(
        &self,
        name: &str,
        params: &serde_json::Map<String, Value>,
    ) -> Result<Value, ClientError> {
        let segment = grok_name_segment(name)?;
        let body = serde_json::to_vec(params).expect("a JSON map serialises");
        let current = Call {
            method: Method::POST,
            route: format!("/public/v1/functions/{segment}/call"),
            query: None,
            payload: Payload::Json(body.clone()),
            idempotent: false,
            transfer: false,
        };
        let older = Call {
            method: Method::POST,
            route: format!("/public/v1/{segment}/call"),
            query: None,
            payload: Payload::Json(body),
            idempotent: false,
            transfer: false,
        };
        let (call, answer) = self.execute_or_older(current, older).await?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        self.json(&call, &answer)
    }

    /// Sends `call`, retrying what may be retried, and returns a 2xx answer that is not an
    /// `ApiError`; everything else becomes the matching `ClientError`.
    /// Sends `current`; only when the server answers a plain 404 (the route does not exist
    /// there, not an ApiError) sends the documented `older` form instead.
    async fn execute_or_older<'a>(
        &self,
        current: Call<'a>,
        older: Call<'a>,
    ) -> Result<(Call<'a>, Answer), ClientError> {
        match self.execute(&current).await {
            Ok(answer) => Ok((current, answer)),
            Err(error)
                if error.status() == Some(404) && !matches!(error, ClientError::Api { .. }) =>
            {
                let answer = self.execute(&older).await?;
                Ok((older, answer))
            }
            Err(error) => Err(error),
        }
    }

    async fn execute(&self, call: &Call<'_>) -> Result<Answer, ClientError> {
        let options = &self.inner.options;
        let mut attempt = 0u32;
        loop {
            let can_retry = attempt < options.retries;
            match self.attempt(call).await {
                Ok(answer) => {
                    if call.idempotent
                        && can_retry
                        && retry::is_retryable_status(answer.answer.status)
                    {
                        let wait = retry::delay(options, attempt, answer.retry_after);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return self.check(call, answer.answer);
                }
                Err(failure) => {
                    // A connect error proves nothing was sent: even a create may be retried.
                    if can_retry && (call.idempotent || !failure.sent) && failure.retryable {
                        tokio::time::sleep(retry::delay(options, attempt, None)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(failure.error);
                }
            }
        }
    }

    /// One attempt: build, send, read the whole answer.
    async fn attempt(&self, call: &Call<'_>) -> Result<RawAnswer, Failure> {
        let options = &self.inner.options;
        let url = match &call.query {
            Some(query) => format!("{}{}?{query}", self.inner.base, call.route),
            None => format!("{}{}", self.inner.base, call.route),
        };
        let mut timeout = if call.transfer {
            options.timeout_transfer
        } else {
            options.timeout_json
        };
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.inner.key.expose()))
            .expect("ApiKey::new rejects characters a header cannot hold");
        auth.set_sensitive(true);
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), &url)
            .header(AUTHORIZATION, auth)
            .timeout(timeout);
        request = match &call.payload {
            Payload::Empty if call.method == Method::POST => request.body(Vec::new()),
            Payload::Empty => request,
            Payload::Json(bytes) => request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Payload::File {
                path,
                content_type,
                progress,
            } => {
                let (body, len) = file_body(path, (*progress).clone())
                    .await
                    .map_err(|error| Failure {
                        error,
                        sent: false,
                        retryable: false,
                    })?;
                timeout += Duration::from_secs(len / (1 << 20) * SECONDS_PER_MIB);
                request
                    .header(CONTENT_TYPE, *content_type)
                    .header(CONTENT_LENGTH, len)
                    .timeout(timeout)
                    .body(body)
            }
        };
        let response = request
            .send()
            .await
            .map_err(|e| self.failure(call, e, timeout))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.failure(call, e, timeout))?;
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, options.retry_after_max));
        let api_error = headers
            .get("api-error")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(RawAnswer {
            retry_after,
            answer: Answer {
                status,
                body,
                content_type,
                api_error,
            },
        })
    }

    /// Classifies a transport failure.
    fn failure(&self, call: &Call<'_>, error: reqwest::Error, timeout: Duration) -> Failure {
        let sent = !error.is_connect();
        let ambiguous = sent && !call.idempotent;
        let error = if error.is_timeout() && !error.is_connect() {
            ClientError::Timeout {
                request: call.label(),
                after: timeout,
                may_have_committed: ambiguous,
            }
        } else {
            ClientError::Network {
                url: self.inner.base.clone(),
                source: error.without_url(),
                may_have_committed: ambiguous,
            }
        };
        Failure {
            error,
            sent,
            retryable: true,
        }
    }

    /// Turns a final answer into success or the matching error.
    fn check(&self, call: &Call<'_>, answer: Answer) -> Result<Answer, ClientError> {
        let status = answer.status;
        let ambiguous = !call.idempotent && status >= 500;
        if status == 401 {
            return Err(ClientError::Unauthorized {
                url: self.inner.base.clone(),
                status,
            });
        }
        if let Some(found) = api_error::detect(answer.api_error.as_deref(), &answer.body) {
            return Err(ClientError::Api {
                status,
                message: self.redact(&found.message),
                error_code: found.error_code,
                request: call.label(),
                may_have_committed: ambiguous,
            });
        }
        if status == 403 {
            return Err(ClientError::Unauthorized {
                url: self.inner.base.clone(),
                status,
            });
        }
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        Err(ClientError::Http {
            status,
            body_excerpt: self.redact(&excerpt(&answer.body)),
            request: call.label(),
            may_have_committed: ambiguous,
        })
    }

    /// The answer's body as JSON; HTML or other text where JSON belongs means the URL does not
    /// lead to the API.
    fn json(&self, call: &Call<'_>, answer: &Answer) -> Result<Value, ClientError> {
        match serde_json::from_slice::<Value>(&answer.body) {
            Ok(value) => Ok(value),
            Err(_) => Err(ClientError::NotDatagrok {
                url: self.inner.base.clone(),
                detail: format!(
                    "`{}` answered {} instead of JSON",
                    call.label(),
                    if looks_like_html(&answer.body)
                        || answer
                            .content_type
                            .as_deref()
                            .is_some_and(|c| c.contains("html"))
                    {
                        "an HTML page"
                    } else {
                        "text"
                    }
                ),
            }),
        }
    }

    /// Removes the key from server-provided text (a misbehaving proxy might echo headers).
    fn redact(&self, text: &str) -> String {
        text.replace(self.inner.key.expose(), "***")
    }
}

/// An answer before the `ApiError` check, with what the retry logic needs.
struct RawAnswer {
    retry_after: Option<Duration>,
    answer: Answer,
}

/// A transport failure and whether the request may have been sent.
struct Failure {
    error: ClientError,
    sent: bool,
    retryable: bool,
}

/// Validates and normalises the base URL (`ServerUrl`): `http(s)`, no credentials, no query,
/// no trailing `/`; `local` is the caller's to start, not a URL.
fn normalise_base_url(base_url: &str) -> Result<String, ClientError> {
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

/// `/public/v1/files/{connector}/{path}`.
fn file_route(connector: &str, path: &str) -> Result<String, ClientError> {
    Ok(format!(
        "/public/v1/files/{}/{}",
        grok_name_segment(connector)?,
        file_path_segments(path)?
    ))
}

/// A body that streams `path` from disk in 64 KiB chunks, reporting progress, and its length.
async fn file_body(path: &Path, progress: Progress) -> Result<(reqwest::Body, u64), ClientError> {
    let io = |source| ClientError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(io)?;
    let len = file.metadata().await.map_err(io)?.len();
    let mut sent = 0u64;
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
        if let (Ok(bytes), Some(report)) = (&chunk, &progress) {
            sent += bytes.len() as u64;
            report(sent);
        }
        chunk
    });
    Ok((reqwest::Body::wrap_stream(stream), len))
}

/// The server says the thing does not exist.
fn is_not_found(error: &ClientError) -> bool {
    match error {
        ClientError::Http { status: 404, .. } => true,
        ClientError::Api {
            status,
            message,
            error_code,
            ..
        } => {
            *status == 404
                || error_code
                    .as_deref()
                    .is_some_and(|c| c == "404" || c.eq_ignore_ascii_case("NotFound"))
                || message.to_lowercase().contains("not found")
        }
        _ => false,
    }
}

/// What an HTML error page is shown as (its markup says nothing useful).
const HTML_EXCERPT: &str = "an HTML page";

/// Transfers get this much extra time per MiB on top of `timeout_transfer`, so a large upload
/// on a slow link is not cut off at a fixed ten minutes (1 MiB/s is the slowest link planned
/// for).
const SECONDS_PER_MIB: u64 = 1;

fn looks_like_html(body: &[u8]) -> bool {
    let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_lowercase();
    let start = start.trim_start();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.contains("<body")
}

/// At most 200 characters of a body, whitespace collapsed; an HTML page is named as such.
fn excerpt(body: &[u8]) -> String {
    if looks_like_html(body) {
        return HTML_EXCERPT.into();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "an empty answer".into();
    }
    let mut out: String = collapsed.chars().take(200).collect();
    if collapsed.chars().count() > 200 {
        out.push('…');
    }
    format!("\"{out}\"")
}

fn unexpected(call: &Call<'_>, detail: &str, value: &Value) -> ClientError {
    let mut shown = value.to_string();
    if shown.len() > 200 {
        shown = shown.chars().take(200).collect::<String>() + "…";
    }
    ClientError::Unexpected {
        request: call.label(),
        detail: format!("{detail}: {shown}"),
        may_have_committed: !call.idempotent,
    }
}
