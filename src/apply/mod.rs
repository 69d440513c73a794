//! Runs a plan against a server in dependency order (not built yet).
