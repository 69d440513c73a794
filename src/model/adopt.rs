//! What the manifest's `import:` and `moved:` blocks mean once resolved: addresses checked
//! against the manifest, and the rules a rename must obey (no chains, no address used twice,
//! no change of kind) already enforced, so that planning only meets what depends on the state.

use crate::address::{Address, Kind};

use super::Model;

impl Model {
    /// Whether `address` is a resource the manifest declares.
    pub fn has(&self, address: &Address) -> bool {
        match address.kind {
            Kind::File => self.files.contains_key(&address.key),
            Kind::Table => self.tables.contains_key(&address.key),
            Kind::Dashboard => self.dashboards.contains_key(&address.key),
            Kind::Share => address
                .key
                .split_once('.')
                .is_some_and(|(d, g)| self.shares.contains_key(&(d.to_string(), g.to_string()))),
            Kind::Call => self.calls.contains_key(&address.key),
        }
    }
}

/// The resolved `import:` and `moved:` blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    /// In manifest order.
    pub imports: Vec<Import>,
    /// In manifest order.
    pub moves: Vec<Moved>,
}

impl Adoption {
    pub fn is_empty(&self) -> bool {
        self.imports.is_empty() && self.moves.is_empty()
    }
}

/// `import: [{to, id|name}]`: the server object recorded under `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// A table, file or dashboard of the manifest.
    pub to: Address,
    pub by: Lookup,
}

/// How an object to import is found on the server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lookup {
    /// A table's or dashboard's UUID.
    Id(String),
    /// A table's Grok name, a dashboard's name, a file's path in its connector.
    Name(String),
}

impl Lookup {
    /// `ID-or-GROK-NAME` as `grokform import` takes it: a UUID is an ID, anything else a name.
    pub fn parse(text: &str) -> Lookup {
        if uuid::Uuid::parse_str(text).is_ok() {
            Lookup::Id(text.to_string())
        } else {
            Lookup::Name(text.to_string())
        }
    }

    /// The ID or name itself.
    pub fn text(&self) -> &str {
        match self {
            Lookup::Id(text) | Lookup::Name(text) => text,
        }
    }
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lookup::Id(id) => write!(f, "ID `{id}`"),
            Lookup::Name(name) => write!(f, "name `{name}`"),
        }
    }
}

/// `moved: [{from, to}]`: `from` (no longer in the manifest) is now `to` (same kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
    /// Where the block's `to` is written, so that a clash only the state reveals (both
    /// addresses managed) is still reported at the YAML; `None` for models built by hand.
    pub at: Option<Written>,
}

/// A place in the manifest, for diagnostics raised after resolve.
#[derive(Clone, Debug)]
pub struct Written {
    pub source: crate::manifest::problem::SourceText,
    pub span: miette::SourceSpan,
}

/// Two places are the same place: same file, same span.
impl PartialEq for Written {
    fn eq(&self, other: &Written) -> bool {
        self.span == other.span && self.source.name() == other.source.name()
    }
}

impl Eq for Written {}

impl miette::SourceCode for Written {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        self.source
            .read_span(span, context_lines_before, context_lines_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_an_id_anything_else_a_name() {
        assert_eq!(
            Lookup::parse("8f0c5a4e-2b4c-4f6e-9a51-3f0b8d2c1e77"),
            Lookup::Id("8f0c5a4e-2b4c-4f6e-9a51-3f0b8d2c1e77".into())
        );
        assert_eq!(
            Lookup::parse("Admin:Sales:Orders"),
            Lookup::Name("Admin:Sales:Orders".into())
        );
        assert_eq!(Lookup::parse("Sales").to_string(), "name `Sales`");
    }
}
