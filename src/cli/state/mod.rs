//! `grokform state list|show|rm|mv`: look at and reshape the state by hand, without touching
//! the server's objects. Reading needs no lock; writing takes the lock and goes through the
//! store's ordinary save (next serial, backup kept), for local and remote state alike.

mod read;
mod write;

use clap::{Subcommand, ValueEnum};

use super::session::{self, ServerArgs, Session};
use super::{ExitStatus, ManifestArgs};
use crate::address::{Address, Kind};
use crate::state::{State, StateLocation, StateStore};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: StateCommand,
}

/// Where the state is: the manifest (and its environment), and the server for remote state.
#[derive(Debug, clap::Args)]
pub struct Where {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Where the server is, for state kept on it (`state: { backend: datagrok }`).
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the addresses in the state, sorted.
    List {
        /// Only addresses of this kind.
        #[arg(long, value_enum, value_name = "KIND")]
        kind: Option<KindArg>,
        #[command(flatten)]
        at: Where,
    },
    /// Show what the state records for ADDRESS.
    Show {
        /// The address, e.g. `dashboard.overview`.
        address: Address,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
        format: ShowFormat,
        #[command(flatten)]
        at: Where,
    },
    /// Stop managing ADDRESS… (a dashboard takes its shares along); the server keeps the
    /// objects, and the next plan offers to create them again while the manifest has them.
    Rm {
        /// The addresses to forget.
        #[arg(required = true, value_name = "ADDRESS")]
        addresses: Vec<Address>,
        #[command(flatten)]
        at: Where,
    },
    /// Rename FROM to TO in the state (same kind, TO not in the state yet); a dashboard's
    /// shares follow it. Nothing is sent to the server's objects.
    Mv {
        /// The address in the state now, e.g. `dashboard.old`.
        from: Address,
        /// The address it gets, e.g. `dashboard.new`.
        to: Address,
        #[command(flatten)]
        at: Where,
    },
}

/// The kinds `state list --kind` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    File,
    Table,
    Dashboard,
    Share,
    Call,
}

impl From<KindArg> for Kind {
    fn from(kind: KindArg) -> Kind {
        match kind {
            KindArg::File => Kind::File,
            KindArg::Table => Kind::Table,
            KindArg::Dashboard => Kind::Dashboard,
            KindArg::Share => Kind::Share,
            KindArg::Call => Kind::Call,
        }
    }
}

/// The formats `state show` prints in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// `key = value` lines.
    Human,
    /// The state's record as JSON, with its address.
    Json,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    match args.command {
        StateCommand::List { kind, at } => with_store(at, |ctx| async move {
            read::list(&ctx, kind.map(Kind::from)).await
        }),
        StateCommand::Show {
            address,
            format,
            at,
        } => with_store(
            at,
            |ctx| async move { read::show(&ctx, &address, format).await },
        ),
        StateCommand::Rm { addresses, at } => {
            with_store(at, |ctx| async move { write::rm(&ctx, &addresses).await })
        }
        StateCommand::Mv { from, to, at } => {
            with_store(at, |ctx| async move { write::mv(&ctx, &from, &to).await })
        }
    }
}

/// An opened state store and what the commands need around it.
pub struct Context {
    pub store: StateStore,
    pub lock_timeout: std::time::Duration,
    /// The connection for remote state (kept alive while the command runs).
    pub session: Option<Session>,
}

impl Context {
    /// The stored state, `None` when there is none yet; for remote state, checked to belong
    /// to the server it was read from.
    pub async fn load(&self) -> miette::Result<Option<State>> {
        let state = self.store.load().await?;
        if let (Some(state), Some(session)) = (&state, &self.session) {
            crate::state::check_server(state, &session.server)?;
        }
        Ok(state)
    }
}

/// Opens the state store `at` names (connecting only for remote state) and runs `command`.
fn with_store<F, Fut>(at: Where, command: F) -> miette::Result<ExitStatus>
where
    F: FnOnce(Context) -> Fut,
    Fut: std::future::Future<Output = miette::Result<ExitStatus>>,
{
    let model = session::load_model(&at.manifest, &super::SourceArgs::default(), false)?;
    session::runtime()?.block_on(async move {
        let location = StateLocation::new(&model.root, model.environment.as_deref(), &model.state);
        let lock_timeout = at.server.lock_timeout;
        // Local state needs no server; remote state needs the full connection.
        let context = if location.is_remote() {
            let session = Session::connect(model, &at.server).await?;
            Context {
                store: session.store.clone(),
                lock_timeout,
                session: Some(session),
            }
        } else {
            Context {
                store: location.open(None)?,
                lock_timeout,
                session: None,
            }
        };
        command(context).await
    })
}
