//! `grokform force-unlock`: breaks the state lock of a run that is gone, for either backend.

use super::session::{self, ServerArgs, Session};
use super::{ExitStatus, ManifestArgs};
use crate::state::{StateLocation, StateStore};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Where the server is, for state kept on it (`state: { backend: datagrok }`).
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let model = session::load_model(&args.manifest, &super::SourceArgs::default(), false)?;
    session::runtime()?.block_on(async move {
        let location = StateLocation::new(&model.root, model.environment.as_deref(), &model.state);
        // Local state needs no server; remote state needs the full connection.
        let (store, _session) = if location.is_remote() {
            let session = Session::connect(model, &args.server).await?;
            (session.store.clone(), Some(session))
        } else {
            (location.open(None)?, None)
        };
        let described = store.describe();
        match store.force_unlock().await? {
            None => anstream::println!("`{described}` is not locked; nothing to do."),
            Some(holder) => {
                anstream::println!(
                    "Removed the lock on `{described}` held by {}.",
                    holder.describe()
                );
                if matches!(store, StateStore::Local(_)) {
                    anstream::println!(
                        "If that process is still running, stop it: it no longer holds the lock."
                    );
                }
            }
        }
        Ok(ExitStatus::Success)
    })
}
