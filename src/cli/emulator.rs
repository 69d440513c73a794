//! `grokform emulator`: runs the built-in Datagrok server in the foreground until Ctrl-C.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::emulator::{DEFAULT_API_KEY, Emulator, EmulatorConfig, FaultRule, RefusalRule};

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port to listen on; 0 picks a free one (the URL is printed).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,

    /// Address to listen on. Anything but loopback exposes the server to the network.
    #[arg(long, value_name = "IP", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,

    /// Keep everything in DIR across restarts (created if missing); without it, data lives
    /// in a temporary folder removed on exit.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// An API key to accept (repeatable); without any, the public demo key `grokform-local`.
    #[arg(
        long = "api-key",
        value_name = "KEY",
        env = "GROKFORM_EMULATOR_API_KEY",
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,

    /// A group to add to the built-in directory (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,

    /// A fault to inject (repeatable): `[METHOD] [/PATH-PREFIX] KIND [count=N]`, KIND one of
    /// `latency=MS`, `status=CODE [retry-after=SECS]`, `drop`, `commit-then-fail`,
    /// `random=RATE [seed=N]`. Example: `POST /public/v1/dashboards status=503 count=2`.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<FaultRule>,

    /// Refuse internal routes (repeatable), to test a client's fallbacks:
    /// `ROUTE[,ROUTE…][=404|403|api-error|ignore]`, ROUTE `internal` (all) or one of `server-info`,
    /// `projects-read`, `projects-save`, `projects-delete`, `layouts-read`, `layouts-save`,
    /// `views-read`, `entities-read`, `permissions-read`, `permissions-grant`,
    /// `permissions-revoke`, `tables-read`, `tables-delete`. The default answer is the HTML 404
    /// of an unknown route; `ignore` answers a save with success and does nothing. Example:
    /// `projects-delete,tables-delete=403`.
    #[arg(long = "refuse", value_name = "SPEC")]
    pub refusals: Vec<RefusalRule>,
}

pub fn run(args: Args) -> miette::Result<ExitStatus> {
    let default_key = args.api_keys.is_empty();
    let config = EmulatorConfig {
        bind: SocketAddr::new(args.bind, args.port),
        data_dir: args.data.clone(),
        api_keys: if default_key {
            vec![DEFAULT_API_KEY.to_owned()]
        } else {
            args.api_keys
        },
        groups: args.groups,
        faults: args.faults.clone(),
        refusals: args.refusals.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| miette::miette!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let emulator = Emulator::start(config).await?;
        let mut out = anstream::stdout();
        if default_key && !args.bind.is_loopback() {
            anstream::eprintln!(
                "warning: listening on `{}` with the public demo key: anyone who can reach this \
                 port can read and write its data; pass `--api-key`",
                args.bind
            );
        }
        // the URL line comes first and alone, so scripts can read it
        let _ = writeln!(out, "grokform emulator listening on {}", emulator.url());
        if default_key {
            let _ = writeln!(
                out,
                "api key: `{DEFAULT_API_KEY}` (the default demo key; pass `--api-key` to choose one)"
            );
        } else {
            let _ = writeln!(out, "api key: as given with `--api-key` (not shown)");
        }
        match &args.data {
            Some(dir) => {
                let _ = writeln!(out, "data: {}", dir.display());
            }
            None => {
                let _ = writeln!(out, "data: in a temporary folder, removed on exit (use `--data DIR` to keep it)");
            }
        }
        for fault in &args.faults {
            let _ = writeln!(out, "fault: {}", serde_json::to_string(fault).unwrap_or_default());
        }
        for refusal in &args.refusals {
            let _ = writeln!(out, "refuse: {}", serde_json::to_string(refusal).unwrap_or_default());
        }
        let _ = writeln!(out, "inspect: {}/_emulator/inspect; stop with Ctrl-C", emulator.url().trim_end_matches("/api"));
        let _ = out.flush();
        wait_for_stop().await;
        drop(emulator);
        Ok::<_, miette::Report>(())
    })?;
    Ok(ExitStatus::Success)
}

/// Waits for Ctrl-C, or SIGTERM where there is one (CI stops services with it).
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
