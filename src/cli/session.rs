//! What `plan` and `apply` share before they diverge: the resolved manifest, the server
//! (a URL, or the built-in emulator for `local`), the client with its key, and the state store.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use miette::{IntoDiagnostic, WrapErr};

use super::{ManifestArgs, SourceArgs};
use crate::client::{ApiKey, Client, ClientOptions};
use crate::emulator::{self, Emulator, EmulatorConfig};
use crate::model::{Lifecycle, Model, Resolved};
use crate::plan::PlanCapabilities;
use crate::server_url::ServerUrl;
use crate::state::{self, State, StateLocation, StateStore};

/// The name the built-in emulator goes by in `--server` and in the state.
pub const LOCAL: &str = ServerUrl::LOCAL;

/// Which server to talk to and how to authenticate.
#[derive(Clone, Debug, Args)]
pub struct ServerArgs {
    /// The Datagrok API URL (ending in `/api`), or `local` for the built-in emulator with its
    /// data in `.grokform/local/` [default: the manifest's `server`].
    #[arg(long, value_name = "URL|local", env = "DATAGROK_URL")]
    pub server: Option<String>,

    /// Read the API key from FILE instead of `DATAGROK_API_KEY`.
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,

    /// How long to wait for a state lock held by another run, e.g. `30s`, `5m`.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
}

/// A manifest bound to a server and a state store.
pub struct Session {
    pub model: Model,
    /// What the state records as the server: `local` or the normalised URL (`ServerUrl`).
    pub server: String,
    pub client: Client,
    pub store: StateStore,
    /// Keeps the in-process emulator alive for `--server local`.
    _emulator: Option<Emulator>,
}

/// Resolves the manifest, with the stat cache of its sources. `GROKFORM_DEBUG_SOURCES=1`
/// prints how many sources were read and how many came from the cache.
#[allow(clippy::disallowed_methods)] // cli owns the environment: the debug switch is read here
pub fn resolve(manifest: &ManifestArgs, sources: &SourceArgs) -> miette::Result<Resolved> {
    let resolved = Model::load_cached(
        &manifest.manifest_path(),
        manifest.env.as_deref(),
        sources.refresh_sources,
    )?;
    if std::env::var_os("GROKFORM_DEBUG_SOURCES").is_some_and(|v| v == "1") {
        let stats = resolved.sources;
        anstream::eprintln!(
            "grokform: sources: {} read, {} from the stat cache",
            stats.read,
            stats.cached
        );
    }
    Ok(resolved)
}

/// Loads the manifest, printing its warnings; fails on errors (and on warnings with `strict`).
pub fn load_model(
    manifest: &ManifestArgs,
    sources: &SourceArgs,
    strict: bool,
) -> miette::Result<Model> {
    let resolved = resolve(manifest, sources)?;
    let warned = !resolved.warnings.is_empty();
    super::diagnostics::warnings(&resolved.warnings);
    if strict && warned {
        miette::bail!("warnings are errors with `--strict`");
    }
    Ok(resolved.model)
}

impl Session {
    /// Loads the manifest, connects to the server it (or the arguments) name, probes it, and
    /// opens the state store.
    pub async fn open(
        manifest: &ManifestArgs,
        sources: &SourceArgs,
        server_args: &ServerArgs,
        strict: bool,
    ) -> miette::Result<Session> {
        let model = load_model(manifest, sources, strict)?;
        Session::connect(model, server_args).await
    }

    /// Connects a loaded model to its server and state store.
    pub async fn connect(model: Model, server_args: &ServerArgs) -> miette::Result<Session> {
        let server = match (&server_args.server, &model.server) {
            (Some(text), _) => ServerUrl::parse(text)?,
            (None, Some(server)) => server.clone(),
            (None, None) => miette::bail!(
                help = "add `server:` to the manifest, pass `--server URL`, set `DATAGROK_URL`, or use `--server local` for the built-in emulator",
                "no server to talk to"
            ),
        };
        let server = server.to_string();
        let (url, key, emulator) = if server == LOCAL {
            let config = EmulatorConfig {
                data_dir: Some(state::local_emulator_dir(&model.root)),
                ..Default::default()
            };
            let emulator = Emulator::start(config)
                .await
                .into_diagnostic()
                .wrap_err("could not start the built-in emulator for `--server local`")?;
            let key = ApiKey::new(emulator::DEFAULT_API_KEY.to_string())?;
            (emulator.url(), key, Some(emulator))
        } else {
            (
                server.clone(),
                api_key(server_args.api_key_file.as_deref())?,
                None,
            )
        };
        let client = Client::new(&url, key, ClientOptions::default())?;
        client
            .healthcheck()
            .await
            .wrap_err_with(|| format!("cannot use the server at {server}"))?;
        let store = StateLocation::new(&model.root, model.environment.as_deref(), &model.state)
            .open(Some(&client))?;
        Ok(Session {
            model,
            server,
            client,
            store,
            _emulator: emulator,
        })
    }

    /// The internal write routes a plan may use: probed when the manifest opts into one
    /// (`lifecycle:`), else only what the refresh already probed (an in-place layout save
    /// needs no opt-in), so a plan without opt-ins sends no more requests than before. Call
    /// it after the refresh.
    pub async fn plan_capabilities(&self) -> PlanCapabilities {
        if self.model.lifecycle == Lifecycle::default() && !self.client.probed() {
            return PlanCapabilities::default();
        }
        PlanCapabilities::from_probe(&self.client.probe_capabilities().await)
    }

    /// Loads the state (a new one when there is none) and checks it belongs to this server.
    pub async fn load_state(&self) -> miette::Result<State> {
        Ok(self.load_state_noting(false).await?.0)
    }

    /// `load_state`, and (with `digest`, for a local store) exactly what it was loaded from.
    pub async fn load_state_noting(
        &self,
        digest: bool,
    ) -> miette::Result<(State, Option<state::Snapshot>)> {
        let (state, recovery, snapshot) = match &self.store {
            StateStore::Local(store) if digest => {
                let (state, recovery, snapshot) = store.load_digested()?;
                (state, recovery, Some(snapshot))
            }
            store => {
                let (state, recovery) = store.load_recovering().await?;
                (state, recovery, None)
            }
        };
        // A recovered state came with a journal: never one to memoise.
        let snapshot = snapshot.filter(|_| recovery.is_none());
        if let Some(recovery) = recovery {
            anstream::eprintln!("note: {}", recovery.describe());
        }
        let state = state.unwrap_or_default();
        state::check_server(&state, &self.server)?;
        Ok((state, snapshot))
    }
}

/// Builds the runtime the network commands run on.
pub fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("could not start the async runtime")
}

/// The API key from `--api-key-file` or `DATAGROK_API_KEY`.
#[allow(clippy::disallowed_methods)] // `cli` owns the environment
pub fn api_key(file: Option<&std::path::Path>) -> Result<ApiKey, crate::client::ClientError> {
    ApiKey::from_sources(file, std::env::var(crate::client::API_KEY_ENV).ok())
}
