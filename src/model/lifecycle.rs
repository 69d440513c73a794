//! The manifest's `lifecycle:` opt-ins, resolved: which destructive steps the planner may
//! choose. Kept apart from the resource types because they are manifest-wide policy, not
//! objects on the server; `Default` is the behaviour without the block (remove nothing).

/// What a share removed from the manifest (or downgraded) does to the server's grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SharesMode {
    /// Forget it: the group keeps its access (the behaviour without `lifecycle:`).
    #[default]
    Additive,
    /// Revoke it where the server allows, so the grants match the manifest.
    Authoritative,
}

impl SharesMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SharesMode::Additive => "additive",
            SharesMode::Authoritative => "authoritative",
        }
    }
}

/// What a table or dashboard removed from the manifest does on the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Deletion {
    /// Forget it: it stays on the server (the behaviour without `lifecycle:`).
    #[default]
    Forget,
    /// Delete it where the server allows.
    Allowed,
}

/// What happens to the old dashboard when a dashboard is replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnReplace {
    /// It stays on the server (the behaviour without `lifecycle:`).
    #[default]
    Keep,
    /// It is deleted once the replacement and its shares are in place.
    Delete,
}

/// `lifecycle:` of the manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub shares: SharesMode,
    pub deletion: Deletion,
    pub on_replace: OnReplace,
}
