//! Reading an uploaded CSV before it is stored: UTF-8, a header row, rows as wide as the header,
//! counted as records (quoted fields may span lines), and each column's Datagrok type read from
//! its values. One streaming pass over the temp file, never the whole table in memory.

use std::path::Path;

/// What a valid CSV holds.
#[derive(Debug, PartialEq)]
pub struct CsvSummary {
    pub columns: Vec<String>,
    /// Datagrok's column type of each column, read from its values.
    pub types: Vec<String>,
    pub rows: u64,
}

/// Reads the CSV at `path` as a stream: UTF-8, a header row, every row as wide as the header.
/// Quoted fields may hold newlines; a row is a record, not a line.
pub fn check_csv(path: &Path) -> Result<CsvSummary, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_path(path)
        .map_err(|e| format!("cannot read the upload: {e}"))?;
    let explain = |e: csv::Error| -> String {
        let line = e.position().map(|p| p.line());
        match (e.kind(), line) {
            (csv::ErrorKind::Utf8 { .. }, Some(line)) => {
                format!("the CSV is not valid UTF-8 (line {line})")
            }
            (csv::ErrorKind::Utf8 { .. }, None) => "the CSV is not valid UTF-8".to_owned(),
            (
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                },
                Some(line),
            ) => format!(
                "the CSV row at line {line} has {len} fields, but the header has {expected_len}"
            ),
            _ => format!("the CSV cannot be read: {e}"),
        }
    };
    let columns: Vec<String> = reader
        .headers()
        .map_err(explain)?
        .iter()
        .map(str::to_owned)
        .collect();
    if columns.is_empty() || columns.iter().all(String::is_empty) {
        return Err("the CSV has no header row".to_owned());
    }
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    let mut kinds = vec![ColumnKind::default(); columns.len()];
    while reader.read_record(&mut record).map_err(explain)? {
        rows += 1;
        for (kind, value) in kinds.iter_mut().zip(record.iter()) {
            kind.see(value);
        }
    }
    let types = kinds.iter().map(|k| k.name().to_owned()).collect();
    Ok(CsvSummary {
        columns,
        types,
        rows,
    })
}

/// What every non-empty value of a column could be, narrowed value by value.
#[derive(Clone, Copy, Debug)]
struct ColumnKind {
    int: bool,
    bigint: bool,
    double: bool,
    bool: bool,
    datetime: bool,
    seen: bool,
}

impl Default for ColumnKind {
    fn default() -> Self {
        Self {
            int: true,
            bigint: true,
            double: true,
            bool: true,
            datetime: true,
            seen: false,
        }
    }
}

impl ColumnKind {
    fn see(&mut self, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        self.seen = true;
        self.int &= value.parse::<i32>().is_ok();
        self.bigint &= value.parse::<i64>().is_ok();
        self.double &= value.parse::<f64>().is_ok();
        self.bool &= value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false");
        self.datetime &= looks_like_date(value);
    }

    /// Datagrok's type name: the narrowest that fits every value (`string` when none does).
    fn name(&self) -> &'static str {
        match self {
            Self { seen: false, .. } => "string",
            Self { int: true, .. } => "int",
            Self { bigint: true, .. } => "bigint",
            Self { double: true, .. } => "double",
            Self { bool: true, .. } => "bool",
            Self { datetime: true, .. } => "datetime",
            _ => "string",
        }
    }
}

/// `YYYY-MM-DD`, optionally followed by a time (`T` or a space, then anything).
fn looks_like_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    let date = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit);
    date && (bytes.len() == 10 || matches!(bytes[10], b'T' | b' '))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
mod tests {
    use super::*;

    fn check(text: &[u8]) -> Result<CsvSummary, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        check_csv(&path)
    }

    #[test]
    fn counts_records_not_lines() {
        let summary = check(b"name,note\na,\"two\nlines\"\nb,plain\n").unwrap();
        assert_eq!(summary.rows, 2);
        assert_eq!(summary.columns, ["name", "note"]);
        assert_eq!(check(b"a,b\n").unwrap().rows, 0);
    }

    #[test]
    fn column_types_are_the_narrowest_that_fit() {
        let summary = check(
            b"i,big,d,b,when,s,empty\n1,5000000000,1.5,true,2024-01-31,x,\n\
              -2,1,2,FALSE,2024-02-01T10:00:00Z,1,\n,,,,,,\n",
        )
        .unwrap();
        assert_eq!(
            summary.types,
            [
                "int", "bigint", "double", "bool", "datetime", "string", "string"
            ]
        );
        assert_eq!(summary.rows, 3);
    }

    #[test]
    fn rejects_ragged_non_utf8_and_headerless_csv() {
        let ragged = check(b"a,b\n1,2\n3\n").unwrap_err();
        assert!(ragged.contains("line 3"), "{ragged}");
        assert!(check(b"a,b\n\xff,1\n").unwrap_err().contains("UTF-8"));
        assert!(check(b"\n\n").is_err());
    }
}
