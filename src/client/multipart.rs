//! A streaming reader for the `multipart/*` answer of the file sync route. Changed files come
//! with their content, which can be large, so parts are hashed as they stream by and only
//! the boundary-sized tail of the input is ever buffered, never a whole file.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use super::observed::{ContentDigest, FileStatus, SyncedFile};

/// The most header text one part may have; more is not a sync answer.
const MAX_HEADERS: usize = 64 * 1024;

/// Where the reader is in the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first boundary.
    Preamble,
    /// Just after a boundary: `--` ends the answer, a line break starts a part.
    AfterDelimiter,
    Headers,
    Body,
    End,
}

/// A part being read.
struct Part {
    name: String,
    status: FileStatus,
    etag: Option<String>,
    hasher: Sha256,
    bytes: u64,
}

/// Reads a multipart answer fed to it chunk by chunk.
pub(super) struct MultipartReader {
    /// `--` and the boundary.
    delimiter: Vec<u8>,
    buffer: Vec<u8>,
    state: State,
    part: Option<Part>,
    files: BTreeMap<String, SyncedFile>,
}

impl MultipartReader {
    /// A reader for an answer of `content_type` (`multipart/mixed; boundary=…`).
    pub fn new(content_type: &str) -> Result<Self, String> {
        let mut params = content_type.split(';');
        let kind = params
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !kind.starts_with("multipart/") {
            return Err(format!("expected a multipart answer, got `{kind}`"));
        }
        let boundary = params
            .filter_map(|p| p.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("boundary"))
            .map(|(_, value)| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
            .ok_or("the multipart answer names no boundary")?;
        Ok(MultipartReader {
            delimiter: [b"--", boundary.as_bytes()].concat(),
            buffer: Vec::new(),
            state: State::Preamble,
            part: None,
            files: BTreeMap::new(),
        })
    }

    /// Reads the next chunk of the answer.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.buffer.extend_from_slice(chunk);
        while self.step()? {}
        Ok(())
    }

    /// The files, once the whole answer was fed.
    pub fn finish(self) -> Result<BTreeMap<String, SyncedFile>, String> {
        if self.state != State::End {
            return Err("the multipart answer ended before its closing boundary".into());
        }
        Ok(self.files)
    }

    /// Makes one step of progress; false when more input is needed.
    fn step(&mut self) -> Result<bool, String> {
        let delimiter_len = self.delimiter.len();
        match self.state {
            State::Preamble => match find(&self.buffer, &self.delimiter) {
                Some(at) => {
                    self.buffer.drain(..at + delimiter_len);
                    self.state = State::AfterDelimiter;
                    Ok(true)
                }
                None => {
                    let keep = delimiter_len - 1;
                    let cut = self.buffer.len().saturating_sub(keep);
                    self.buffer.drain(..cut);
                    Ok(false)
                }
            },
            State::AfterDelimiter => {
                if self.buffer.len() < 2 {
                    return Ok(false);
                }
                if self.buffer.starts_with(b"--") {
                    self.state = State::End;
                    self.buffer.clear();
                    return Ok(true);
                }
                let Some(at) = find(&self.buffer, b"\r\n") else {
                    return if self.buffer.len() > 1024 {
                        Err("a multipart boundary line does not end".into())
                    } else {
                        Ok(false)
                    };
                };
                if !self.buffer[..at].iter().all(|b| *b == b' ' || *b == b'\t') {
                    return Err("text follows a multipart boundary".into());
                }
                self.buffer.drain(..at + 2);
                self.state = State::Headers;
                Ok(true)
            }
            State::Headers => {
                let (headers, consumed) = if self.buffer.starts_with(b"\r\n") {
                    (String::new(), 2)
                } else if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                    (
                        String::from_utf8_lossy(&self.buffer[..at]).into_owned(),
                        at + 4,
                    )
                } else if self.buffer.len() > MAX_HEADERS {
                    return Err("a multipart part has too much header text".into());
                } else {
                    return Ok(false);
                };
                self.buffer.drain(..consumed);
                self.part = Some(part_from_headers(&headers)?);
                self.state = State::Body;
                Ok(true)
            }
            State::Body => {
                let part = self.part.as_mut().expect("a body follows headers");
                let end = [b"\r\n", self.delimiter.as_slice()].concat();
                match find(&self.buffer, &end) {
                    Some(at) => {
                        part.hasher.update(&self.buffer[..at]);
                        part.bytes += at as u64;
                        self.buffer.drain(..at + end.len());
                        let part = self.part.take().expect("checked above");
                        self.files.insert(part.name.clone(), part.finish());
                        self.state = State::AfterDelimiter;
                        Ok(true)
                    }
                    None => {
                        // Everything but a tail that could be the start of the boundary.
                        let safe = self.buffer.len().saturating_sub(end.len() - 1);
                        part.hasher.update(&self.buffer[..safe]);
                        part.bytes += safe as u64;
                        self.buffer.drain(..safe);
                        Ok(false)
                    }
                }
            }
            State::End => {
                self.buffer.clear();
                Ok(false)
            }
        }
    }
}

impl Part {
    fn finish(self) -> SyncedFile {
        let content = (self.status == FileStatus::Changed).then(|| ContentDigest {
            sha256: self
                .hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            bytes: self.bytes,
        });
        SyncedFile {
            status: self.status,
            etag: self.etag,
            content,
        }
    }
}

