//! Local sources: the checks that a manifest's `source:` is a regular file inside the
//! manifest's folder, and one streamed pass that hashes it (and, for tables, summarises the
//! CSV) without ever holding it whole in memory; CSV sources may be gigabytes.

// The source reader owns reading local sources (CSV, files, layouts) from the manifest folder.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use std::sync::mpsc;

use sha2::{Digest, Sha256};

use super::CsvSummary;
use super::csv_scan::{Scanned, Scanner};

/// Why a source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source `{0}` does not exist")]
    Missing(String),
    #[error("source `{0}` is not a regular file")]
    NotAFile(String),
    #[error("source `{relative}` resolves to `{resolved}`, outside the manifest's folder")]
    Outside { relative: String, resolved: String },
    #[error("cannot read source `{0}`: {1}")]
    Io(String, io::Error),
}

/// Resolves `relative` against the canonical `root`: the canonical path, which exists, is a
/// regular file and lies inside `root` (symlinks followed).
pub fn locate(root: &Path, relative: &str) -> Result<PathBuf, SourceError> {
    let joined = root.join(relative);
    let canonical = match fs::canonicalize(&joined) {
        Ok(path) => path,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(SourceError::Missing(relative.to_string()));
        }
        Err(error) => return Err(SourceError::Io(relative.to_string(), error)),
    };
    if !canonical.starts_with(root) {
        return Err(SourceError::Outside {
            relative: relative.to_string(),
            resolved: canonical.display().to_string(),
        });
    }
    let meta = fs::metadata(&canonical).map_err(|e| SourceError::Io(relative.to_string(), e))?;
    if !meta.is_file() {
        return Err(SourceError::NotAFile(relative.to_string()));
    }
    Ok(canonical)
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// Reads to the end and returns (size, lowercase hex SHA-256).
    fn finish(mut self) -> io::Result<(u64, String)> {
        io::copy(
            &mut self.inner,
            &mut HashSink(&mut self.hasher, &mut self.size),
        )?;
        Ok((self.size, hex(&self.hasher.finalize())))
    }
}

struct HashSink<'a>(&'a mut Sha256, &'a mut u64);

impl io::Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        *self.1 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The whole of a small source (a layout), read for hashing and parsing.
pub fn read_small(path: &Path) -> io::Result<Vec<u8>> {
    fs::read(path)
}

/// The manifest folder with symbolic links resolved, so `source:` checks compare real paths.
pub fn canonical_dir(path: &Path) -> Option<std::path::PathBuf> {
    fs::canonicalize(path).ok()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Size and SHA-256 of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    Reader::new().file(path)
}

/// Why a table source is not a CSV with a header row.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("is empty: a table needs a CSV header row")]
    Empty,
    #[error("has an empty column name in its header (column {0})")]
    EmptyColumn(usize),
    #[error("is not valid CSV at line {line}: {message}")]
    Invalid { line: u64, message: String },
    #[error("cannot be read: {0}")]
    Io(io::Error),
}

/// Size, SHA-256 and CSV summary of a table source, in one streamed pass.
pub fn hash_csv(path: &Path) -> Result<(u64, String, CsvSummary), CsvError> {
    Reader::new().csv(path)
}

/// Size of the read buffer (and of the CSV parser's buffer).
const BUFFER: usize = 1 << 16;

