//! Serving the router's connections: HTTP/1.1 with a deadline for each
//! request's headers, and a bounded drain at shutdown.
//!
//! axum::serve leaves hyper without a timer, so a client that opens a
//! connection and never finishes its headers holds it (and a graceful
//! shutdown) forever; here hyper times it out, and shutdown waits for open
//! connections only so long.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// How long shutdown waits for open connections to finish their requests
/// before it closes them: as long as a request may take to arrive.
const DRAIN: Duration = super::http::REQUEST_TIMEOUT;

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (for at most [`DRAIN`]). When it returns, no
/// connection holds the router any more: the store's writer, fed through
/// it, can end.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(super::http::REQUEST_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, mostly: wait for some to close.
                    tracing::warn!(error = %err, "cannot accept a connection; trying again in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            // Reaps finished connections, so that the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {
            tracing::warn!(
                open = connections.len(),
                "connections still open {} s after shutdown began are closed",
                DRAIN.as_secs()
            );
        }
    }
    connections.shutdown().await;
}
