//! The typed async Datagrok REST client (not built yet).
