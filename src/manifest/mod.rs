//! The manifest as written: serde types with spans (not built yet).
