//! `mjhook serve`: a durable webhook gateway.
//!
//! Every vendor POSTs to `/webhooks/{provider}`. Each delivery is checked
//! with the provider's [`Verifier`](crate::Verifier), decoded into
//! [`JobEvent`](crate::JobEvent)s, and committed to a SQLite store (the raw
//! bytes, the events, the folded [`JobState`](crate::JobState)s and the
//! forward outbox, in one transaction) before it is answered 200. A single
//! writer commits many deliveries per transaction, so a batch costs one
//! fsync. Accepted events are then POSTed to `--forward`, signed as Standard
//! Webhooks, at least once and in order per job; `/jobs` and `/events` serve
//! the stored state to consumers that poll.
//!
//! Built with the `serve` feature; [`run`] is the `mjhook serve` command and
//! [`outbox`] the `mjhook outbox` one.

mod config;
mod forward;
mod http;
mod listen;
mod store;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch, Notify};

pub use config::{LogFormat, OutboxArgs, OutboxCommand, ServeArgs};
pub use forward::Signer;

/// Why the gateway could not start or a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The flags or the environment are inconsistent.
    #[error("{0}")]
    Config(String),
    /// The store could not be opened or migrated.
    #[error("the store {path}: {source}")]
    Store {
        /// The store's file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The store cannot be used by this mjhook (its journal mode, or a
    /// newer schema).
    #[error("{0}")]
    UnusableStore(String),
    /// A store query failed.
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The listener or another socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A part of the server stopped unexpectedly.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    fn store(path: &Path, source: rusqlite::Error) -> Error {
        Error::Store {
            path: path.to_owned(),
            source,
        }
    }

    fn sql(source: rusqlite::Error) -> Error {
        Error::Sql(source)
    }
}

