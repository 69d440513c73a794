// Tests make and change real source files and cache files.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;
use crate::model::source::{hash_csv, hash_file};

/// Sets a file's mtime `ago` in the past (sources older than the racy window are cacheable).
fn age(path: &Path, ago: Duration) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - ago).unwrap();
}

fn old_csv(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    age(&path, Duration::from_secs(60));
    fs::canonicalize(path).unwrap()
}

/// One run: open, digest, save; the stats and whether the cache was written.
fn run(cache: &Path, sources: &[(PathBuf, As)], refresh: bool) -> (Vec<Digest>, SourceStats, bool) {
    let mut stat_cache = StatCache::open(cache.to_path_buf(), refresh);
    let digests = stat_cache
        .digest(sources)
        .into_iter()
        .map(|d| d.map_err(|e| format!("{e:?}")).unwrap())
        .collect();
    let written = stat_cache.save().unwrap();
    (digests, stat_cache.stats(), written)
}

fn stats(read: usize, cached: usize) -> SourceStats {
    SourceStats { read, cached }
}

#[test]
fn an_unchanged_source_is_not_read_again_and_the_cache_is_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(".grokform").join(FILE_NAME);
    let csv = old_csv(dir.path(), "t.csv", "a,b\n1,2\n3,4\n");
    let sources = [(csv.clone(), As::Csv), (csv.clone(), As::File)];
    let (first, s, written) = run(&cache, &sources, false);
    assert_eq!(s, stats(2, 0));
    assert!(written);
    let (size, sha, summary) = hash_csv(&csv).unwrap();
    assert_eq!(first[0], (size, sha.clone(), Some(summary)));
    assert_eq!(first[1], (size, sha, None));
    let before = fs::read(&cache).unwrap();
    let (second, s, written) = run(&cache, &sources, false);
    assert_eq!(s, stats(0, 2));
    assert_eq!(second, first);
    assert!(!written, "nothing changed, so the cache is not rewritten");
    assert_eq!(fs::read(&cache).unwrap(), before);
}

#[test]
fn a_change_of_size_mtime_or_inode_reads_the_source_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(FILE_NAME);
    let csv = old_csv(dir.path(), "t.csv", "a,b\n1,2\n");
    let sources = [(csv.clone(), As::Csv)];
    run(&cache, &sources, false);

    // Size: one more row.
    fs::write(&csv, "a,b\n1,2\n3,4\n").unwrap();
    age(&csv, Duration::from_secs(50));
    let (digests, s, written) = run(&cache, &sources, false);
    assert_eq!(s, stats(1, 0));
    assert!(written);
    assert_eq!(digests[0].2.as_ref().unwrap().rows, 2);
    assert_eq!(run(&cache, &sources, false).1, stats(0, 1));

    // Mtime only: same size, different bytes, older mtime than before.
    fs::write(&csv, "a,b\n5,6\n7,8\n").unwrap();
    age(&csv, Duration::from_secs(40));
    let (digests, s, _) = run(&cache, &sources, false);
    assert_eq!(s, stats(1, 0));
    assert_eq!(digests[0].1, hash_file(&csv).unwrap().1);

    // Inode: replaced by rename with the same content and mtime.
    let mtime = fs::metadata(&csv).unwrap().modified().unwrap();
    let other = dir.path().join("other.csv");
    fs::write(&other, "a,b\n5,6\n7,8\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    fs::rename(&other, &csv).unwrap();
    assert_eq!(run(&cache, &sources, false).1, stats(1, 0));
    assert_eq!(run(&cache, &sources, false).1, stats(0, 1));
}

#[test]
fn a_corrupt_or_other_version_cache_is_ignored_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(FILE_NAME);
    let csv = old_csv(dir.path(), "t.csv", "a\n1\n");
    let sources = [(csv, As::Csv)];
    for garbage in [
        &b"\x00\xffnot json"[..],
        b"{\"version\":1,\"entries\":{\"x\":{\"stat\":7}}}",
        b"{\"version\":99,\"entries\":{}}",
        b"",
    ] {
        fs::write(&cache, garbage).unwrap();
        let (_, s, written) = run(&cache, &sources, false);
        assert_eq!(s, stats(1, 0));
        assert!(written);
        let text = fs::read_to_string(&cache).unwrap();
        assert!(text.starts_with("{\"version\":1,"), "{text}");
        assert_eq!(run(&cache, &sources, false).1, stats(0, 1));
    }
}

