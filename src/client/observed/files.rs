//! What the file sync route and byte downloads tell about content, and how a delete ended.

/// The SHA-256 and length of content the server sent, hashed as it streamed by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentDigest {
    /// Lowercase hex.
    pub sha256: String,
    pub bytes: u64,
}

/// What the sync route says about one file, compared with the ETag grokform sent for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// New, or changed since the ETag sent: its content came along (see `content`).
    Changed,
    /// The ETag sent is still current.
    NotModified,
    /// A file grokform named is gone.
    Deleted,
}

/// One file of a sync answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedFile {
    pub status: FileStatus,
    /// `X-File-E-Tag`, when the server sent one.
    pub etag: Option<String>,
    /// The digest of the content sent with a changed file.
    pub content: Option<ContentDigest>,
}

/// How a delete ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The server accepted the delete (read it back to be sure it is gone).
    Deleted,
    /// The server says there was nothing to delete.
    AlreadyGone,
}
