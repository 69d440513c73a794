//! What the server holds, as the read routes describe it: small types that accept the
//! documented shapes leniently (unknown fields ignored, `id` and `ID` both, numbers where
//! strings are expected), because the internal routes are not a published contract and a
//! field grokform does not need must never make a read fail.

mod entities;
mod files;
mod lenient;
mod permissions;
mod tables;

pub use entities::{Entity, Layout, Project, Relation, RelationSource, Relations, ServerInfo};
pub use files::{ContentDigest, Deletion, FileStatus, SyncedFile};
pub use permissions::{Group, Permission, PermissionName};
pub use tables::{Column, Table};

pub(super) use lenient::{Record, parse_list, parse_one};