/// Runs `mjhook serve` until SIGTERM or ctrl-c: exit status 0 after a
/// graceful stop, 2 when the flags or the environment are inconsistent (a
/// usage error, said once on stderr), 1 when the server could not start or
/// failed (said in the log).
pub fn run(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    // `MJHOOK_LOG=bogus` parses (as a target to show), and hides the rest.
    let errors_logged = tracing::enabled!(tracing::Level::ERROR);
    if !errors_logged {
        eprintln!(
            "mjhook serve: MJHOOK_LOG hides mjhook's own errors (it takes levels such as `info` or `mjhook=debug`); the reason for stopping is printed here all the same"
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "cannot start the async runtime");
            if !errors_logged {
                eprintln!("mjhook serve: cannot start the async runtime: {err}");
            }
            return ExitCode::FAILURE;
        }
    };
    let mut lock = None;
    let served = runtime.block_on(serve(args, &mut lock));
    // A forwarder still sending is stopped here; only then may another
    // server take the store.
    drop(runtime);
    drop(lock);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Config(reason)) => {
            eprintln!("mjhook serve: {reason}");
            ExitCode::from(2)
        }
        // The log is on stderr, in the format asked for: one line says it.
        Err(err) => {
            tracing::error!(error = %err, "mjhook serve stopped");
            if !errors_logged {
                eprintln!("mjhook serve stopped: {err}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Runs `mjhook outbox …`: exit status 0, or 1 with the reason on stderr.
pub fn outbox(args: OutboxArgs) -> ExitCode {
    match args.command {
        OutboxCommand::Retry { store } => match outbox_retry(&store) {
            Ok(count) => {
                use std::io::Write as _;
                let said = writeln!(std::io::stdout(), "{count} dead letters queued again")
                    .and_then(|()| std::io::stdout().flush());
                match said {
                    // Whoever reads stdout went away: the work is done all the same.
                    Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                        eprintln!("mjhook: writing output: {err}");
                        ExitCode::FAILURE
                    }
                    _ => ExitCode::SUCCESS,
                }
            }
            Err(err) => {
                eprintln!("mjhook: {err}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Queues every dead letter of the store for delivery again, with its attempt
/// count reset; returns how many. A running server picks them up within a
/// minute, the next one at start.
pub fn outbox_retry(store: &Path) -> Result<usize, Error> {
    if !store.exists() {
        return Err(Error::Config(format!(
            "the store {} does not exist",
            store.display()
        )));
    }
    let conn = store::open(store, true, store::IfNew::Refuse)?;
    Ok(store::requeue_dead(&conn)?)
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("MJHOOK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second call (tests, embedding) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A delivery waiting for the writer, and where to send its receipt.
struct Job {
    delivery: store::Delivery,
    reply: oneshot::Sender<Result<store::Receipt, String>>,
}

enum Message {
    Deliver(Job),
    Prune(i64),
}

/// How many deliveries one transaction commits at most.
const BATCH: usize = 512;

/// Serves until a stop signal. `lock` receives the store's lock, which the
/// caller keeps until the runtime, and every store call on it, has ended.
async fn serve(args: ServeArgs, lock: &mut Option<store::ServeLock>) -> Result<(), Error> {
    let config = config::Config::from_args(&args)?;
    let handle = http::metrics_handle()?;
    if args.bare {
        let listener = bind(config.listen).await?;
        let stop = shutdown_signal();
        tracing::info!(addr = %listener.local_addr()?, bare = true, "listening");
        listen::serve(listener, http::bare_router(), stop).await;
        return Ok(());
    }

    // The writer, checkpoints, reads and the forwarder each have a connection.
    let open_store = || store::open(&config.store, !config.no_fsync, store::IfNew::Create);
    let mut writer_conn = open_store()?;
    *lock = store::lock_for_serve(&writer_conn, &config.store)?;
    let instance = store::instance(&writer_conn)?;
    // Checkpoints copy the log into the database and fsync both; done by the
    // writer they would stall every delivery waiting behind the commit, so a
    // thread of its own does them.
    writer_conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let checkpoints = open_store()?;
    let reader = Arc::new(Mutex::new(open_store()?));
    if config.providers.is_empty() {
        tracing::warn!("no provider has a secret, a token or --insecure-accept: every delivery will be refused");
    }
    for (provider, auth) in &config.providers {
        if matches!(auth, config::Auth::Insecure) {
            tracing::warn!(%provider, "accepting deliveries without an authenticity check (--insecure-accept)");
        }
    }

    let (queue, mut inbox) = mpsc::channel::<Message>(4 * BATCH);
    let wake = Arc::new(Notify::new());
    let forwarding = config.forward.is_some();
    let writer_wake = Arc::clone(&wake);
    let writer = std::thread::Builder::new()
        .name("mjhook-writer".into())
        .spawn(move || {
            let forward_instance = forwarding.then_some(instance.as_str());
            write_loop(&mut writer_conn, &mut inbox, forward_instance, &writer_wake);
        })?;

    let (stop_tx, stop_rx) = watch::channel(false);
    {
        let mut stop = stop_rx.clone();
        let checkpoints = Arc::new(Mutex::new(checkpoints));
        tokio::spawn(async move {
            const EVERY: Duration = Duration::from_millis(500);
            // Failing checkpoints (a full disk) are tried less and less often,
            // so that their warnings do not fill the disk further.
            let mut wait = EVERY;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                let conn = Arc::clone(&checkpoints);
                let done = forward::blocking(move || {
                    forward::lock(&conn).query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                })
                .await;
                match done {
                    Ok(()) if wait > EVERY => {
                        tracing::info!("checkpoints of the store work again");
                        wait = EVERY;
                    }
                    Ok(()) => {}
                    Err(err) => {
                        wait = (wait * 2).min(Duration::from_secs(30));
                        tracing::warn!(error = %err, retry_in_ms = wait.as_millis() as u64, "a checkpoint of the store failed");
                    }
                }
            }
        });
    }
    let forwarder = config.forward.clone().map(|forward| {
        let conn = open_store().map(|conn| Arc::new(Mutex::new(conn)));
        conn.map(|conn| {
            tokio::spawn(
                forward::Forwarder {
                    config: forward,
                    conn,
                    wake: Arc::clone(&wake),
                    stop: stop_rx.clone(),
                }
                .run(),
            )
        })
    });
    let forwarder = forwarder.transpose()?;

    if let Some(retain) = config.retain {
        let queue = queue.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(
                Duration::from_secs(60).min(retain.max(Duration::from_secs(1))),
            );
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => return,
                }
                let before =
                    store::now_ms() - i64::try_from(retain.as_millis()).unwrap_or(i64::MAX / 2);
                if queue.send(Message::Prune(before)).await.is_err() {
                    return;
                }
            }
        });
    }
    {
        let handle = handle.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(5)) => handle.run_upkeep(),
                    _ = stop.changed() => return,
                }
            }
        });
    }

    let state = http::AppState::new(&config, queue, reader, handle);
    let listener = bind(config.listen).await?;
    let stop = shutdown_signal();
    tracing::info!(
        addr = %listener.local_addr()?,
        store = %config.store.display(),
        providers = %config.providers.keys().map(|provider| provider.as_str()).collect::<Vec<_>>().join(","),
        forward = config.forward.as_ref().map(|forward| forward.url.as_str()),
        "listening"
    );
    listen::serve(listener, http::router(state), stop).await;
    // Every handler has returned, so every queued delivery has its answer;
    // the router's last queue sender went with it, which ends the writer.
    tracing::info!("stopping: in-flight deliveries committed");
    let _ = stop_tx.send(true);
    let joined = tokio::task::spawn_blocking(move || writer.join()).await;
    if let Some(forwarder) = forwarder {
        let _ = tokio::time::timeout(Duration::from_secs(5), forwarder).await;
    }
    match joined {
        Ok(Ok(())) => {}
        _ => return Err(Error::Internal("the store writer failed".into())),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        Error::Io(std::io::Error::new(
            err.kind(),
            format!("cannot listen on {addr}: {err}"),
        ))
    })
}

