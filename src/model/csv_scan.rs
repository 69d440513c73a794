//! A byte scanner that counts a CSV's records and checks that every record has as many
//! fields as the header, without building records: the planning pass over a gigabyte source
//! spent most of its time in the `csv` crate assembling fields nobody looks at.
//!
//! It follows the record and field boundaries of `csv_core`'s default reader exactly (`,`
//! delimiter, `"` quotes with `""` doubling, `\r`, `\n` or `\r\n` terminators, blank lines
//! skipped, a quote only opening a field at its start, text after a closing quote joining
//! the field, end of input closing an open record or quote). It never reports an error
//! itself: on anything it does not accept (a ragged record, a header longer than
//! [`HEADER_LIMIT`]) it gives up and the caller re-reads the source with the `csv` crate,
//! whose error (with its line number) stays the one users see.

/// The longest header the scanner keeps for the `csv` crate to parse into column names.
const HEADER_LIMIT: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Between records: terminators here are blank lines.
    StartRecord,
    StartField,
    InField,
    InQuoted,
    /// Just after a `"` inside a quoted field: `""` (a literal quote) or the closing one.
    QuoteInQuoted,
}

/// Bytes that end an unquoted field.
static ENDS_FIELD: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table
};

/// What the scanner saw in a source it accepted.
#[derive(Debug, PartialEq, Eq)]
pub struct Scanned {
    /// The bytes of the header record (its terminator included), for column names.
    pub header: Vec<u8>,
    /// How many fields the header has.
    pub header_fields: u64,
    /// Records after the header.
    pub rows: u64,
}

/// Fed the source chunk by chunk; [`Scanner::finish`] says what it saw, or `None` when the
/// `csv` crate must decide.
pub struct Scanner {
    state: State,
    /// Fields of the record being read so far (1 once it started).
    fields: u64,
    header: Vec<u8>,
    header_fields: Option<u64>,
    records: u64,
    gave_up: bool,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

impl Scanner {
    pub fn new() -> Scanner {
        Scanner {
            state: State::StartRecord,
            fields: 0,
            header: Vec::new(),
            header_fields: None,
            records: 0,
            gave_up: false,
        }
    }

    /// Scans the next chunk of the source.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.gave_up {
            return;
        }
        let header_end = self.scan(chunk);
        if self.header_fields.is_none() || header_end.is_some() {
            let end = header_end.unwrap_or(chunk.len());
            if self.header.len() + end > HEADER_LIMIT {
                self.gave_up = true;
                return;
            }
            self.header.extend_from_slice(&chunk[..end]);
        }
    }

    /// The end of input: what the scanner saw, or `None` when the `csv` crate must decide.
    pub fn finish(mut self) -> Option<Scanned> {
        if self.gave_up {
            return None;
        }
        if self.state != State::StartRecord && !self.end_record() {
            return None;
        }
        Some(Scanned {
            header: self.header,
            header_fields: self.header_fields?,
            rows: self.records.saturating_sub(1),
        })
    }

    /// Closes the current record; false when its field count differs from the header's.
    fn end_record(&mut self) -> bool {
        self.state = State::StartRecord;
        self.records += 1;
        match self.header_fields {
            None => {
                self.header_fields = Some(self.fields);
                true
            }
            Some(expected) => expected == self.fields,
        }
    }

    /// Runs the state machine over `chunk`; returns where in it the header record ended, when
    /// it ended in this chunk.
    fn scan(&mut self, chunk: &[u8]) -> Option<usize> {
        let mut header_end = None;
        let mut i = 0;
        let n = chunk.len();
        let mut state = self.state;
        while i < n {
            match state {
                State::StartRecord => {
                    let b = chunk[i];
                    if b == b'\n' || b == b'\r' {
                        i += 1;
                        continue;
                    }
                    self.fields = 1;
                    state = State::StartField;
                    // The hot path: a record without quotes that ends in this chunk has one
                    // field more than it has commas (SIMD searches, no per-byte states).
                    if let Some(k) = memchr::memchr3(b'\n', b'\r', b'"', &chunk[i..])
                        && chunk[i + k] != b'"'
                    {
                        let record = &chunk[i..i + k];
                        self.fields += record.iter().filter(|&&c| c == b',').count() as u64;
                        state = self.field_end(chunk[i + k], &mut header_end, i + k);
                        i += k + 1;
                        if self.gave_up {
                            return header_end;
                        }
                    }
                }
                State::StartField | State::InField => {
                    let b = chunk[i];
                    if state == State::StartField && b == b'"' {
                        state = State::InQuoted;
                        i += 1;
                        continue;
                    }
                    // The hot loop: skip the field's ordinary bytes.
                    while i < n && !ENDS_FIELD[chunk[i] as usize] {
                        i += 1;
                    }
                    if i == n {
                        state = State::InField;
                        break;
                    }
                    state = self.field_end(chunk[i], &mut header_end, i);
                    i += 1;
                    if self.gave_up {
                        return header_end;
                    }
                }
                State::InQuoted => match memchr::memchr(b'"', &chunk[i..]) {
                    Some(k) => {
                        i += k + 1;
                        state = State::QuoteInQuoted;
                    }
                    None => i = n,
                },
                State::QuoteInQuoted => {
                    let b = chunk[i];
                    if b == b'"' {
                        state = State::InQuoted;
                        i += 1;
                    } else if ENDS_FIELD[b as usize] {
                        state = self.field_end(b, &mut header_end, i);
                        i += 1;
                        if self.gave_up {
                            return header_end;
                        }
                    } else {
                        state = State::InField;
                        i += 1;
                    }
                }
            }
        }
        self.state = state;
        header_end
    }

    /// After a delimiter or terminator at `at`: the next state (records the header's end).
    fn field_end(&mut self, byte: u8, header_end: &mut Option<usize>, at: usize) -> State {
        if byte == b',' {
            self.fields += 1;
            return State::StartField;
        }
        let first = self.header_fields.is_none();
        if !self.end_record() {
            self.gave_up = true;
        } else if first {
            *header_end = Some(at + 1);
        }
        State::StartRecord
    }
}

#[cfg(test)]
#[path = "csv_scan_tests.rs"]
mod tests;
