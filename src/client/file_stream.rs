//! Reading an upload's source for the request body on a thread of its own. Measured on a
//! 256 MiB upload to the emulator, `tokio::fs` behind a 64 KiB `ReaderStream` took 1.3-1.8x
//! as long as `curl -T` to deliver the body: every 64 KiB read was a round trip to the
//! blocking pool (about 13,500 context switches) plus a copy, and SHA-256 ran on the task that
//! writes to the socket, so reading, hashing and sending took turns. Here one blocking thread
//! reads with plain `std::fs` reads and hashes (`verified_body`) a few chunks ahead of the
//! socket, while the connection's task only writes: the hash runs beside the send, and memory
//! stays bounded by about `CHUNK * (AHEAD + 2)` whatever the file's size.

use std::fs::File;
use std::io::{self, Read};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use super::Progress;
use super::verified_body::{Expected, Verdict, Verifier};

/// Bytes per read and per body chunk. Measured (time for the emulator to receive 256 MiB,
/// medians of 5): 64 KiB chunks 557 ms, 256 KiB 364 ms, 1 MiB 393 ms (curl -T 318 ms on that
/// quiet-ish run); 1 MiB only added ~6 MiB of peak RSS.
pub(super) const CHUNK: usize = 256 * 1024;

/// Chunks read ahead of the socket. One would make reading wait for each write; a few
/// absorb the jitter of two threads sharing the cores with the server.
const AHEAD: usize = 4;

/// Streams `file` (`len` bytes, opened by the caller) as a request body. With `expected`,
/// the bytes are hashed as they are read and the last chunk is released only once the whole
/// matches it; otherwise the body ends with an error and `verdict` says why.
pub(super) fn stream(
    file: File,
    expected: Option<Expected>,
    progress: Progress,
    verdict: Verdict,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (sender, receiver) = mpsc::channel(AHEAD);
    // The request owns the receiver: when it is dropped (a timeout, a cancelled run), the
    // next send fails and the thread stops reading.
    tokio::task::spawn_blocking(move || pump(file, expected, progress, verdict, &sender));
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// Reads `file` to its end in [`CHUNK`]s, through the verifier when there is one, into
/// `sender`. Stops at the first error, which is the last item sent.
fn pump(
    mut file: File,
    expected: Option<Expected>,
    progress: Progress,
    verdict: Verdict,
    sender: &mpsc::Sender<io::Result<Bytes>>,
) {
    let mut verifier = expected.map(|expected| Verifier::new(expected, verdict));
    let mut sent = 0u64;
    let mut send = |chunk: Bytes| -> bool {
        sent += chunk.len() as u64;
        if let Some(report) = &progress {
            report(sent);
        }
        sender.blocking_send(Ok(chunk)).is_ok()
    };
    loop {
        let chunk = match read_chunk(&mut file) {
            Ok(chunk) => chunk,
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
                return;
            }
        };
        let at_end = chunk.is_empty();
        let released = match (&mut verifier, at_end) {
            (None, true) => return,
            (None, false) => Ok(Some(chunk)),
            (Some(verifier), false) => verifier.push(chunk),
            (Some(verifier), true) => verifier.finish(),
        };
        match released {
            Ok(Some(chunk)) => {
                if !send(chunk) {
                    return;
                }
            }
            Ok(None) => {}
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
                return;
            }
        }
        if at_end {
            return;
        }
    }
}

