//! Identifiers and times the emulator makes up for what a real server owns: ids of things the
//! public API never names (layouts, relations, viewer elements, groups, permission rows) and the
//! `createdOn` / `updatedOn` stamps. Both are derived, not random or read from the clock, so the
//! same sequence of requests gives the same answers: tests and demos can snapshot them.

use std::time::{Duration, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A UUID derived from `parts`: the same parts always give the same id (shaped like a v4).
pub fn derived(parts: &[&[u8]]) -> Uuid {
    let mut hasher = Sha256::new();
    for part in parts {
        // length-prefixed, so `("ab","c")` and `("a","bc")` differ
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// 2026-01-01T00:00:00Z: tick 0 of the emulator's clock.
const EPOCH_SECS: u64 = 1_767_225_600;

/// The time of logical tick `tick` (one second per change), in Datagrok's format
/// (`2026-01-01T00:00:05.000Z`). A logical clock keeps answers deterministic while still
/// ordering every change, which is all `updatedOn` is used for.
pub fn timestamp(tick: u64) -> String {
    let secs = EPOCH_SECS.saturating_add(tick.min(u64::from(u32::MAX)));
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_distinct_and_well_formed() {
        let a = derived(&[b"layout", b"1"]);
        assert_eq!(a, derived(&[b"layout", b"1"]));
        assert_ne!(a, derived(&[b"layou", b"t1"]));
        assert_eq!(a.get_version_num(), 4);
    }

    #[test]
    fn ticks_are_ordered_timestamps() {
        assert_eq!(timestamp(0), "2026-01-01T00:00:00.000Z");
        assert_eq!(timestamp(5), "2026-01-01T00:00:05.000Z");
        assert!(timestamp(59) < timestamp(60));
        assert!(timestamp(86_400).starts_with("2026-01-02"));
    }
}
