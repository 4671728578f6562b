//! [`EndpointServer`]: the TCP listener, one task per accepted connection,
//! the registry of connected backup servers and shutdown.
//!
//! The registry is a map behind one mutex. It is locked only when a
//! connection is established or ends and when the application lists or
//! looks up connections, so calls and notifications never wait for it. What each connection does is left to
//! [`handshake`](crate::handshake) and [`connection`](crate::connection).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::config::EndpointConfig;
use crate::connection::{self, RunEnv};
use crate::event::{DisconnectReason, Event};
use crate::handle::{BackupServer, ConnectionShared};
use crate::handshake::{self, Accepted};
use crate::notifications::{NotificationIds, Notifications, ReceivedNotification};
use crate::validator::TokenValidator;

/// Capacity of the lifecycle event channel.
const EVENT_CAPACITY: usize = 1024;

/// Pause after a failed `accept`, such as when the process is out of file
/// descriptors, so the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// State shared by the accept loop and every connection task.
pub(crate) struct ServerShared {
    pub(crate) config: EndpointConfig,
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) validator: Box<dyn TokenValidator>,
    registry: Mutex<HashMap<u64, BackupServer>>,
    events: broadcast::Sender<Event>,
    /// Taken at shutdown, so the notification stream can end.
    notifications: Mutex<Option<mpsc::Sender<ReceivedNotification>>>,
    shutdown: CancellationToken,
    next_id: AtomicU64,
}

impl ServerShared {
    fn registry(&self) -> MutexGuard<'_, HashMap<u64, BackupServer>> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn notification_sender(&self) -> Option<mpsc::Sender<ReceivedNotification>> {
        self.notifications
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Owned by the [`EndpointServer`] handles only; dropping the last one stops
/// the server.
struct ServerInner {
    local_addr: SocketAddr,
    shared: Arc<ServerShared>,
    notifications: Mutex<Option<Notifications>>,
    tasks: TaskTracker,
}

impl Drop for ServerInner {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

/// A WebSocket server that accepts NBWSS connections from backup servers.
///
/// Cloning gives another handle on the same server. [`shutdown`] on any
/// handle stops it, and so does dropping the last handle.
///
/// [`shutdown`]: EndpointServer::shutdown
#[derive(Clone)]
pub struct EndpointServer {
    inner: Arc<ServerInner>,
}

impl std::fmt::Debug for EndpointServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointServer")
            .field("local_addr", &self.inner.local_addr)
            .finish_non_exhaustive()
    }
}

