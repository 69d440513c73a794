//! The command builder moved to `support::command`; these names stay for test files written
//! against them.

#![allow(dead_code, unused_imports)]

pub use crate::support::command::{Grokform, Run, binary, grokform, repo_root};
