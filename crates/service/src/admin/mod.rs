//! The admin HTTP API on `admin.listen`: the endpoint registry, status,
//! health, readiness, metrics, API keys, secrets, reload and the OpenAPI
//! document.
//!
//! Layout: [`routes`] is the one table of routes, permissions and handlers
//! that both the router and the OpenAPI test read; `auth.rs` checks the
//! `Authorization: Bearer` API key; `error.rs` is the single error shape
//! `{"error": {"code", "message"}}`; one file per resource holds its
//! handlers. Every response is JSON except `/healthz` and `/metrics`.
//!
//! Left to others: connecting to endpoints (the connection manager reacts to
//! registry changes), storing records and keys (`nbwss-store`), parsing
//! details (`nbwss-protocol`) and the notification outbox. The API has no
//! TLS of its own, so it is meant for loopback or a trusted network.

mod add;
mod api_keys;
mod auth;
mod body;
mod error;
mod fetch;
mod health;
mod notifications;
pub mod openapi;
mod probe;
mod reload;
pub mod routes;
mod schemas;
mod secrets;
mod servers;
mod state;
mod status;
mod validate;
pub mod views;

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{error, info};

pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use reload::{LogLevelHook, reload_config};
pub use state::{AdminContext, AdminState};

use crate::shutdown::Shutdown;

/// Name of the administrator key file in the data directory.
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Why the admin API could not start.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The listening socket could not be bound, often because another
    /// process uses the port. Change `admin.listen` or stop that process.
    #[error("failed to listen on admin.listen {addr}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The socket error.
        #[source]
        source: io::Error,
    },
}

/// The running admin API server.
pub struct AdminServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Binds the listening socket, so that a busy port fails the start
    /// before anything else runs.
    pub async fn bind(addr: SocketAddr) -> Result<TcpListener, AdminError> {
        TcpListener::bind(addr)
            .await
            .map_err(|source| AdminError::Bind { addr, source })
    }

    /// Serves the admin API on `listener` until `shutdown` triggers.
    pub fn start(listener: TcpListener, state: AdminState, shutdown: Shutdown) -> AdminServer {
        let addr = listener.local_addr().unwrap_or_else(|error| {
            // Only a socket that is already closed has no local address.
            error!(%error, "failed to read the admin API address");
            SocketAddr::from(([0, 0, 0, 0], 0))
        });
        info!(%addr, "admin API listening");
        let app = routes::router(state);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { shutdown.wait().await })
                .await;
            if let Err(error) = served {
                error!(%error, "admin API server failed");
            }
        });
        AdminServer { addr, task }
    }

    /// The bound address; its port is the real one when `admin.listen`
    /// asked for port 0.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the server task to end after the shutdown signal, so the
    /// store it holds is released.
    pub async fn stopped(self) {
        if let Err(error) = self.task.await {
            error!(%error, "admin API task failed");
        }
    }
}
