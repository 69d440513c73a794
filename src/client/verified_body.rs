//! An upload body that checks, in the same read that sends it, that the bytes are the ones the
//! plan hashed. The plan records the SHA-256 of each source; if the file changed between the
//! plan (or the apply's own read of the model) and the upload, recording that hash for what
//! was actually sent would make the state lie. Hashing before sending would read a large
//! source twice, so the body hashes what it streams and holds back its last chunk until the
//! hash is known: a mismatch ends the body with an error instead of that chunk, the request
//! is cut short (fewer bytes than its `Content-Length`), and the server, which only stores an
//! upload it received whole, stores nothing.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::Progress;

/// What the bytes of an upload must be: the size and SHA-256 the plan recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// How the source differs from what the plan hashed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("it has {found} bytes where the plan hashed {expected}")]
    Size { expected: u64, found: u64 },
    #[error("its content hashes to {found} where the plan hashed {expected}")]
    Content { expected: String, found: String },
}

/// Where the body leaves its verdict for the sender, which only sees a transport error when
/// the body ends early.
#[derive(Clone, Default)]
pub(super) struct Verdict(Arc<Mutex<Option<Mismatch>>>);

impl Verdict {
    fn set(&self, mismatch: Mismatch) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(mismatch);
    }

    /// The mismatch the body found, if it found one.
    pub fn take(&self) -> Option<Mismatch> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// The source must still have the size the plan hashed before anything is sent.
pub(super) fn check_size(expected: &Expected, found: u64) -> Result<(), Mismatch> {
    if found == expected.size {
        Ok(())
    } else {
        Err(Mismatch::Size {
            expected: expected.size,
            found,
        })
    }
}

/// State of the verifying stream between two chunks.
struct Verifying<S> {
    inner: S,
    expected: Expected,
    verdict: Verdict,
    hasher: Sha256,
    read: u64,
    /// The last chunk read, sent once the next one (or a verified end) is in.
    held: Option<Bytes>,
    progress: Progress,
    sent: u64,
    done: bool,
}

impl<S> Verifying<S> {
    fn fail(&mut self, mismatch: Mismatch) -> io::Error {
        self.done = true;
        self.held = None;
        let error = io::Error::other(mismatch.to_string());
        self.verdict.set(mismatch);
        error
    }

    fn release(&mut self, chunk: Bytes) -> Bytes {
        self.sent += chunk.len() as u64;
        if let Some(report) = &self.progress {
            report(self.sent);
        }
        chunk
    }
}

/// Wraps `chunks` (a file read in order) so that it yields them one behind, and ends with an
/// error (the verdict set) instead of the last chunk when the whole does not match `expected`.
pub(super) fn verified<S>(
    chunks: S,
    expected: Expected,
    progress: Progress,
    verdict: Verdict,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static
where
    S: Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
{
    let state = Verifying {
        inner: chunks,
        expected,
        verdict,
        hasher: Sha256::new(),
        read: 0,
        held: None,
        progress,
        sent: 0,
        done: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        loop {
            match state.inner.next().await {
                Some(Ok(chunk)) => {
                    state.hasher.update(&chunk);
                    state.read += chunk.len() as u64;
                    if state.read > state.expected.size {
                        let error = state.fail(Mismatch::Size {
                            expected: state.expected.size,
                            found: state.read,
                        });
                        return Some((Err(error), state));
                    }
                    if let Some(previous) = state.held.replace(chunk) {
                        let previous = state.release(previous);
                        return Some((Ok(previous), state));
                    }
                }
                Some(Err(error)) => {
                    state.done = true;
                    return Some((Err(error), state));
                }
                None => {
                    state.done = true;
                    let found = hex(&std::mem::take(&mut state.hasher).finalize());
                    let mismatch = if state.read != state.expected.size {
                        Some(Mismatch::Size {
                            expected: state.expected.size,
                            found: state.read,
                        })
                    } else if found != state.expected.sha256 {
                        Some(Mismatch::Content {
                            expected: state.expected.sha256.clone(),
                            found,
                        })
                    } else {
                        None
                    };
                    if let Some(mismatch) = mismatch {
                        let error = state.fail(mismatch);
                        return Some((Err(error), state));
                    }
                    let last = state.held.take()?;
                    let last = state.release(last);
                    return Some((Ok(last), state));
                }
            }
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The error a mismatch becomes: the upload was cut short, so the server stored nothing.
pub(super) fn changed(path: &Path, mismatch: Mismatch) -> super::ClientError {
    super::ClientError::SourceChanged {
        path: PathBuf::from(path),
        mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    fn expected(content: &[u8]) -> Expected {
        Expected {
            size: content.len() as u64,
            sha256: hex(&Sha256::digest(content)),
        }
    }

    async fn collect(
        stream: impl Stream<Item = io::Result<Bytes>>,
    ) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(bytes) => out.extend_from_slice(&bytes),
                Err(error) => return (out, Some(error)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn matching_bytes_pass_whole_with_progress() {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let progress: Progress = Some(Arc::new(move |n| seen.lock().unwrap().push(n)));
        let verdict = Verdict::default();
        let stream = verified(
            chunks(&[b"a,b\n", b"1,2\n", b"3,4\n"]),
            expected(b"a,b\n1,2\n3,4\n"),
            progress,
            verdict.clone(),
        );
        let (bytes, error) = collect(stream).await;
        assert_eq!(bytes, b"a,b\n1,2\n3,4\n");
        assert!(error.is_none());
        assert_eq!(verdict.take(), None);
        assert_eq!(*sent.lock().unwrap(), [4, 8, 12]);
    }

    #[tokio::test]
    async fn changed_content_withholds_the_last_chunk() {
        let verdict = Verdict::default();
        let stream = verified(
            chunks(&[b"a,b\n", b"1,2\n", b"3,5\n"]),
            expected(b"a,b\n1,2\n3,4\n"),
            None,
            verdict.clone(),
        );
        let (bytes, error) = collect(stream).await;
        // Never the whole body: the server sees it cut short.
        assert_eq!(bytes, b"a,b\n1,2\n");
        assert!(error.is_some());
        assert!(matches!(verdict.take(), Some(Mismatch::Content { .. })));
    }

    #[tokio::test]
    async fn a_grown_or_shrunk_source_is_a_size_mismatch() {
        let verdict = Verdict::default();
        let (bytes, error) = collect(verified(
            chunks(&[b"a,b\n", b"1,2\n", b"3,4\n"]),
            expected(b"a,b\n1,2\n"),
            None,
            verdict.clone(),
        ))
        .await;
        assert!(bytes.len() < 8 && error.is_some());
        assert_eq!(
            verdict.take(),
            Some(Mismatch::Size {
                expected: 8,
                found: 12
            })
        );
        let (bytes, error) = collect(verified(
            chunks(&[b"a,b\n"]),
            expected(b"a,b\n1,2\n"),
            None,
            verdict.clone(),
        ))
        .await;
        assert!(bytes.is_empty() && error.is_some());
        assert_eq!(
            verdict.take(),
            Some(Mismatch::Size {
                expected: 8,
                found: 4
            })
        );
        assert_eq!(check_size(&expected(b"ab"), 2), Ok(()));
        assert!(check_size(&expected(b"ab"), 3).is_err());
    }

    #[tokio::test]
    async fn an_empty_source_that_matches_sends_nothing() {
        let verdict = Verdict::default();
        let (bytes, error) =
            collect(verified(chunks(&[]), expected(b""), None, verdict.clone())).await;
        assert!(bytes.is_empty() && error.is_none());
        assert_eq!(verdict.take(), None);
    }
}
