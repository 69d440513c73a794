//! Why an object cannot be adopted.

use crate::address::Address;
use crate::client::ClientError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AdoptError {
    #[error("cannot import `{address}`: no {kind} with {by} on the server")]
    #[diagnostic(
        code(grokform::import::not_found),
        help(
            "check the ID or name in Datagrok; a table's name is its full Grok name (`Namespace:Name`)"
        )
    )]
    NotFound {
        address: Address,
        kind: String,
        by: String,
    },
    #[error("cannot import `{address}`: {count} objects on the server match {by}: {matches}")]
    #[diagnostic(
        code(grokform::import::ambiguous),
        help("import one of them by its ID")
    )]
    Ambiguous {
        address: Address,
        by: String,
        count: usize,
        matches: String,
    },
    #[error("`{address}` cannot be imported: only tables, files and dashboards can")]
    #[diagnostic(
        code(grokform::import::not_importable),
        help("a dashboard's import brings the grants it already has for its shares")
    )]
    NotImportable { address: Address },
    #[error("cannot import `{address}`: reading it from the server failed")]
    #[diagnostic(code(grokform::import::read))]
    Read {
        address: Address,
        #[source]
        source: ClientError,
    },
}
