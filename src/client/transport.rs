//! Sending a [`Request`]: authentication, deadlines, retries and the success check. Datagrok
//! reports many failures as HTTP 200 with an `ApiError` (an `api-error` header, or an
//! `ApiError` body, sometimes as a JSON string), so a 2xx is a success here only when it is
//! not one. Every failure is classified by what it says about the server having acted on the
//! request (see `retry`), so the caller never has to guess.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER,
};

use super::envelope::{Answer, excerpt};
use super::request::{Deadline, Payload, Request, file_body};
use super::retry::{self, Repeat, RetryAfter};
use super::verified_body;
use super::{Client, ClientError, api_error};

/// Transfers get this much extra time per MiB on top of `timeout_transfer`, so a large upload
/// on a slow link is not cut off at a fixed ten minutes (1 MiB/s is the slowest link planned
/// for).
const SECONDS_PER_MIB: u64 = 1;

/// An answer whose status and headers are in, its body not yet read.
struct Head {
    response: reqwest::Response,
    status: u16,
    retry_after: RetryAfter,
    api_error: Option<String>,
    content_type: Option<String>,
    /// The deadline this attempt ran under, for naming a timeout while reading the body.
    timeout: Duration,
}

/// A transport failure, with what the retry decision needs.
struct Failure {
    error: ClientError,
    /// The request may have reached the server.
    sent: bool,
    timed_out: bool,
    /// False for local problems (the file to upload cannot be read).
    retryable: bool,
}

impl Failure {
    fn may_retry(&self, request: &Request<'_>) -> bool {
        if !self.retryable {
            return false;
        }
        // Nothing reached the server: even a create may be sent again.
        if !self.sent {
            return true;
        }
        // A read that hit its deadline would most likely hang again.
        request.repeat == Repeat::Always && !(self.timed_out && request.deadline == Deadline::Read)
    }
}

/// A 2xx answer whose body is left to the caller to stream (a download, a multipart listing).
pub(super) struct Streamed {
    response: reqwest::Response,
    content_type: Option<String>,
    timeout: Duration,
}

impl Streamed {
    /// The answer's `Content-Type`.
    pub fn content_type(&self) -> Option<String> {
        self.content_type.clone()
    }
}

/// What [`Client::send_streaming`] got back: a body to stream, or a small answer read whole
/// (JSON, an empty 204).
pub(super) enum Received {
    Stream(Streamed),
    Whole(Answer),
}

