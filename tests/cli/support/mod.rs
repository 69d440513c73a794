//! What every integration test shares, in the style of uv's `TestContext` and just's test
//! builder: a [`TestContext`] owning the temporary project and the emulator it talks to, the
//! one [`Server`] starter (in this process or as a `grokform emulator` process), [`Filters`]
//! built from the real paths and ports, and [`grokform_snapshot!`] to snapshot a run's exit code,
//! stdout and stderr together. Kept apart from the test files so they hold only tests.

#![allow(dead_code, unused_imports, unused_macros)]

pub mod command;
pub mod context;
pub mod filters;
pub mod http;
pub mod process;
pub mod server;

pub use command::{Grokform, Run, binary, grokform, repo_root, unwrapped};
pub use context::{TestContext, held, ids, writes_since};
pub use filters::Filters;
pub use process::{ChildGuard, wait_until};
pub use server::{Server, ServerProcess, client_for, fast_options, start_with_client};

/// Snapshots a [`Run`]'s exit code, stdout and stderr together (see `Run::format`), with
/// `filters` applied, and returns the run for further checks:
///
/// ```ignore
/// let run = grokform_snapshot!(context.filters(), context.run(&["plan"]), @"…");
/// grokform_snapshot!(context.filters(), context.run(&["plan"]));          // a file snapshot
/// grokform_snapshot!("name", context.filters(), context.run(&["plan"]));  // a named one
/// ```
macro_rules! grokform_snapshot {
    ($filters:expr, $run:expr, @$snapshot:literal) => {{
        let run: $crate::support::Run = $run;
        let _filters = $filters.settings().bind_to_scope();
        ::insta::assert_snapshot!(run.format(), @$snapshot);
        run
    }};
    ($name:expr, $filters:expr, $run:expr) => {{
        let run: $crate::support::Run = $run;
        let _filters = $filters.settings().bind_to_scope();
        ::insta::assert_snapshot!($name, run.format());
        run
    }};
    ($filters:expr, $run:expr) => {{
        let run: $crate::support::Run = $run;
        let _filters = $filters.settings().bind_to_scope();
        ::insta::assert_snapshot!(run.format());
        run
    }};
}
pub(crate) use grokform_snapshot;