/// Up to [`CHUNK`] bytes; empty at the end of the file. Fills the chunk across short reads so
/// the socket gets full-sized writes.
fn read_chunk(file: &mut File) -> io::Result<Bytes> {
    let mut buffer = Vec::with_capacity(CHUNK);
    // `take` bounds the read to the capacity, so the buffer never reallocates; `read_to_end`
    // reads into the spare capacity without zeroing it first.
    file.by_ref().take(CHUNK as u64).read_to_end(&mut buffer)?;
    Ok(Bytes::from(buffer))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the tests write their sources to a temp dir
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::StreamExt;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::client::verified_body::Mismatch;

    fn source(content: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.csv");
        std::fs::write(&path, content).unwrap();
        let file = File::open(&path).unwrap();
        (dir, file)
    }

    fn expected(content: &[u8]) -> Expected {
        let digest = Sha256::digest(content);
        Expected {
            size: content.len() as u64,
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    async fn collect(
        stream: impl Stream<Item = io::Result<Bytes>>,
    ) -> (Vec<u8>, usize, Option<io::Error>) {
        let mut out = Vec::new();
        let mut chunks = 0;
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(bytes) => {
                    assert!(bytes.len() <= CHUNK);
                    out.extend_from_slice(&bytes);
                    chunks += 1;
                }
                Err(error) => return (out, chunks, Some(error)),
            }
        }
        (out, chunks, None)
    }

    /// Several chunks and a short last one: 2.5 chunks of varied bytes.
    fn content() -> Vec<u8> {
        (0..CHUNK * 5 / 2).map(|i| (i % 251) as u8).collect()
    }

    #[tokio::test]
    async fn streams_a_matching_file_whole_in_full_chunks_with_progress() {
        let content = content();
        let (_dir, file) = source(&content);
        let reported = Arc::new(Mutex::new(Vec::new()));
        let seen = reported.clone();
        let progress: Progress = Some(Arc::new(move |n| seen.lock().unwrap().push(n)));
        let verdict = Verdict::default();
        let body = stream(file, Some(expected(&content)), progress, verdict.clone());
        let (bytes, chunks, error) = collect(body).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(bytes, content);
        assert_eq!(chunks, 3);
        assert_eq!(verdict.take(), None);
        let whole = CHUNK as u64;
        assert_eq!(
            *reported.lock().unwrap(),
            [whole, 2 * whole, content.len() as u64]
        );
    }

    #[tokio::test]
    async fn a_changed_file_never_sends_its_last_chunk() {
        let content = content();
        let mut changed = content.clone();
        *changed.last_mut().unwrap() ^= 1;
        let (_dir, file) = source(&changed);
        let verdict = Verdict::default();
        let body = stream(file, Some(expected(&content)), None, verdict.clone());
        let (bytes, _, error) = collect(body).await;
        assert!(error.is_some());
        assert_eq!(bytes.len(), 2 * CHUNK, "the last chunk was withheld");
        assert!(matches!(verdict.take(), Some(Mismatch::Content { .. })));
    }

    #[tokio::test]
    async fn without_expected_bytes_it_streams_the_file_as_it_is() {
        let content = content();
        let (_dir, file) = source(&content);
        let (bytes, _, error) = collect(stream(file, None, None, Verdict::default())).await;
        assert!(error.is_none());
        assert_eq!(bytes, content);
        let (_dir, empty) = source(b"");
        let (bytes, chunks, error) = collect(stream(empty, None, None, Verdict::default())).await;
        assert!(bytes.is_empty() && chunks == 0 && error.is_none());
    }

    #[tokio::test]
    async fn a_dropped_body_stops_the_reader() {
        // More chunks than are ever read ahead of the socket.
        let content: Vec<u8> = vec![b'x'; CHUNK * (AHEAD + 4)];
        let (_dir, file) = source(&content);
        let reported = Arc::new(Mutex::new(Vec::new()));
        let seen = reported.clone();
        let progress: Progress = Some(Arc::new(move |n| seen.lock().unwrap().push(n)));
        drop(stream(file, None, progress, Verdict::default()));
        // The reader holds the progress callback until it returns.
        let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while Arc::strong_count(&reported) > 1 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await;
        assert!(stopped.is_ok(), "the reader is still running");
        // It stopped at its first send into the closed channel, not at the end of the file.
        assert!(reported.lock().unwrap().len() <= AHEAD + 1);
    }
}
