//! The scanner against the `csv` crate it follows: same rows and columns on every source it
//! accepts, and the crate's own error on every source the crate refuses, whatever the chunking.

// The tests write their sources into temp dirs, as the source reader's own tests do.
#![allow(clippy::disallowed_methods)]

use proptest::prelude::*;

use super::*;
use crate::model::source::{CsvError, Reader};

/// The reference reading (the `csv` crate) of `bytes`, as a comparable result.
fn reference(bytes: &[u8]) -> Result<(Vec<String>, u64), String> {
    Reader::new()
        .csv_reference(bytes)
        .map(|(_, _, s)| (s.columns, s.rows))
        .map_err(|e| format!("{e:?}"))
}

/// The fast reading of `bytes` fed in chunks of `chunk` bytes, through a file so that the
/// real entry point (and its fallback) runs.
fn fast(bytes: &[u8], chunk: usize) -> Result<(Vec<String>, u64), String> {
    let mut scanner = Scanner::new();
    for part in bytes.chunks(chunk.max(1)) {
        scanner.feed(part);
    }
    match scanner.finish() {
        Some(scanned) => match crate::model::source::summary_of(scanned) {
            Some(s) => Ok((s.columns, s.rows)),
            None => reference(bytes),
        },
        None => reference(bytes),
    }
}

fn accepted(bytes: &[u8]) -> Option<(u64, u64)> {
    let mut scanner = Scanner::new();
    scanner.feed(bytes);
    scanner.finish().map(|s| (s.header_fields, s.rows))
}

const TRICKY: &[&str] = &[
    "a,b\n1,2\n3,4\n",
    "a,b\n1,2\n3,4",
    "a,b\r\n1,2\r\n3,4\r\n",
    "a,b\r1,2\r3,4\r",
    "\u{feff}a,b\n1,2\n",
    "\u{feff}\"a\",b\n1,2\n",
    "a,b\n\n\n1,2\n\r\n\r\n3,4\n\n",
    "\n\na,b\n1,2\n",
    "a,b\n\"x\ny\",2\n\"p\"\"q\",\"r,s\"\n",
    "a,b\n\"x\"y,2\n",
    "a,b\nx\"y,2\n",
    "a,b\n\"unterminated,2\n3,4\n",
    "\"h,1\",\"h\n2\"\n1,2\n",
    "a,b\n1,\n,\n",
    "a,b,\n1,2,\n",
    "a\n\n1\n2\n",
    "a,b\n1,2\n3\n",
    "a,b\n1,2,3\n",
    "",
    "\n\n",
    "a,,b\n1,2,3\n",
    " \n1\n",
    "a,b\n1,2\n\"3\",\"4\"\"\"\n",
    "a,b\n1,2\n\"3\"\r\n4\n",
    "\"\"\"\",b\n1,2\n",
    "a,\"b\"\"\n1,2\n",
];

#[test]
fn tricky_csvs_read_as_the_csv_crate_reads_them() {
    for csv in TRICKY {
        for chunk in [1, 2, 3, 7, 1 << 16] {
            assert_eq!(
                fast(csv.as_bytes(), chunk),
                reference(csv.as_bytes()),
                "{csv:?} in chunks of {chunk}"
            );
        }
    }
}

#[test]
fn the_scanner_itself_accepts_the_common_shapes() {
    assert_eq!(accepted(b"a,b\n1,2\n3,4\n"), Some((2, 2)));
    assert_eq!(accepted(b"a,b\r\n1,2\r\n3,4"), Some((2, 2)));
    assert_eq!(accepted(b"a,b\n\"x\ny\",\"1,\"\"2\"\n"), Some((2, 1)));
    assert_eq!(accepted(b"a,b\n\n1,2\n\n"), Some((2, 1)));
    // Ragged: left to the csv crate, which reports the line.
    assert_eq!(accepted(b"a,b\n1\n"), None);
    assert_eq!(accepted(b""), None);
}

#[test]
fn a_ragged_source_keeps_the_reference_error_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, "a,b\n\"1\n2\",2\n3\n").unwrap();
    let error = Reader::new().csv(&path).unwrap_err();
    assert!(
        matches!(error, CsvError::Invalid { line: 4, .. }),
        "{error:?}"
    );
}

#[test]
fn a_large_source_hashes_on_a_second_thread_with_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut csv = String::from("id,\"note\"\n");
    let mut i = 0;
    while csv.len() < 5 << 20 {
        csv.push_str(&format!(
            "{i},\"line {i}\nwith \"\"quotes\"\", and commas\"\r\n"
        ));
        i += 1;
    }
    std::fs::write(&path, &csv).unwrap();
    let fast = Reader::new().csv(&path).unwrap();
    let reference = Reader::new().csv_reference(csv.as_bytes()).unwrap();
    assert_eq!(fast.0, reference.0);
    assert_eq!(fast.1, reference.1);
    assert_eq!(fast.2.columns, reference.2.columns);
    assert_eq!(fast.2.rows, i);
    assert_eq!(fast.2.rows, reference.2.rows);
}

proptest! {
    #[test]
    fn any_csv_like_bytes_read_as_the_csv_crate_reads_them(
        bytes in proptest::collection::vec(
            prop_oneof![
                Just(b'a'), Just(b'1'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'),
                Just(b' '), Just(0xef), Just(0xbb), Just(0xbf), Just(0xff),
            ],
            0..80,
        ),
        chunk in 1usize..9,
    ) {
        prop_assert_eq!(fast(&bytes, chunk), reference(&bytes));
    }
}
