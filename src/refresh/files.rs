//! Files read back through the public sync route, one request per folder: it answers every
//! file's ETag and status, and sends content only for files whose ETag is not the one given
//! (hashed as it streams by). A file whose content hashes to what was applied is in sync,
//! whatever its ETag says.

use std::collections::BTreeMap;

use super::{Found, attribute, unverified};
use crate::address::{Address, Kind};
use crate::client::{Client, FileStatus};
use crate::plan::{Drift, DriftKind, Observation};
use crate::state::ResourceState;

/// The managed files of one folder of one connector.
pub(super) struct Folder<'s> {
    connector: String,
    dir: String,
    /// File name in the folder → its address and record.
    files: BTreeMap<String, (Address, &'s ResourceState)>,
}

impl Folder<'_> {
    pub(super) fn addresses(&self) -> Vec<Address> {
        self.files.values().map(|(a, _)| a.clone()).collect()
    }
}

/// The recorded files grouped by connector and folder.
pub(super) fn groups<'s>(
    resources: impl Iterator<Item = (&'s Address, &'s ResourceState)>,
) -> Vec<Folder<'s>> {
    let mut folders: BTreeMap<(String, String), Folder<'s>> = BTreeMap::new();
    for (address, recorded) in resources.filter(|(a, _)| a.kind == Kind::File) {
        let connector = attribute(recorded, "connector").unwrap_or_default();
        let path = attribute(recorded, "path").unwrap_or_default();
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        folders
            .entry((connector.to_string(), dir.to_string()))
            .or_insert_with(|| Folder {
                connector: connector.to_string(),
                dir: dir.to_string(),
                files: BTreeMap::new(),
            })
            .files
            .insert(name.to_string(), (address.clone(), recorded));
    }
    folders.into_values().collect()
}

pub(super) async fn check(client: &Client, folder: Folder<'_>) -> Found {
    // No ETag is recorded yet, so every managed file's content comes back to be hashed.
    let known: BTreeMap<String, String> = folder
        .files
        .keys()
        .map(|name| (name.clone(), String::new()))
        .collect();
    let listing = client
        .file_etags(&folder.connector, &folder.dir, false, None, &known)
        .await;
    let mut found = Found::default();
    for (name, (address, recorded)) in folder.files {
        let observation = match &listing {
            Err(error) => unverified(error),
            Ok(listing) => match listing.get(&name) {
                None => gone(),
                Some(file) if file.status == FileStatus::Deleted => gone(),
                Some(file) => match &file.content {
                    Some(digest) if attribute(recorded, "sha256") == Some(&digest.sha256) => {
                        Observation::InSync
                    }
                    Some(digest) => Observation::Drifted {
                        drift: vec![Drift::new(
                            DriftKind::FileChanged,
                            format!(
                                "other content on the server ({} bytes, sha256 {})",
                                digest.bytes,
                                &digest.sha256[..12.min(digest.sha256.len())]
                            ),
                        )],
                    },
                    None => Observation::Unverified {
                        reason: "the server sent no content to compare".into(),
                    },
                },
            },
        };
        found.resources.push((address, observation));
    }
    found
}

fn gone() -> Observation {
    Observation::Gone {
        drift: Drift::new(DriftKind::FileDeleted, "no file at its path on the server"),
    }
}
