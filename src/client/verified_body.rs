//! An upload body that checks, in the same read that sends it, that the bytes are the ones the
//! plan hashed. The plan records the SHA-256 of each source; if the file changed between the
//! plan (or the apply's own read of the model) and the upload, recording that hash for what
//! was actually sent would make the state lie. Hashing before sending would read a large
//! source twice, so the body hashes what it streams and holds back its last chunk until the
//! hash is known (the reading and hashing run in `file_stream`, on a thread beside the send): a mismatch ends the body with an error instead of that chunk, the request
//! is cut short (fewer bytes than its `Content-Length`), and the server, which only stores an
//! upload it received whole, stores nothing.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sha2::{Digest, Sha256};

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

/// Checks an upload's bytes as they are read, one chunk behind: each chunk is hashed when it
/// comes in and released when the next one does, so the last one is still held when the
/// end of the file shows whether the whole matches.
pub(super) struct Verifier {
    expected: Expected,
    verdict: Verdict,
    hasher: Sha256,
    read: u64,
    /// The last chunk read, released once the next one (or a verified end) is in.
    held: Option<Bytes>,
}

impl Verifier {
    pub fn new(expected: Expected, verdict: Verdict) -> Self {
        Verifier {
            expected,
            verdict,
            hasher: Sha256::new(),
            read: 0,
            held: None,
        }
    }

    /// Takes the next chunk read; gives back the one before it, to send. A source that grew
    /// past the expected size fails at once.
    pub fn push(&mut self, chunk: Bytes) -> io::Result<Option<Bytes>> {
        self.hasher.update(&chunk);
        self.read += chunk.len() as u64;
        if self.read > self.expected.size {
            return Err(self.fail(Mismatch::Size {
                expected: self.expected.size,
                found: self.read,
            }));
        }
        Ok(self.held.replace(chunk))
    }

    /// The source ended: gives back the held chunk when the whole matches `expected`, an
    /// error (the verdict set, the chunk dropped) when it does not.
    pub fn finish(&mut self) -> io::Result<Option<Bytes>> {
        let found = hex(&std::mem::take(&mut self.hasher).finalize());
        let mismatch = if self.read != self.expected.size {
            Some(Mismatch::Size {
                expected: self.expected.size,
                found: self.read,
            })
        } else if found != self.expected.sha256 {
            Some(Mismatch::Content {
                expected: self.expected.sha256.clone(),
                found,
            })
        } else {
            None
        };
        match mismatch {
            Some(mismatch) => Err(self.fail(mismatch)),
            None => Ok(self.held.take()),
        }
    }

    fn fail(&mut self, mismatch: Mismatch) -> io::Error {
        self.held = None;
        let error = io::Error::other(mismatch.to_string());
        self.verdict.set(mismatch);
        error
    }
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

    fn expected(content: &[u8]) -> Expected {
        Expected {
            size: content.len() as u64,
            sha256: hex(&Sha256::digest(content)),
        }
    }

    /// Feeds `parts` to a verifier as a reader would; returns what it released to send and
    /// the error that ended it, if one did.
    fn run(parts: &[&'static [u8]], expected: Expected, verdict: &Verdict) -> (Vec<u8>, bool) {
        let mut verifier = Verifier::new(expected, verdict.clone());
        let mut sent = Vec::new();
        for part in parts {
            match verifier.push(Bytes::from_static(part)) {
                Ok(released) => sent.extend(released.into_iter().flatten()),
                Err(_) => return (sent, true),
            }
        }
        match verifier.finish() {
            Ok(last) => {
                sent.extend(last.into_iter().flatten());
                (sent, false)
            }
            Err(_) => (sent, true),
        }
    }

    #[test]
    fn matching_bytes_pass_whole() {
        let verdict = Verdict::default();
        let (bytes, failed) = run(
            &[b"a,b\n", b"1,2\n", b"3,4\n"],
            expected(b"a,b\n1,2\n3,4\n"),
            &verdict,
        );
        assert_eq!(bytes, b"a,b\n1,2\n3,4\n");
        assert!(!failed);
        assert_eq!(verdict.take(), None);
    }

    #[test]
    fn each_chunk_is_released_one_behind() {
        let mut verifier = Verifier::new(expected(b"ab"), Verdict::default());
        assert_eq!(verifier.push(Bytes::from_static(b"a")).unwrap(), None);
        assert_eq!(
            verifier.push(Bytes::from_static(b"b")).unwrap().as_deref(),
            Some(&b"a"[..])
        );
        assert_eq!(verifier.finish().unwrap().as_deref(), Some(&b"b"[..]));
    }

    #[test]
    fn changed_content_withholds_the_last_chunk() {
        let verdict = Verdict::default();
        let (bytes, failed) = run(
            &[b"a,b\n", b"1,2\n", b"3,5\n"],
            expected(b"a,b\n1,2\n3,4\n"),
            &verdict,
        );
        // Never the whole body: the server sees it cut short.
        assert_eq!(bytes, b"a,b\n1,2\n");
        assert!(failed);
        assert!(matches!(verdict.take(), Some(Mismatch::Content { .. })));
    }

    #[test]
    fn a_grown_or_shrunk_source_is_a_size_mismatch() {
        let verdict = Verdict::default();
        let (bytes, failed) = run(
            &[b"a,b\n", b"1,2\n", b"3,4\n"],
            expected(b"a,b\n1,2\n"),
            &verdict,
        );
        assert!(bytes.len() < 8 && failed);
        assert_eq!(
            verdict.take(),
            Some(Mismatch::Size {
                expected: 8,
                found: 12
            })
        );
        let (bytes, failed) = run(&[b"a,b\n"], expected(b"a,b\n1,2\n"), &verdict);
        assert!(bytes.is_empty() && failed);
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

    #[test]
    fn an_empty_source_that_matches_sends_nothing() {
        let verdict = Verdict::default();
        let (bytes, failed) = run(&[], expected(b""), &verdict);
        assert!(bytes.is_empty() && !failed);
        assert_eq!(verdict.take(), None);
    }
}
