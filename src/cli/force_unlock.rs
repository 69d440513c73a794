//! `grokform force-unlock`: breaks the state lock of a run that is gone, for either backend.
//!
//! It needs only the manifest's `state:` and `server:` settings, read here by a small reader
//! (`StateSettings::read`) until the full manifest loader is in place; swap it for
//! `model::Model::load(path, env)` then.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, WrapErr};
use serde::Deserialize;

use super::ExitStatus;
use crate::client::{ApiKey, Client, ClientOptions};
use crate::model::StateBackend;
use crate::state::{StateLocation, StateStore, local_emulator_dir};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: super::ManifestArgs,

    /// The Datagrok API URL, for state kept on the server (overrides the manifest's `server:`;
    /// `local` is the built-in emulator).
    #[arg(long, env = "DATAGROK_URL", value_name = "URL")]
    pub server: Option<String>,

    /// Read the API key from FILE instead of `DATAGROK_API_KEY`.
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let manifest_path = args.manifest.manifest_path();
    let settings = StateSettings::read(&manifest_path, args.manifest.env.as_deref())?;
    let root = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let location = StateLocation::new(&root, args.manifest.env.as_deref(), &settings.backend);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async move {
        let mut _emulator = None;
        let store = if location.is_remote() {
            let server = args
                .server
                .or(settings.server)
                .ok_or(crate::state::StateError::NeedsServer)?;
            let client = if server == "local" {
                let emulator = crate::emulator::Emulator::start(crate::emulator::EmulatorConfig {
                    data_dir: Some(local_emulator_dir(&root)),
                    ..Default::default()
                })
                .await?;
                let key = ApiKey::new(crate::emulator::DEFAULT_API_KEY.into())?;
                let client = Client::new(&emulator.url(), key, ClientOptions::default())?;
                _emulator = Some(emulator);
                client
            } else {
                let key = ApiKey::from_env_or_file(args.api_key_file.as_deref())?;
                Client::new(&server, key, ClientOptions::default())?
            };
            client.healthcheck().await?;
            location.open(Some(&client))?
        } else {
            location.open(None)?
        };
        let described = store.describe();
        match store.force_unlock().await? {
            None => println!("`{described}` is not locked; nothing to do"),
            Some(holder) => {
                println!(
                    "removed the lock on `{described}` held by {}",
                    holder.describe()
                );
                if matches!(store, StateStore::Local(_)) {
                    println!(
                        "if that process is still running, stop it: it no longer holds the lock"
                    );
                }
            }
        }
        Ok(ExitStatus::Success)
    })
}

/// The manifest settings `force-unlock` needs: where the state is, and the server.
#[derive(Debug, PartialEq)]
struct StateSettings {
    backend: StateBackend,
    server: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawManifest {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    state: Option<RawState>,
    #[serde(default)]
    environments: BTreeMap<String, RawEnvironment>,
}

#[derive(Debug, Default, Deserialize)]
struct RawEnvironment {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    state: Option<RawState>,
}

#[derive(Clone, Debug, Deserialize)]
struct RawState {
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    connector: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

impl StateSettings {
    fn read(path: &Path, env: Option<&str>) -> miette::Result<StateSettings> {
        let text = std::fs::read_to_string(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("could not read the manifest `{}`", path.display()))?;
        Self::parse(&text, env).wrap_err_with(|| format!("in `{}`", path.display()))
    }

    fn parse(text: &str, env: Option<&str>) -> miette::Result<StateSettings> {
        let raw: RawManifest = serde_saphyr::from_str(text)
            .map_err(|e| miette::miette!("the manifest is not valid YAML: {e}"))?;
        let environment = match env {
            None => None,
            Some(name) => Some(
                raw.environments
                    .get(name)
                    .ok_or_else(|| miette::miette!("the manifest has no environment `{name}`"))?,
            ),
        };
        let state = environment
            .and_then(|e| e.state.clone())
            .or(raw.state.clone());
        let backend = match state {
            None => StateBackend::Local,
            Some(state) => match state.backend.as_deref().unwrap_or("local") {
                "local" => StateBackend::Local,
                "datagrok" => StateBackend::Datagrok {
                    connector: state.connector.ok_or_else(|| {
                        miette::miette!("`state: {{ backend: datagrok }}` needs a `connector`")
                    })?,
                    path: state.path.ok_or_else(|| {
                        miette::miette!("`state: {{ backend: datagrok }}` needs a `path`")
                    })?,
                },
                other => {
                    return Err(miette::miette!(
                        "unknown state backend `{other}`: expected `local` or `datagrok`"
                    ));
                }
            },
        };
        Ok(StateSettings {
            backend,
            server: environment.and_then(|e| e.server.clone()).or(raw.server),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_backend_and_server_per_environment() {
        let text = r#"
version: 1
server: https://a.example.com/api
vars: { project: X }
state: { backend: datagrok, connector: "System:AppData", path: grokform/state.json }
environments:
  dev:
    server: https://dev.example.com/api
    state: { backend: local }
  prod: {}
tables: { t: { name: "A:B", source: t.csv } }
"#;
        let top = StateSettings::parse(text, None).unwrap();
        assert_eq!(
            top.backend,
            StateBackend::Datagrok {
                connector: "System:AppData".into(),
                path: "grokform/state.json".into()
            }
        );
        assert_eq!(top.server.as_deref(), Some("https://a.example.com/api"));
        let dev = StateSettings::parse(text, Some("dev")).unwrap();
        assert_eq!(dev.backend, StateBackend::Local);
        assert_eq!(dev.server.as_deref(), Some("https://dev.example.com/api"));
        let prod = StateSettings::parse(text, Some("prod")).unwrap();
        assert_eq!(prod.backend, top.backend);
        assert!(StateSettings::parse(text, Some("nope")).is_err());
        assert_eq!(
            StateSettings::parse("version: 1\n", None).unwrap().backend,
            StateBackend::Local
        );
        assert!(StateSettings::parse("state: { backend: s3 }\n", None).is_err());
    }
}