/// Reads sources one after the other with the same buffers: one read buffer for plain files
/// and one CSV record for tables, so reading thousands of small sources does not allocate
/// them per file. (`csv::Reader` cannot be reset onto another file, so its own buffer is the
/// one allocation left per CSV.)
pub struct Reader {
    buffer: Vec<u8>,
    record: csv::ByteRecord,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            buffer: vec![0; BUFFER],
            record: csv::ByteRecord::new(),
        }
    }

    /// Size and SHA-256 of a file, streamed through the reused buffer.
    pub fn file(&mut self, path: &Path) -> io::Result<(u64, String)> {
        self.stream(fs::File::open(path)?, |_| {})
    }

    /// Size, SHA-256 and CSV summary of a table source, in one streamed pass: the byte
    /// scanner counts rows while SHA-256 runs beside it (on a second thread for large
    /// sources); a source the scanner does not accept is re-read by the `csv` crate, whose
    /// error it reports.
    pub fn csv(&mut self, path: &Path) -> Result<(u64, String, CsvSummary), CsvError> {
        let file = fs::File::open(path).map_err(CsvError::Io)?;
        let len = file.metadata().map_err(CsvError::Io)?.len();
        let mut scanner = Scanner::new();
        let (size, sha256) = if len >= PARALLEL_FROM {
            hash_beside(file, &mut scanner).map_err(CsvError::Io)?
        } else {
            self.hash_inline(file, &mut scanner).map_err(CsvError::Io)?
        };
        match scanner.finish().and_then(summary_of) {
            Some(summary) => Ok((size, sha256, summary)),
            None => self.csv_reference(fs::File::open(path).map_err(CsvError::Io)?),
        }
    }

    /// Hashes and scans `file` through the reused buffer, on this thread.
    fn hash_inline(&mut self, file: fs::File, scanner: &mut Scanner) -> io::Result<(u64, String)> {
        self.stream(file, |chunk| scanner.feed(chunk))
    }

    /// Size and SHA-256 of `file`, read through the reused buffer, each chunk also given to
    /// `each`.
    fn stream(
        &mut self,
        mut file: fs::File,
        mut each: impl FnMut(&[u8]),
    ) -> io::Result<(u64, String)> {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        loop {
            let n = match file.read(&mut self.buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&self.buffer[..n]);
            each(&self.buffer[..n]);
            size += n as u64;
        }
        Ok((size, hex(&hasher.finalize())))
    }

    /// The `csv` crate's reading of a table source: the reference the scanner follows, and
    /// what reports a source the scanner gave up on.
    pub(crate) fn csv_reference<R: Read>(
        &mut self,
        source: R,
    ) -> Result<(u64, String, CsvSummary), CsvError> {
        // The CSV reader buffers; the hashing layer sees every byte exactly once under it.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .buffer_capacity(BUFFER)
            .from_reader(Hashing::new(source));
        let headers = reader.headers().map_err(csv_error)?.clone();
        check_header(&headers)?;
        let mut rows = 0u64;
        while reader
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?
        {
            rows += 1;
        }
        let (size, sha256) = reader.into_inner().finish().map_err(CsvError::Io)?;
        let columns = headers.iter().map(str::to_string).collect();
        Ok((size, sha256, CsvSummary { columns, rows }))
    }
}

/// A header the table can use: not empty, no empty column name.
fn check_header(headers: &csv::StringRecord) -> Result<(), CsvError> {
    if headers.is_empty() {
        return Err(CsvError::Empty);
    }
    if let Some(i) = headers.iter().position(|h| h.trim().is_empty()) {
        // A lone empty header is what an empty first line parses to.
        if headers.len() == 1 {
            return Err(CsvError::Empty);
        }
        return Err(CsvError::EmptyColumn(i + 1));
    }
    Ok(())
}

/// The summary of a source the scanner accepted: its header's column names parsed by the
/// `csv` crate (BOM, quotes and UTF-8 handled as the reference does); `None` when the header
/// is one the reference would refuse, so that the reference reports it.
pub(crate) fn summary_of(scanned: Scanned) -> Option<CsvSummary> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(scanned.header.as_slice());
    let headers = reader.headers().ok()?;
    if headers.len() as u64 != scanned.header_fields || check_header(headers).is_err() {
        return None;
    }
    Some(CsvSummary {
        columns: headers.iter().map(str::to_string).collect(),
        rows: scanned.rows,
    })
}

