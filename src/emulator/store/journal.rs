//! The journal: one line per committed change set, appended and fsync'd (group commit: one
//! write and one fsync for every line waiting), so a change costs the size of the change, not of
//! everything held. A line is `<checksum> <json>\n`, the checksum the first 16 hex digits of
//! the JSON's SHA-256. Replay applies lines after the snapshot's `seq` in order and stops at the
//! first line that is torn or does not check out (a kill in mid-write), which is cut off.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::types::{Change, Meta};

/// One journal line.
#[derive(Serialize, Deserialize)]
struct Record {
    seq: u64,
    clock: u64,
    changes: Vec<Change>,
}

fn checksum(json: &[u8]) -> String {
    Sha256::digest(json)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The line recording change set `seq` (made at `clock`).
pub fn encode(seq: u64, clock: u64, changes: &[Change]) -> Vec<u8> {
    #[derive(Serialize)]
    struct RecordRef<'a> {
        seq: u64,
        clock: u64,
        changes: &'a [Change],
    }
    let json = serde_json::to_vec(&RecordRef {
        seq,
        clock,
        changes,
    })
    .unwrap_or_default();
    let mut line = checksum(&json).into_bytes();
    line.push(b' ');
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

fn decode(line: &[u8]) -> Option<Record> {
    let split = line.iter().position(|b| *b == b' ')?;
    let (sum, json) = (&line[..split], &line[split + 1..]);
    if sum != checksum(json).as_bytes() {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// Applies the journal `bytes` to `meta` (lines not already in it); returns how many leading
/// bytes are whole, valid lines: the rest is a torn tail to cut off.
pub fn replay(bytes: &[u8], meta: &mut Meta) -> usize {
    let mut valid = 0;
    while valid < bytes.len() {
        let Some(end) = bytes[valid..].iter().position(|b| *b == b'\n') else {
            break;
        };
        let Some(record) = decode(&bytes[valid..valid + end]) else {
            break;
        };
        if record.seq > meta.seq {
            for change in record.changes {
                meta.apply(change);
            }
            meta.seq = record.seq;
            meta.clock = meta.clock.max(record.clock);
        }
        valid += end + 1;
    }
    valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::types::CallMeta;

    fn call(n: u64) -> Vec<Change> {
        vec![Change::AddCall {
            call: CallMeta {
                function: format!("F{n}"),
                params: serde_json::json!({}),
            },
        }]
    }

    #[test]
    fn replays_in_order_skips_what_the_snapshot_has_and_stops_at_a_torn_line() {
        let mut bytes = Vec::new();
        for seq in 1..=3 {
            bytes.extend(encode(seq, seq * 10, &call(seq)));
        }
        let whole = bytes.len();
        let mut torn = encode(4, 40, &call(4));
        torn.truncate(torn.len() / 2);
        bytes.extend(&torn);

        let mut meta = Meta::new();
        meta.seq = 1; // the snapshot already has change 1
        assert_eq!(replay(&bytes, &mut meta), whole);
        let names: Vec<&str> = meta.calls.iter().map(|c| c.function.as_str()).collect();
        assert_eq!(names, ["F2", "F3"]);
        assert_eq!((meta.seq, meta.clock), (3, 30));
    }

    #[test]
    fn a_line_that_does_not_check_out_ends_the_replay() {
        let mut bytes = encode(1, 1, &call(1));
        let mut bad = encode(2, 2, &call(2));
        let flip = bad.len() - 5;
        bad[flip] ^= 1;
        bytes.extend(&bad);
        bytes.extend(encode(3, 3, &call(3)));
        let mut meta = Meta::new();
        let valid = replay(&bytes, &mut meta);
        assert_eq!(valid, encode(1, 1, &call(1)).len());
        assert_eq!(meta.calls.len(), 1);
    }
}