#[test]
fn a_source_modified_within_the_racy_window_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(FILE_NAME);
    let path = dir.path().join("fresh.csv");
    fs::write(&path, "a\n1\n").unwrap();
    let fresh = fs::canonicalize(&path).unwrap();
    let sources = [(fresh.clone(), As::Csv)];
    // Just written: read, not cached, so the next run reads it again.
    let (_, s, written) = run(&cache, &sources, false);
    assert_eq!(s, stats(1, 0));
    assert!(!written, "there is nothing trustworthy to write");
    assert_eq!(run(&cache, &sources, false).1, stats(1, 0));

    // Cached once old enough; an entry not older than the cache file itself is not trusted.
    age(&fresh, Duration::from_secs(30));
    run(&cache, &sources, false);
    assert_eq!(run(&cache, &sources, false).1, stats(0, 1));
    fs::File::options()
        .write(true)
        .open(&cache)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(45))
        .unwrap();
    let (_, s, written) = run(&cache, &sources, false);
    assert_eq!(s, stats(1, 0));
    assert!(written, "rewritten, so that the entry is trusted next time");
    assert_eq!(run(&cache, &sources, false).1, stats(0, 1));
}

#[test]
fn refresh_reads_everything_and_a_disabled_cache_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(FILE_NAME);
    let csv = old_csv(dir.path(), "t.csv", "a\n1\n");
    let sources = [(csv.clone(), As::Csv)];
    run(&cache, &sources, false);
    assert_eq!(run(&cache, &sources, true).1, stats(1, 0));
    assert_eq!(run(&cache, &sources, false).1, stats(0, 1));

    let mut disabled = StatCache::disabled();
    disabled.digest(&sources)[0].as_ref().unwrap();
    disabled.digest(&sources)[0].as_ref().unwrap();
    assert_eq!(disabled.stats(), stats(2, 0));
    assert!(!disabled.save().unwrap());
}

#[test]
fn sources_gone_from_the_manifest_leave_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(FILE_NAME);
    let a = old_csv(dir.path(), "a.csv", "a\n1\n");
    let b = old_csv(dir.path(), "b.csv", "b\n2\n");
    run(&cache, &[(a.clone(), As::Csv), (b.clone(), As::Csv)], false);
    let (_, s, written) = run(&cache, &[(a.clone(), As::Csv)], false);
    assert_eq!(s, stats(0, 1));
    assert!(written);
    assert!(!fs::read_to_string(&cache).unwrap().contains("b.csv"));
}

#[test]
fn many_sources_are_read_in_parallel_in_order_and_errors_stay_with_their_source() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(FILE_NAME);
    let mut sources = Vec::new();
    for i in 0..40 {
        let text = format!(
            "id,v\n{}\n",
            (0..i)
                .map(|r| format!("{r},{i}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        sources.push((old_csv(dir.path(), &format!("t{i}.csv"), &text), As::Csv));
    }
    sources.push((old_csv(dir.path(), "bad.csv", "a,b\n1\n"), As::Csv));
    let mut stat_cache = StatCache::open(cache.clone(), false);
    let digests = stat_cache.digest(&sources);
    assert_eq!(stat_cache.stats(), stats(41, 0));
    for ((path, _), digest) in sources.iter().zip(&digests).take(40) {
        let (size, sha, summary) = hash_csv(path).unwrap();
        assert_eq!(digest.as_ref().unwrap(), &(size, sha, Some(summary)));
    }
    assert!(matches!(
        digests[40],
        Err(ReadError::Csv(CsvError::Invalid { line: 2, .. }))
    ));
    stat_cache.save().unwrap();
    let mut again = StatCache::open(cache, false);
    let second = again.digest(&sources);
    // The invalid CSV is never cached: its error is reported again, read again.
    assert_eq!(again.stats(), stats(1, 40));
    assert!(second[40].is_err());
}