/// Sources from this size on are hashed on a second thread while this one reads and scans.
const PARALLEL_FROM: u64 = 4 << 20;

/// Size of the chunks passed between the reading thread and the hashing thread.
const CHUNK: usize = 1 << 20;

/// Reads `file` in chunks that this thread scans while a scoped thread hashes the previous
/// ones; chunks go back and forth through channels, so three buffers serve the whole file.
fn hash_beside(mut file: fs::File, scanner: &mut Scanner) -> io::Result<(u64, String)> {
    let (to_hasher, chunks) = mpsc::sync_channel::<(Vec<u8>, usize)>(2);
    let (give_back, returned) = mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        let _ = give_back.send(vec![0; CHUNK]);
    }
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || {
            let mut hasher = Sha256::new();
            for (chunk, n) in chunks {
                hasher.update(&chunk[..n]);
                // The reader may have stopped on an error; then nobody takes the chunk back.
                let _ = give_back.send(chunk);
            }
            hex(&hasher.finalize())
        });
        // `to_hasher` moves into the reading loop, so any way out of it ends the hasher's loop.
        let read = read_chunks(&mut file, scanner, to_hasher, &returned);
        let sha256 = hasher
            .join()
            .map_err(|_| io::Error::other("the hashing thread failed"))?;
        Ok((read?, sha256))
    })
}

/// The reading side of [`hash_beside`]: returns the size read.
fn read_chunks(
    file: &mut fs::File,
    scanner: &mut Scanner,
    to_hasher: mpsc::SyncSender<(Vec<u8>, usize)>,
    returned: &mpsc::Receiver<Vec<u8>>,
) -> io::Result<u64> {
    let mut size = 0u64;
    loop {
        let mut chunk = returned
            .recv()
            .map_err(|_| io::Error::other("the hashing thread stopped"))?;
        let n = loop {
            match file.read(&mut chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(size);
        }
        scanner.feed(&chunk[..n]);
        size += n as u64;
        to_hasher
            .send((chunk, n))
            .map_err(|_| io::Error::other("the hashing thread stopped"))?;
    }
}

fn csv_error(error: csv::Error) -> CsvError {
    let line = error.position().map_or(1, |p| p.line());
    match error.into_kind() {
        csv::ErrorKind::Io(e) => CsvError::Io(e),
        csv::ErrorKind::Utf8 { .. } => CsvError::Invalid {
            line,
            message: "the header is not UTF-8".into(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => CsvError::Invalid {
            line,
            message: format!("{len} fields where the header has {expected_len}"),
        },
        other => CsvError::Invalid {
            line,
            message: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_summary_and_hash_in_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        let (size, sha, summary) = hash_csv(&path).unwrap();
        assert_eq!(size, 12);
        assert_eq!(sha, hash_file(&path).unwrap().1);
        assert_eq!(sha, hex(&Sha256::digest(b"a,b\n1,2\n3,4\n")));
        assert_eq!(summary.columns, ["a", "b"]);
        assert_eq!(summary.rows, 2);
    }

    #[test]
    fn ragged_and_empty_csv_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        fs::write(&path, "a,b\n1,2\n3\n").unwrap();
        assert!(matches!(
            hash_csv(&path),
            Err(CsvError::Invalid { line: 3, .. })
        ));
        fs::write(&path, "").unwrap();
        assert!(matches!(hash_csv(&path), Err(CsvError::Empty)));
    }

    #[test]
    fn sources_must_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap().join("inner");
        fs::create_dir(&root).unwrap();
        fs::write(dir.path().join("outside.csv"), "a\n").unwrap();
        assert!(matches!(
            locate(&root, "../outside.csv"),
            Err(SourceError::Outside { .. })
        ));
        assert!(matches!(
            locate(&root, "nope.csv"),
            Err(SourceError::Missing(_))
        ));
        assert!(matches!(locate(&root, "."), Err(SourceError::NotAFile(_))));
    }
}
