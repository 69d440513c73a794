//! Opening the stored bytes of tables and files for the routes that stream them in and out,
//! so the data folder's disk is touched only under `store`.

use std::io;
use std::path::Path;

/// Opens stored bytes for streaming out.
pub async fn open(path: &Path) -> io::Result<tokio::fs::File> {
    tokio::fs::File::open(path).await
}

/// Creates the file an upload streams into.
pub async fn create(path: &Path) -> io::Result<tokio::fs::File> {
    tokio::fs::File::create(path).await
}

/// Removes an upload's temp file; a file already gone is fine.
pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}