/// Catches SIGTERM and ctrl-c from now on, and resolves at the first. The
/// handlers are set up before the future is awaited: a stop sent the moment
/// the log says "listening" must stop the server gracefully, not kill it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        [SignalKind::interrupt(), SignalKind::terminate()].map(|kind| signal(kind).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let [interrupt, terminate] = signals.map(|signal| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            });
            tokio::select! {
                () = interrupt => {}
                () = terminate => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested: no new connections; finishing in-flight requests");
    }
}

/// The single writer: drains the queue, commits each batch in one
/// transaction, then answers every delivery of the batch.
fn write_loop(
    conn: &mut rusqlite::Connection,
    inbox: &mut mpsc::Receiver<Message>,
    forward_instance: Option<&str>,
    wake: &Notify,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
    while let Some(first) = inbox.blocking_recv() {
        let mut prune = None;
        let mut take = |message: Message, batch: &mut Vec<Job>| match message {
            Message::Deliver(job) => batch.push(job),
            Message::Prune(before) => prune = Some(before),
        };
        take(first, &mut batch);
        while batch.len() < BATCH {
            match inbox.try_recv() {
                Ok(message) => take(message, &mut batch),
                Err(_) => break,
            }
        }
        if let Some(before) = prune {
            match store::prune(conn, before) {
                Ok(0) => {}
                Ok(count) => {
                    tracing::info!(count, "dropped the raw bytes of old deliveries (--retain)")
                }
                Err(err) => tracing::error!(error = %err, "cannot prune old deliveries"),
            }
        }
        if batch.is_empty() {
            continue;
        }
        let started = Instant::now();
        let size = batch.len();
        let mut outcome = store::BatchOutcome::default();
        let committed = commit(conn, &batch, forward_instance, &mut outcome);
        let elapsed = started.elapsed();
        metrics::histogram!("mjhook_commit_batch_size").record(size as f64);
        metrics::histogram!("mjhook_commit_seconds").record(elapsed.as_secs_f64());
        match committed {
            Ok(receipts) => {
                for (job, receipt) in batch.drain(..).zip(receipts) {
                    let _ = job.reply.send(receipt);
                }
                if outcome.outbox_rows > 0 {
                    wake.notify_one();
                }
                metrics::counter!("mjhook_dead_letters_total")
                    .increment(outcome.dead_on_arrival as u64);
            }
            Err(err) => {
                tracing::error!(error = %err, deliveries = size, "a commit failed; its deliveries are answered 503 and not stored");
                let message = err.to_string();
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

fn commit(
    conn: &mut rusqlite::Connection,
    batch: &[Job],
    forward_instance: Option<&str>,
    outcome: &mut store::BatchOutcome,
) -> rusqlite::Result<Vec<Result<store::Receipt, String>>> {
    let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let received_at = store::now_ms();
    let mut receipts = Vec::with_capacity(batch.len());
    for job in batch {
        // One failing delivery must not sink the batch: its savepoint undoes
        // just its writes, and it alone is answered with the error.
        let savepoint = tx.savepoint()?;
        match store::write_delivery(
            &savepoint,
            &job.delivery,
            received_at,
            forward_instance,
            outcome,
        ) {
            Ok(receipt) => {
                savepoint.commit()?;
                receipts.push(Ok(receipt));
            }
            Err(err) => {
                drop(savepoint);
                tracing::error!(error = %err, provider = %job.delivery.provider, "cannot store a delivery");
                receipts.push(Err(err.to_string()));
            }
        }
    }
    tx.commit()?;
    Ok(receipts)
}
