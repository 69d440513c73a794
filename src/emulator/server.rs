//! The running server and its handle: an accept loop of our own (so a fault can drop a single
//! connection without answering), started on the caller's tokio runtime or on a background
//! thread for synchronous tests, and stopped when the handle drops.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::app::{App, RequestLog, RequestRecord};
use super::config::EmulatorConfig;
use super::directory::Directory;
use super::error::EmulatorError;
use super::fault::{FaultRule, FaultSet};
use super::functions::{FunctionBody, Functions};
use super::refusal::{RefusalRule, Refusals};
use super::routes;
use super::store::Store;

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish()
    }
}

fn build_app(config: &EmulatorConfig) -> Result<Arc<App>, EmulatorError> {
    let store = Store::open(config.data_dir.as_deref())?;
    let mut faults = FaultSet::default();
    for rule in &config.faults {
        faults.add(rule.clone());
    }
    let mut refusals = Refusals::default();
    for rule in &config.refusals {
        refusals.add(rule);
    }
    Ok(Arc::new(App {
        api_keys: config.api_keys.clone(),
        directory: Directory::new(&config.groups),
        store,
        functions: Functions::default(),
        faults: Mutex::new(faults),
        refusals: Mutex::new(refusals),
        requests: Mutex::new(RequestLog::default()),
    }))
}

fn bind_std(addr: SocketAddr) -> Result<std::net::TcpListener, EmulatorError> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| EmulatorError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    Ok(listener)
}

impl Emulator {
    /// Starts the server on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        // opening the store touches the disk and may wait for a data folder's lock
        let app = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || build_app(&config))
                .await
                .map_err(|e| EmulatorError::Runtime(std::io::Error::other(e)))??
        };
        let std_listener = bind_std(config.bind)?;
        let addr = std_listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: config.bind,
                source,
            })?;
        let listener =
            TcpListener::from_std(std_listener).map_err(|source| EmulatorError::Bind {
                addr: config.bind,
                source,
            })?;
        let (shutdown, receiver) = watch::channel(false);
        let task = tokio::spawn(serve(listener, Arc::clone(&app), receiver));
        Ok(Self {
            addr,
            app,
            shutdown,
            task: Some(task),
            thread: None,
        })
    }

    /// Starts the server on a background thread with its own runtime (for synchronous code).
    pub fn start_blocking(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let app = build_app(&config)?;
        let std_listener = bind_std(config.bind)?;
        let addr = std_listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: config.bind,
                source,
            })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("grokform-emulator")
            .enable_all()
            .build()
            .map_err(EmulatorError::Runtime)?;
        let (shutdown, receiver) = watch::channel(false);
        let served = Arc::clone(&app);
        let thread = std::thread::Builder::new()
            .name("grokform-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(std_listener) {
                        Ok(listener) => serve(listener, served, receiver).await,
                        Err(_) => drop(served),
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(EmulatorError::Runtime)?;
        Ok(Self {
            addr,
            app,
            shutdown,
            task: None,
            thread: Some(thread),
        })
    }

    /// The API's base URL, ending in `/api`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The folder holding the emulator's data (the data folder, or its private temp folder).
    pub fn data_dir(&self) -> PathBuf {
        self.app.store.root().to_path_buf()
    }

    /// Everything held, as `GET /_emulator/inspect` shows it.
    pub fn inspect(&self) -> serde_json::Value {
        self.app.store.inspect()
    }

    /// Every API request so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.app.requests().snapshot()
    }

    /// Adds a fault rule after the active ones.
    pub fn add_fault(&self, rule: FaultRule) {
        self.app.faults().add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.app.faults().clear();
    }

    /// Refuses the rule's internal routes from now on.
    pub fn refuse(&self, rule: &RefusalRule) {
        self.app.refusals().add(rule);
    }

    /// Serves every internal route again.
    pub fn clear_refusals(&self) {
        self.app.refusals().clear();
    }

    /// Registers (or replaces) a function callable as `name` (`Package:Function` or bare).
    pub fn register_function(
        &self,
        name: &str,
        body: impl Fn(&serde_json::Map<String, serde_json::Value>) -> Result<serde_json::Value, String>
        + Send
        + Sync
        + 'static,
    ) {
        let body: FunctionBody = Arc::new(body);
        self.app.functions.register(name, body);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until shut down; each connection is served by hyper on its own task,
/// which ends early when a fault asks to drop it.
async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // out of descriptors or similar: back off instead of spinning
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = Arc::clone(&app);
                let mut shutdown = shutdown.clone();
                connections.spawn(async move {
                    let kill = Arc::new(Notify::new());
                    let service_kill = Arc::clone(&kill);
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let app = Arc::clone(&app);
                        let kill = Arc::clone(&service_kill);
                        async move {
                            Ok::<_, Infallible>(routes::handle(app, kill, req.map(Body::new)).await)
                        }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = connection => {}
                        _ = kill.notified() => {}
                        _ = shutdown.changed() => {}
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}
