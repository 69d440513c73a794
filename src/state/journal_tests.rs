//! The journal's format and replay rules, on bytes and on real files.

use super::*;
use crate::address::Kind;
use crate::state::ResourceStatus;

fn entry(id: &str, serial: u64) -> ResourceState {
    ResourceState {
        kind: Kind::Table,
        remote_id: Some(id.into()),
        inputs_hash: format!("h-{id}"),
        attributes: [("layout".to_string(), serde_json::json!("a\nb \"c\""))].into(),
        applied_serial: serial,
        status: ResourceStatus::Applied,
        observed: None,
    }
}

fn record(lineage: &str, serial: u64, changes: &[(&str, Option<&str>)]) -> Record {
    Record {
        format_version: FORMAT_VERSION,
        lineage: lineage.into(),
        serial,
        server: Some("https://x/api".into()),
        resources: changes
            .iter()
            .map(|(key, id)| (Address::table(key), id.map(|id| entry(id, serial))))
            .collect(),
    }
}

/// A snapshot at serial 3 and its bytes.
fn snapshot() -> (State, Vec<u8>) {
    let mut state = State::new();
    state.serial = 3;
    state.resources.insert(Address::table("a"), entry("a0", 1));
    let bytes = crate::state::encode(&state).into_bytes();
    let state = crate::state::decode(&bytes, "s").unwrap();
    (state, bytes)
}

fn base_of(state: &State, bytes: &[u8]) -> Base {
    Base {
        lineage: state.lineage.clone(),
        serial: state.serial,
        sha256: sha256(bytes),
    }
}

/// A journal file's bytes: `base`, then `records`.
fn journal_bytes(base: &Base, records: &[Record]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.journal");
    let mut writer = Writer::create(&path, base.clone(), &records[0].borrowed()).unwrap();
    for record in &records[1..] {
        writer.append(&record.borrowed()).unwrap();
    }
    assert!(writer.is_intact());
    assert_eq!(writer.len(), std::fs::metadata(&path).unwrap().len());
    std::fs::read(&path).unwrap()
}

#[test]
fn records_replay_in_order_onto_their_snapshot() {
    let (mut state, bytes) = snapshot();
    let lineage = state.lineage.clone();
    let journal = journal_bytes(
        &base_of(&state, &bytes),
        &[
            record(&lineage, 4, &[("b", Some("b1"))]),
            record(&lineage, 5, &[("a", None), ("c", Some("c1"))]),
            record(&lineage, 6, &[("b", Some("b2"))]),
        ],
    );
    let text = String::from_utf8(journal.clone()).unwrap();
    assert_eq!(text.lines().count(), 4, "one line per record: {text}");
    let parsed = parse(&journal, "j").unwrap();
    assert_eq!(parsed.ignored, None);
    assert_eq!(replay(&mut state, &sha256(&bytes), parsed, "j").unwrap(), 3);
    assert_eq!(state.serial, 6);
    let ids: Vec<(String, Option<String>)> = state
        .resources
        .iter()
        .map(|(a, r)| (a.to_string(), r.remote_id.clone()))
        .collect();
    assert_eq!(
        ids,
        [
            ("table.b".to_string(), Some("b2".to_string())),
            ("table.c".to_string(), Some("c1".to_string()))
        ]
    );
    assert_eq!(state.resources[&Address::table("b")], entry("b2", 6));
    assert!(!state.resources.has_changes(), "replayed, not changed");
}

