//! Reading request bodies: uploads stream to a temp file (hashing as they go) so a
//! multi-gigabyte upload never sits in memory; small JSON bodies are read with a cap.

use std::path::{Path, PathBuf};

use axum::body::Body;
use futures_util::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::emulator::answer::ApiError;

/// The largest JSON body (layouts, parameters, sync listings) the emulator reads.
pub const JSON_LIMIT: usize = 64 * 1024 * 1024;

/// A temp file removed when dropped unless it was moved away first.
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        crate::emulator::store::bytes::remove(&self.0);
    }
}

/// What was received: size and SHA-256 (hex).
pub struct Received {
    pub size: u64,
    pub sha256: String,
}

/// Streams `body` into `path`.
pub async fn receive(body: Body, path: &Path) -> Result<Received, String> {
    let file = crate::emulator::store::bytes::create(path)
        .await
        .map_err(|e| format!("the emulator cannot store the upload: {e}"))?;
    let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("the upload was cut short: {e}"))?;
        hasher.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|e| format!("the emulator cannot store the upload: {e}"))?;
    }
    file.flush()
        .await
        .map_err(|e| format!("the emulator cannot store the upload: {e}"))?;
    let digest = hasher.finalize();
    let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Received { size, sha256 })
}

/// Reads an optional JSON body: `None` when it is empty or only whitespace.
pub async fn read_json(body: Body, what: &str) -> Result<Option<Value>, ApiError> {
    let bytes = axum::body::to_bytes(body, JSON_LIMIT)
        .await
        .map_err(|_| ApiError::new(format!("the {what} is larger than 64 MiB or was cut short")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| ApiError::new(format!("the {what} is not valid JSON: {e}")))
}