/// A part from its header lines: the file from `Content-Disposition`, what happened to it
/// from `X-File-Status` (absent: new or changed, content included), its `X-File-E-Tag`.
fn part_from_headers(headers: &str) -> Result<Part, String> {
    let mut name = None;
    let mut status = FileStatus::Changed;
    let mut etag = None;
    for line in headers.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => name = filename(value),
            "x-file-status" => {
                status = match value.to_ascii_lowercase().as_str() {
                    "deleted" => FileStatus::Deleted,
                    "not-modified" => FileStatus::NotModified,
                    _ => FileStatus::Changed,
                }
            }
            "x-file-e-tag" => etag = Some(value.to_string()).filter(|e| !e.is_empty()),
            _ => {}
        }
    }
    let name = name.ok_or("a multipart part names no file in `Content-Disposition`")?;
    Ok(Part {
        name,
        status,
        etag,
        hasher: Sha256::new(),
        bytes: 0,
    })
}

/// `filename*=UTF-8''…` (percent-encoded) when given, else `filename="…"` or `filename=…`.
fn filename(disposition: &str) -> Option<String> {
    let params: Vec<(String, &str)> = disposition
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    if let Some((_, value)) = params.iter().find(|(k, _)| k == "filename*") {
        let encoded = value.split_once("''").map_or(*value, |(_, rest)| rest);
        return Some(percent_decode_str(encoded).decode_utf8_lossy().into_owned());
    }
    let (_, value) = params.iter().find(|(k, _)| k == "filename")?;
    let unquoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .map_or_else(|| value.to_string(), |v| v.replace("\\\"", "\""));
    Some(unquoted).filter(|n| !n.is_empty())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/mixed; boundary=\"b0\"";

    fn answer() -> Vec<u8> {
        let mut body =
            b"preamble\r\n--b0\r\nContent-Disposition: attachment; filename=\"a.csv\"\r\n\
X-File-E-Tag: e1\r\n\r\nx,y\r\n1,2\r\n\r\n--b0\r\n"
                .to_vec();
        body.extend_from_slice(
            b"Content-Disposition: attachment; filename*=UTF-8''sub%2Fb%20c.csv\r\n\
X-File-E-Tag: e2\r\nX-File-Status: not-modified\r\n\r\n\r\n--b0\r\n\
Content-Disposition: attachment; filename=\"gone.csv\"\r\nX-File-Status: deleted\r\n\r\n\r\n--b0--\r\n",
        );
        body
    }

    fn read(chunks: &[&[u8]]) -> Result<BTreeMap<String, SyncedFile>, String> {
        let mut reader = MultipartReader::new(TYPE)?;
        for chunk in chunks {
            reader.feed(chunk)?;
        }
        reader.finish()
    }

    #[test]
    fn reads_every_part_whatever_the_chunking() {
        let body = answer();
        let whole = read(&[&body]).unwrap();
        assert_eq!(whole.len(), 3);
        let a = &whole["a.csv"];
        assert_eq!(a.status, FileStatus::Changed);
        assert_eq!(a.etag.as_deref(), Some("e1"));
        let digest = a.content.as_ref().unwrap();
        assert_eq!(
            digest.bytes, 10,
            "the line break before the boundary is not content"
        );
        let expected: String = Sha256::digest(b"x,y\r\n1,2\r\n")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest.sha256, expected);
        assert_eq!(whole["sub/b c.csv"].status, FileStatus::NotModified);
        assert_eq!(whole["sub/b c.csv"].content, None);
        assert_eq!(whole["gone.csv"].status, FileStatus::Deleted);
        assert_eq!(whole["gone.csv"].etag, None);
        for size in [1, 2, 3, 5, 7, 64] {
            let chunks: Vec<&[u8]> = body.chunks(size).collect();
            assert_eq!(read(&chunks).unwrap(), whole, "chunks of {size}");
        }
    }

    #[test]
    fn large_parts_are_hashed_without_being_kept() {
        let mut reader = MultipartReader::new("multipart/mixed; boundary=zz").unwrap();
        reader
            .feed(b"--zz\r\nContent-Disposition: attachment; filename=big\r\n\r\n")
            .unwrap();
        let block = vec![b'a'; 64 * 1024];
        for _ in 0..64 {
            reader.feed(&block).unwrap();
            assert!(reader.buffer.len() < 16, "{}", reader.buffer.len());
        }
        reader.feed(b"\r\n--zz--").unwrap();
        let files = reader.finish().unwrap();
        assert_eq!(files["big"].content.as_ref().unwrap().bytes, 4 << 20);
    }

    #[test]
    fn broken_answers_are_errors() {
        assert!(MultipartReader::new("application/json").is_err());
        assert!(MultipartReader::new("multipart/mixed").is_err());
        let body = answer();
        assert!(
            read(&[&body[..body.len() - 8]]).is_err(),
            "no closing boundary"
        );
        assert!(read(&[b"--b0\r\nX-File-Status: deleted\r\n\r\n\r\n--b0--"]).is_err());
        assert!(read(&[b"--b0junk\r\n"]).is_err());
    }
}
