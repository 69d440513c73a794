//! The typed async Datagrok REST client: one method per route of `datagrok-api.md`. It is one
//! of the two side-effect seams of grokform (with `state`), so everything about talking HTTP
//! lives here, split by idea:
//!
//! - `request` describes a request (route, query, body, may it be repeated, which deadline);
//! - `transport` sends it: Bearer auth, deadlines, retries, the `ApiError`-on-200 check;
//! - `retry` is the policy of what is sent again and what is ambiguous when it fails;
//! - `envelope` reads what came back (JSON or HTML, "not found", a refused route);
//! - `endpoints/` holds the typed methods, one file per area of the API;
//! - `observed/` holds what the read routes describe, read leniently;
//! - `capabilities` decides which internal routes this server lets grokform use.

mod answers;
mod api_error;
mod api_key;
mod base_url;
mod capabilities;
mod endpoints;
mod envelope;
mod error;
mod file_stream;
mod multipart;
mod names;
mod observed;
mod options;
mod request;
mod retry;
mod transport;
mod verified_body;

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures on disk and read the environment
mod tests;

use std::sync::{Arc, Once};

pub use answers::{DashboardInfo, Health, ShareOutcome, TableInfo};
pub use api_key::{API_KEY_ENV, ApiKey};
pub use capabilities::{Availability, Capabilities, Capability};
pub use envelope::route_refusal;
pub use error::{ClientError, Outcome};
pub use names::{encode_segment, file_path_segments, grok_name_segment};
pub use observed::{
    Column, ContentDigest, Deletion, Entity, FileStatus, Group, Layout, Permission, PermissionName,
    Project, Relation, RelationSource, Relations, ServerInfo, SyncedFile, Table,
};
pub use options::ClientOptions;
pub use verified_body::{Expected as ExpectedUpload, Mismatch as SourceMismatch};

/// Called with the number of bytes of an upload sent so far (restarting from 0 on a retry).
pub type Progress = Option<Arc<dyn Fn(u64) + Send + Sync>>;

/// A Datagrok API client. Cloning is cheap (an `Arc` inside) and clones share connections
/// and what is known of the server's capabilities.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
    options: ClientOptions,
    capabilities: capabilities::CapabilityRecord,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("key", &self.inner.key)
            .finish()
    }
}

static INSTALL_PROVIDER: Once = Once::new();

impl Client {
    /// A client for the API at `base_url` (e.g. `https://datagrok.example.com/api`; trailing
    /// slashes are dropped). Installs rustls' ring crypto provider once per process.
    pub fn new(base_url: &str, key: ApiKey, options: ClientOptions) -> Result<Client, ClientError> {
        let base = base_url::normalise_base_url(base_url)?;
        INSTALL_PROVIDER.call_once(|| {
            // Already installed by someone else is fine: any provider will do.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("grokform/", env!("CARGO_PKG_VERSION")));
        if base.starts_with("http://") {
            // A plain-HTTP server (the emulator, a local one) needs no trust roots, and loading
            // the platform's is a few milliseconds of every run (most of a no-op plan's client
            // setup). With none, an HTTPS redirect from it fails to verify: never trusted.
            builder = builder.tls_certs_only(Vec::new());
        }
        let http = builder.build().map_err(|source| ClientError::Network {
            url: base.clone(),
            source,
            may_have_committed: false,
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                key,
                options,
                capabilities: capabilities::CapabilityRecord::default(),
            }),
        })
    }

    /// The normalised base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The options in force.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }
}
