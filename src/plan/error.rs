//! Why no plan can be made. The planner refuses instead of planning around a mistake (or
//! around an upload that would break a dashboard), so that `plan` exits 1 and `apply`, which
//! plans the same way, never starts.

use super::column_safety::ColumnsInUse;
use crate::address::Address;

/// A request the planner cannot honour.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error("`--replace {address}`: no resource of the manifest or the state has this address")]
    #[diagnostic(
        code(grokform::plan::replace_unknown),
        help("{}", hint.as_deref().unwrap_or(REPLACE_HELP))
    )]
    ReplaceUnknown {
        address: Address,
        /// `did you mean …?` naming the closest manifest address, if one is close.
        hint: Option<String>,
    },
    #[error(
        "`--replace {address}`: `{address}` is no longer in the manifest, so there is nothing to replace it with"
    )]
    #[diagnostic(
        code(grokform::plan::replace_removed),
        help(
            "without `--replace`, this plan stops managing it; put it back in the manifest to replace it"
        )
    )]
    ReplaceRemoved { address: Address },
    #[error("the `moved` block from `{from}` to `{to}` clashes: both addresses are in the state")]
    #[diagnostic(
        code(grokform::plan::moved_clash),
        help(
            "`{to}` is managed already; `grokform state rm {to}` first if it should be forgotten, or remove this `moved` block from the manifest"
        )
    )]
    MovedTaken {
        from: Address,
        to: Address,
        /// The manifest, when the block's place is known.
        #[source_code]
        at: Option<crate::model::adopt::Written>,
        #[label("already in the state")]
        span: Option<miette::SourceSpan>,
    },
    #[error("the `moved` block from `{from}` to `{to}` cannot be applied: {reason}")]
    #[diagnostic(code(grokform::plan::moved_refused))]
    MovedRefused {
        from: Address,
        to: Address,
        reason: String,
    },
    #[error("`{address}` is imported but already in the state")]
    #[diagnostic(
        code(grokform::plan::import_taken),
        help("the state changed since the plan was made; plan again")
    )]
    ImportTaken { address: Address },
    #[error(
        "`{table}` cannot be deleted: {dashboard} (`{dashboard_name}`) still shows it, and grokform keeps managing or leaving that dashboard on the server"
    )]
    #[diagnostic(
        code(grokform::plan::table_in_use),
        help(
            "remove {dashboard} from the manifest too (it is then deleted first), or keep `{table}` in the manifest"
        )
    )]
    TableInUse {
        table: Address,
        dashboard: Address,
        dashboard_name: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    ColumnsInUse(#[from] ColumnsInUse),
}

const REPLACE_HELP: &str = "`--replace` takes the address of a resource of the manifest, e.g. `dashboard.KEY` or `table.KEY`";
