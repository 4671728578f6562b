//! Serves the simulator's router over HTTPS (HTTP/1.1 only) on a listener
//! the caller bound, with a TLS configuration the caller built. Making
//! certificates is left to the caller.
//!
//! Each connection runs in its own task. A failed or slow TLS handshake is
//! logged at debug and closes only that connection. On shutdown the server
//! stops accepting, asks open connections to finish their current request,
//! and waits up to [`DRAIN_TIMEOUT`] before dropping them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::Simulator;

/// Maximum time a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Maximum time a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Maximum time shutdown waits for open connections to finish.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after a failed `accept`, such as when the process is out of file
/// descriptors, so the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

impl Simulator {
    /// Serves the API over HTTPS on `listener` until `shutdown` completes,
    /// without moving the clock (see [`Simulator::run`] for both).
    ///
    /// Errors from `accept`, handshakes and connections are logged and do
    /// not end the loop.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        tls: Arc<rustls::ServerConfig>,
        shutdown: impl Future<Output = ()>,
    ) {
        let router = self.router();
        let acceptor = TlsAcceptor::from(tls);
        let (stop_sender, stop_receiver) = watch::channel(false);
        let mut connections = JoinSet::new();

        match listener.local_addr() {
            Ok(address) => tracing::info!(%address, "simulator listening"),
            Err(error) => tracing::info!(%error, "simulator listening on an unknown address"),
        }

        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let connection = serve_connection(
                            router.clone(),
                            acceptor.clone(),
                            stream,
                            stop_receiver.clone(),
                        );
                        let span = tracing::debug_span!("connection", %peer);
                        connections.spawn(connection.instrument(span));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "accept failed; retrying");
                        tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                    }
                },
                Some(joined) = connections.join_next(), if !connections.is_empty() => {
                    log_panic(joined);
                }
            }
        }

        tracing::info!(open = connections.len(), "simulator shutting down");
        drop(listener);
        // `send` fails only when no receiver is left. `stop_receiver` is still
        // alive here, so the result carries nothing to act on.
        let _ = stop_sender.send(true);
        drain(connections).await;
    }

    /// Serves the API like [`Simulator::serve`] and advances the clock from
    /// real time like [`Simulator::run_clock`], until `shutdown` completes.
    pub async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        tls: Arc<rustls::ServerConfig>,
        shutdown: impl Future<Output = ()>,
    ) {
        let (stop_clock, clock_stopped) = tokio::sync::oneshot::channel::<()>();
        let clock = tokio::spawn(Arc::clone(&self).run_clock(async {
            let _ = clock_stopped.await;
        }));
        self.serve(listener, tls, shutdown).await;
        let _ = stop_clock.send(());
        if let Err(error) = clock.await {
            tracing::error!(%error, "simulator clock task failed");
        }
    }
}

/// Completes the TLS handshake and serves HTTP/1.1 requests on one
/// connection until the client closes it or shutdown is signalled.
async fn serve_connection(
    router: axum::Router,
    acceptor: TlsAcceptor,
    stream: TcpStream,
    mut stop: watch::Receiver<bool>,
) {
    let tls_stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls_stream)) => tls_stream,
        Ok(Err(error)) => {
            tracing::debug!(%error, "tls handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(
                timeout_s = HANDSHAKE_TIMEOUT.as_secs(),
                "tls handshake timed out"
            );
            return;
        }
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(tls_stream), TowerToHyperService::new(router));
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopping(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.as_mut().await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// Waits up to [`DRAIN_TIMEOUT`] for the connection tasks to end, then
/// aborts the rest.
async fn drain(mut connections: JoinSet<()>) {
    let wait_all = async {
        while let Some(joined) = connections.join_next().await {
            log_panic(joined);
        }
    };
    if tokio::time::timeout(DRAIN_TIMEOUT, wait_all).await.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open after drain timeout; closing them"
        );
        connections.abort_all();
    }
}

/// Completes when shutdown is signalled or the server is gone.
async fn stopping(stop: &mut watch::Receiver<bool>) {
    // The guard returned by `wait_for` is not `Send`, so it is dropped here
    // rather than held across the caller's await.
    let _ = stop.wait_for(|stopping| *stopping).await;
}

fn log_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(error) = joined {
        if error.is_panic() {
            tracing::error!(%error, "connection task panicked");
        }
    }
}
