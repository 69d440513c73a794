//! Dependency order of the model (not built yet).