#[test]
fn a_torn_last_line_is_ignored_and_reported() {
    let (state, bytes) = snapshot();
    let lineage = state.lineage.clone();
    let journal = journal_bytes(
        &base_of(&state, &bytes),
        &[
            record(&lineage, 4, &[("b", Some("b1"))]),
            record(&lineage, 5, &[("c", Some("c1"))]),
        ],
    );
    // Every cut inside the last line (a write the kill interrupted) keeps the first record.
    let last_start = journal[..journal.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    for cut in last_start + 1..journal.len() {
        let parsed = parse(&journal[..cut], "j").unwrap();
        assert_eq!(
            parsed.ignored,
            Some(Ignored {
                line: 3,
                reason: "torn"
            }),
            "cut at {cut}"
        );
        let mut replayed = state.clone();
        assert_eq!(
            replay(&mut replayed, &sha256(&bytes), parsed, "j").unwrap(),
            1
        );
        assert_eq!(replayed.serial, 4);
    }
    // Zeros the file system left after a crash look torn too.
    let mut zeros = journal.clone();
    zeros.extend([0u8; 512]);
    assert_eq!(parse(&zeros, "j").unwrap().ignored.unwrap().reason, "torn");
    // A torn base line: nothing to replay, never an error.
    let parsed = parse(&journal[..10], "j").unwrap();
    assert!(parsed.base.is_none() && parsed.records.is_empty());
    assert_eq!(parsed.ignored.unwrap().line, 1);
}

#[test]
fn a_bad_checksum_on_the_last_line_is_ignored_but_inside_is_an_error() {
    let (state, bytes) = snapshot();
    let lineage = state.lineage.clone();
    let journal = journal_bytes(
        &base_of(&state, &bytes),
        &[
            record(&lineage, 4, &[("b", Some("b1"))]),
            record(&lineage, 5, &[("c", Some("c1"))]),
        ],
    );
    let text = String::from_utf8(journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let flip = |line: &str| line.replacen("c1", "c2", 1);

    let last_bad = format!("{}\n{}\n{}\n", lines[0], lines[1], flip(lines[2]));
    let parsed = parse(last_bad.as_bytes(), "j").unwrap();
    assert_eq!(
        parsed.ignored,
        Some(Ignored {
            line: 3,
            reason: "bad checksum"
        })
    );
    assert_eq!(parsed.records.len(), 1);

    let middle_bad = format!(
        "{}\n{}\n{}\n",
        lines[0],
        lines[1].replacen("b1", "b9", 1),
        lines[2]
    );
    let err = parse(middle_bad.as_bytes(), ".grokform/state.journal").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the state journal `.grokform/state.journal` is damaged at line 2: bad checksum"
    );
}

#[test]
fn records_the_snapshot_holds_are_skipped_and_other_histories_refused() {
    let (state, bytes) = snapshot();
    let lineage = state.lineage.clone();
    let records = [
        record(&lineage, 4, &[("b", Some("b1"))]),
        record(&lineage, 5, &[("c", Some("c1"))]),
    ];
    let base = base_of(&state, &bytes);
    let journal = journal_bytes(&base, &records);

    // Compacted at serial 5, killed before the journal was removed: nothing to replay.
    let mut compacted = state.clone();
    compacted.serial = 5;
    let parsed = parse(&journal, "j").unwrap();
    assert_eq!(replay(&mut compacted, "other", parsed, "j").unwrap(), 0);
    assert_eq!(compacted.serial, 5);

    // The same serial with other bytes (another history), an older snapshot, another lineage.
    let mut other = state.clone();
    let err = replay(&mut other, "other", parse(&journal, "j").unwrap(), "j").unwrap_err();
    assert!(
        matches!(err, StateError::JournalMismatch { .. }) && err.to_string().contains("different"),
        "{err}"
    );
    let mut older = state.clone();
    older.serial = 2;
    let err = replay(
        &mut older,
        &sha256(&bytes),
        parse(&journal, "j").unwrap(),
        "j",
    )
    .unwrap_err();
    assert!(err.to_string().contains("continues serial 3"), "{err}");
    let mut stranger = State::new();
    let err = replay(
        &mut stranger,
        &sha256(&bytes),
        parse(&journal, "j").unwrap(),
        "j",
    )
    .unwrap_err();
    assert!(err.to_string().contains("lineage"), "{err}");

    // A gap in the serials is refused, not papered over.
    let gap = journal_bytes(&base, &[records[1].clone()]);
    let mut gapped = state.clone();
    let err = replay(&mut gapped, &sha256(&bytes), parse(&gap, "j").unwrap(), "j").unwrap_err();
    assert!(err.to_string().contains("serial 5"), "{err}");
}

#[test]
fn the_recovery_note_says_what_was_replayed_and_ignored() {
    let mut recovery = Recovery {
        journal: ".grokform/state.journal".into(),
        replayed: 2,
        ignored: Some(Ignored {
            line: 4,
            reason: "torn",
        }),
        running: None,
    };
    assert_eq!(
        recovery.describe(),
        "replayed 2 saves from `.grokform/state.journal` left by a run that did not finish; \
         they are included here, and the next run that holds the lock (`apply`, `plan --lock`) \
         writes them into the state file; ignored its line 4 (torn: that run was killed while \
         writing it, before the save counted as done)"
    );
    recovery.running = Some("jane (pid 7 on ci) running `apply` since t".into());
    assert_eq!(
        recovery.describe(),
        "included 2 saves from `.grokform/state.journal` of a run in progress: jane (pid 7 on ci) \
         running `apply` since t; its line 4 is being written"
    );
}

#[test]
fn a_save_of_borrowed_entries_reads_back_as_the_owned_record() {
    let mut state = State::new();
    state.serial = 7;
    state.server = Some("https://x/api".into());
    state.resources.insert(Address::table("a"), entry("a1", 7));
    state.resources.insert(Address::table("b"), entry("b1", 7));
    // `c` was removed since the last save: written as `null`
    let changed: BTreeSet<Address> = ["a", "c"].into_iter().map(Address::table).collect();
    let borrowed = RecordRef::of(&state, &changed);
    let owned = Record {
        format_version: FORMAT_VERSION,
        lineage: state.lineage.clone(),
        serial: 8,
        server: Some("https://x/api".into()),
        resources: [
            (Address::table("a"), Some(entry("a1", 7))),
            (Address::table("c"), None),
        ]
        .into(),
    };
    // the same JSON as the owned record's own `Serialize`
    assert_eq!(
        serde_json::to_string(&borrowed).unwrap(),
        serde_json::to_string(&owned).unwrap()
    );
    let base = Base {
        lineage: state.lineage.clone(),
        serial: 7,
        sha256: "0".repeat(64),
    };
    let bytes = journal_bytes(&base, std::slice::from_ref(&owned));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.journal");
    Writer::create(&path, base, &borrowed).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let parsed = parse(&bytes, "j").unwrap();
    assert_eq!(parsed.records, [owned]);
}