impl Client {
    /// Sends `request`, retrying what may be retried, and returns a 2xx answer that is not an
    /// `ApiError`; everything else becomes the matching `ClientError`.
    pub(super) async fn send(&self, request: &Request<'_>) -> Result<Answer, ClientError> {
        let mut attempt = 0u32;
        loop {
            let head = self.respond(request, &mut attempt).await?;
            match head.response.bytes().await {
                Ok(body) => {
                    return self.check(
                        request,
                        head.status,
                        head.retry_after,
                        head.api_error,
                        head.content_type,
                        body,
                    );
                }
                Err(error) => {
                    let failure = self.failure(request, error, head.timeout);
                    if attempt < self.inner.options.retries && failure.may_retry(request) {
                        let wait = retry::delay(&self.inner.options, attempt, RetryAfter::Absent);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(failure.error);
                }
            }
        }
    }

    /// Like [`Client::send`], but a 2xx answer that is neither JSON nor HTML and carries no
    /// `api-error` header is handed back unread, to be streamed.
    pub(super) async fn send_streaming(
        &self,
        request: &Request<'_>,
    ) -> Result<Received, ClientError> {
        let mut attempt = 0u32;
        let head = self.respond(request, &mut attempt).await?;
        let small = head
            .content_type
            .as_deref()
            .is_some_and(|c| c.contains("json") || c.contains("html"));
        let empty = head.status == 204 || head.response.content_length() == Some(0);
        if (200..300).contains(&head.status) && head.api_error.is_none() && !small && !empty {
            return Ok(Received::Stream(Streamed {
                response: head.response,
                content_type: head.content_type,
                timeout: head.timeout,
            }));
        }
        let body = head
            .response
            .bytes()
            .await
            .map_err(|e| self.failure(request, e, head.timeout).error)?;
        let answer = self.check(
            request,
            head.status,
            head.retry_after,
            head.api_error,
            head.content_type,
            body,
        )?;
        Ok(Received::Whole(answer))
    }

    /// Feeds a streamed body to `each` chunk by chunk. A body small enough to be an
    /// `ApiError` is checked for one at the end (a server may send it without the header
    /// and as `text/plain`); only that much is ever kept in memory.
    pub(super) async fn stream_body(
        &self,
        request: &Request<'_>,
        streamed: Streamed,
        mut each: impl FnMut(&[u8]) -> Result<(), ClientError>,
    ) -> Result<(), ClientError> {
        let Streamed {
            mut response,
            timeout,
            ..
        } = streamed;
        let mut head = Vec::new();
        let mut total = 0usize;
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|e| self.failure(request, e, timeout).error)?;
            let Some(chunk) = chunk else { break };
            total += chunk.len();
            if total <= api_error::MAX_INSPECTED {
                head.extend_from_slice(&chunk);
            }
            each(&chunk)?;
        }
        if total <= api_error::MAX_INSPECTED
            && let Some(found) = api_error::parse_body(&head)
        {
            return Err(ClientError::Api {
                status: 200,
                message: self.redact(&found.message),
                error_code: found.error_code,
                request: request.label(),
                may_have_committed: false,
            });
        }
        Ok(())
    }

    /// Sends `current`; only when the server answers a plain 404 (the route does not exist
    /// there, not an `ApiError`) sends the documented `older` form instead.
    pub(super) async fn send_or_older<'a>(
        &self,
        current: Request<'a>,
        older: Request<'a>,
    ) -> Result<(Request<'a>, Answer), ClientError> {
        match self.send(&current).await {
            Ok(answer) => Ok((current, answer)),
            Err(ClientError::Http { status: 404, .. }) => {
                let answer = self.send(&older).await?;
                Ok((older, answer))
            }
            Err(error) => Err(error),
        }
    }

    /// Sends until an answer that is not to be retried comes back, or a failure that is
    /// not to be retried happens. `attempt` counts the tries made so far.
    async fn respond(&self, request: &Request<'_>, attempt: &mut u32) -> Result<Head, ClientError> {
        let options = &self.inner.options;
        loop {
            let can_retry = *attempt < options.retries;
            match self.attempt(request).await {
                Ok(head)
                    if can_retry
                        && retry::retries_status(request.repeat, head.status, head.retry_after) =>
                {
                    tokio::time::sleep(retry::delay(options, *attempt, head.retry_after)).await;
                    *attempt += 1;
                }
                Ok(head) => return Ok(head),
                Err(failure) if can_retry && failure.may_retry(request) => {
                    let wait = retry::delay(options, *attempt, RetryAfter::Absent);
                    tokio::time::sleep(wait).await;
                    *attempt += 1;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    /// One attempt: build, send, wait for the status and headers.
    async fn attempt(&self, request: &Request<'_>) -> Result<Head, Failure> {
        let options = &self.inner.options;
        let mut timeout = match request.deadline {
            Deadline::Write => options.timeout_json,
            Deadline::Read => options.timeout_read,
            Deadline::Transfer => options.timeout_transfer,
        };
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.inner.key.expose()))
            .expect("ApiKey::new rejects characters a header cannot hold");
        auth.set_sensitive(true);
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url(&self.inner.base))
            .header(AUTHORIZATION, auth);
        // Set for a verified upload: why its body was cut short, if it was.
        let mut checked_body = None;
        builder = match &request.payload {
            Payload::Empty if request.method == Method::POST => builder.body(Vec::new()),
            Payload::Empty => builder,
            Payload::Json(bytes) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Payload::File {
                path,
                content_type,
                progress,
                expected,
            } => {
                let (body, len, checked) = file_body(path, (*progress).clone(), *expected)
                    .await
                    .map_err(|error| Failure {
                        error,
                        sent: false,
                        timed_out: false,
                        retryable: false,
                    })?;
                checked_body = Some((*path, checked));
                timeout += Duration::from_secs(len / (1 << 20) * SECONDS_PER_MIB);
                builder
                    .header(CONTENT_TYPE, *content_type)
                    .header(CONTENT_LENGTH, len)
                    .body(body)
            }
        };
        let response = builder
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| match &checked_body {
                // The source changed under the upload: the body ended early, so the server
                // got less than its `Content-Length` and stored nothing. Not retried.
                Some((path, verdict)) => match verdict.take() {
                    Some(mismatch) => Failure {
                        error: verified_body::changed(path, mismatch),
                        sent: true,
                        timed_out: false,
                        retryable: false,
                    },
                    None => self.failure(request, e, timeout),
                },
                None => self.failure(request, e, timeout),
            })?;
        let headers = response.headers();
        let text = |name| header_text(headers, name);
        Ok(Head {
            status: response.status().as_u16(),
            retry_after: RetryAfter::parse(
                text(RETRY_AFTER.as_str()).as_deref(),
                options.retry_after_max,
            ),
            api_error: headers
                .get("api-error")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            content_type: text(CONTENT_TYPE.as_str()),
            timeout,
            response,
        })
    }

    /// Classifies a transport failure: never connected (nothing sent), timed out, or
    /// dropped after sending.
    fn failure(&self, request: &Request<'_>, error: reqwest::Error, timeout: Duration) -> Failure {
        let sent = !error.is_connect();
        let ambiguous = sent && request.repeat == Repeat::IfUnprocessed;
        let timed_out = error.is_timeout();
        let error = if !sent {
            ClientError::Network {
                url: self.inner.base.clone(),
                source: error.without_url(),
                may_have_committed: false,
            }
        } else if timed_out {
            ClientError::Timeout {
                request: request.label(),
                after: timeout,
                may_have_committed: ambiguous,
            }
        } else {
            ClientError::Dropped {
                request: request.label(),
                source: error.without_url(),
                may_have_committed: ambiguous,
            }
        };
        Failure {
            error,
            sent,
            timed_out,
            retryable: true,
        }
    }

    /// Turns a final answer into success or the matching error.
    fn check(
        &self,
        request: &Request<'_>,
        status: u16,
        retry_after: RetryAfter,
        api_error: Option<String>,
        content_type: Option<String>,
        body: bytes::Bytes,
    ) -> Result<Answer, ClientError> {
        let ambiguous = retry::is_ambiguous_status(request.repeat, status, retry_after);
        let unauthorized = || ClientError::Unauthorized {
            url: self.inner.base.clone(),
            status,
            request: request.label(),
        };
        if status == 401 {
            return Err(unauthorized());
        }
        if let Some(found) = api_error::detect(api_error.as_deref(), &body) {
            return Err(ClientError::Api {
                status,
                message: self.redact(&found.message),
                error_code: found.error_code,
                request: request.label(),
                may_have_committed: ambiguous,
            });
        }
        if status == 403 {
            return Err(unauthorized());
        }
        if (200..300).contains(&status) {
            return Ok(Answer {
                status,
                body,
                content_type,
            });
        }
        Err(ClientError::Http {
            status,
            body_excerpt: self.redact(&excerpt(&body)),
            request: request.label(),
            may_have_committed: ambiguous,
        })
    }

    /// Removes the key from server-provided text (a misbehaving proxy might echo headers).
    pub(super) fn redact(&self, text: &str) -> String {
        text.replace(self.inner.key.expose(), "***")
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
