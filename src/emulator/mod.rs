//! The built-in Datagrok emulator (not built yet).