impl EndpointServer {
    /// Binds `addr` and starts accepting connections over TLS with `tls`.
    ///
    /// Each CONNECT token is checked with `validator`.
    pub async fn bind(
        addr: SocketAddr,
        tls: Arc<rustls::ServerConfig>,
        validator: impl TokenValidator,
        config: EndpointConfig,
    ) -> io::Result<EndpointServer> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let (notification_sender, notification_receiver) =
            mpsc::channel(config.notification_queue.max(1));
        let shared = Arc::new(ServerShared {
            config,
            acceptor: TlsAcceptor::from(tls),
            validator: Box::new(validator),
            registry: Mutex::new(HashMap::new()),
            events,
            notifications: Mutex::new(Some(notification_sender)),
            shutdown: CancellationToken::new(),
            next_id: AtomicU64::new(1),
        });
        let tasks = TaskTracker::new();
        tasks.spawn(accept_loop(listener, shared.clone(), tasks.clone()));
        tracing::info!(addr = %local_addr, "endpoint listening");
        Ok(EndpointServer {
            inner: Arc::new(ServerInner {
                local_addr,
                shared,
                notifications: Mutex::new(Some(Notifications::new(notification_receiver))),
                tasks,
            }),
        })
    }

    /// Returns the address the server listens on, with the real port when
    /// bound to port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Returns the configuration the server runs with.
    pub fn config(&self) -> &EndpointConfig {
        &self.inner.shared.config
    }

    /// Returns the backup servers connected now, in no particular order.
    pub fn connections(&self) -> Vec<BackupServer> {
        self.inner.shared.registry().values().cloned().collect()
    }

    /// Returns the connected backup server with connection id `id`, if any.
    pub fn connection(&self, id: u64) -> Option<BackupServer> {
        self.inner.shared.registry().get(&id).cloned()
    }

    /// Subscribes to connection events from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.inner.shared.events.subscribe()
    }

    /// Takes the stream of received notifications. Only the first call gets
    /// it; later calls return `None`. Until the stream is taken and read,
    /// notifications wait in a queue of
    /// [`EndpointConfig::notification_queue`] entries, and once it is full
    /// they stay unacknowledged.
    pub fn notifications(&self) -> Option<Notifications> {
        self.inner
            .notifications
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Stops accepting, closes every connection with 1001 and waits until
    /// all connection tasks are done. Each connection's closing handshake
    /// is bounded by the close timeout.
    pub async fn shutdown(self) {
        let inner = &self.inner;
        tracing::info!(addr = %inner.local_addr, "endpoint shutting down");
        inner.shared.shutdown.cancel();
        inner.tasks.close();
        inner.tasks.wait().await;
        inner
            .shared
            .notifications
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<ServerShared>, tasks: TaskTracker) {
    loop {
        let accepted = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let conn_id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                let span = tracing::info_span!("connection", conn_id, %peer);
                let task = serve(tcp, peer, conn_id, shared.clone());
                tasks.spawn(task.instrument(span));
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
            }
        }
    }
}

/// Runs one connection from TCP accept to its end.
async fn serve(tcp: TcpStream, peer: SocketAddr, conn_id: u64, shared: Arc<ServerShared>) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "TCP_NODELAY not set");
    }
    let accepted = tokio::select! {
        () = shared.shutdown.cancelled() => None,
        accepted = handshake::accept(tcp, &shared) => accepted,
    };
    let Some(Accepted { ws, connect }) = accepted else {
        return;
    };
    let Some(notifications) = shared.notification_sender() else {
        return;
    };
    // TODO: this queue has no bound in count or bytes, so a backup server
    // that stops reading while resending acknowledged notification ids
    // grows it until the connection closes; bound it like the service's
    // session queue and close the connection when it fills.
    let (outbound, outbound_rx) = mpsc::unbounded_channel();
    let server = BackupServer {
        shared: Arc::new(ConnectionShared {
            id: conn_id,
            peer,
            connect,
            connected_at: SystemTime::now(),
            default_call_timeout: shared.config.default_call_timeout,
            outbound,
            pending: Mutex::new(HashMap::new()),
            notification_ids: Mutex::new(NotificationIds::new(
                shared.config.recent_notification_ids,
            )),
            closing: CancellationToken::new(),
            ended: CancellationToken::new(),
        }),
    };
    let env = RunEnv {
        ping_interval: shared.config.ping_interval,
        close_timeout: shared.config.close_timeout,
        shutdown: shared.shutdown.clone(),
        notifications,
        queue_full_reported: AtomicBool::new(false),
    };
    shared.registry().insert(conn_id, server.clone());
    tracing::info!(
        server_name = server.server_name().unwrap_or(""),
        "backup server connected"
    );
    let _ = shared.events.send(Event::Connected(server.clone()));

    let reason = connection::run(ws, &server, outbound_rx, &env).await;

    shared.registry().remove(&conn_id);
    log_disconnect(&reason);
    server.shared.ended.cancel();
    let _ = shared.events.send(Event::Disconnected { conn_id, reason });
}

fn log_disconnect(reason: &DisconnectReason) {
    match reason {
        DisconnectReason::MessageTooLarge { size, max_size } => {
            tracing::info!(size, max_size, %reason, "backup server disconnected");
        }
        _ => tracing::info!(%reason, "backup server disconnected"),
    }
}
