//! The life of an established connection: one reader and one writer,
//! running side by side on the connection's task.
//!
//! The writer owns the sending half of the socket. It sends what handles
//! queue (COMMAND REQUESTs, acknowledgements, a close), the endpoint's pings,
//! and the close frames that the reader or a shutdown requests. When it stops, it
//! closes the queue and fails every waiting call, so calls fail fast. The
//! reader owns the receiving half and hands each message to
//! [`inbound`](crate::inbound). Tungstenite sends the pongs for the service's pings
//! while the reader reads. The CONNECT exchange is left to
//! [`handshake`](crate::handshake) and the registry to
//! [`server`](crate::server).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_util::sync::CancellationToken;

use crate::closing::{
    self, CloseRequest, Framing, GOING_AWAY, NORMAL, ReadFailure, UNSUPPORTED_DATA, WsStream,
};
use crate::event::DisconnectReason;
use crate::handle::{BackupServer, Outbound};
use crate::inbound;
use crate::notifications::ReceivedNotification;

/// Ping intervals in a row without any message from the service after
/// which the endpoint closes the connection as dead.
pub const MAX_MISSED_PONGS: u32 = 2;

type WsSink = SplitSink<WsStream, WsMessage>;
type WsSource = SplitStream<WsStream>;

/// Settings and channels a connection gets from its server.
pub(crate) struct RunEnv {
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) close_timeout: Duration,
    pub(crate) shutdown: CancellationToken,
    pub(crate) notifications: mpsc::Sender<ReceivedNotification>,
    /// Whether a full notification queue was already logged as a warning.
    pub(crate) queue_full_reported: AtomicBool,
}

/// Coordination between the reader and the writer of one connection.
struct Link {
    /// The first reason recorded wins.
    reason: Mutex<Option<DisconnectReason>>,
    /// The close frame the reader asked the writer to send.
    close_frame: Mutex<Option<CloseFrame>>,
    close_requested: CancellationToken,
    framing_broken: AtomicBool,
    reader_done: CancellationToken,
    writer_done: CancellationToken,
    /// Whether anything arrived since the last ping.
    alive: AtomicBool,
}

impl Link {
    fn new() -> Self {
        Link {
            reason: Mutex::new(None),
            close_frame: Mutex::new(None),
            close_requested: CancellationToken::new(),
            framing_broken: AtomicBool::new(false),
            reader_done: CancellationToken::new(),
            writer_done: CancellationToken::new(),
            alive: AtomicBool::new(true),
        }
    }

    fn record(&self, reason: DisconnectReason) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(reason);
    }

    fn reason(&self) -> Option<DisconnectReason> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asks the writer to send `close`; the first request wins.
    fn request_close(&self, close: CloseRequest) {
        self.record(close.reason);
        if close.framing == Framing::Broken {
            self.framing_broken.store(true, Ordering::Relaxed);
        }
        let mut frame = self
            .close_frame
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !self.close_requested.is_cancelled() {
            *frame = Some(close.frame);
            self.close_requested.cancel();
        }
    }

    fn take_close_frame(&self) -> Option<CloseFrame> {
        self.close_frame
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Serves an established connection until it ends and returns why.
pub(crate) async fn run(
    ws: WsStream,
    server: &BackupServer,
    outbound: mpsc::UnboundedReceiver<Outbound>,
    env: &RunEnv,
) -> DisconnectReason {
    let (sink, source) = ws.split();
    let link = Link::new();
    let (sink, source) = tokio::join!(
        write_loop(sink, outbound, server, &link, env),
        read_loop(source, server, &link, env),
    );
    if link.framing_broken.load(Ordering::Relaxed) {
        if let Ok(mut ws) = source.reunite(sink) {
            closing::drain_raw(&mut ws, Instant::now() + env.close_timeout).await;
        }
    }
    link.reason()
        .unwrap_or_else(|| DisconnectReason::ConnectionLost {
            detail: "connection ended".to_owned(),
        })
}

async fn write_loop(
    mut sink: WsSink,
    mut outbound: mpsc::UnboundedReceiver<Outbound>,
    server: &BackupServer,
    link: &Link,
    env: &RunEnv,
) -> WsSink {
    let mut pings = env.ping_interval.map(ping_timer);
    let mut missed = 0;
    loop {
        if let Some(frame) = link.take_close_frame() {
            send_close(&mut sink, frame, env).await;
            break;
        }
        tokio::select! {
            () = link.close_requested.cancelled() => {}
            () = link.reader_done.cancelled() => {
                if !link.close_requested.is_cancelled() {
                    break;
                }
            }
            () = env.shutdown.cancelled() => {
                link.record(DisconnectReason::Shutdown);
                let frame = closing::frame(GOING_AWAY, "endpoint shutting down");
                send_close(&mut sink, frame, env).await;
                break;
            }
            next = outbound.recv() => match next {
                Some(Outbound::Text(text)) => {
                    if let Err(detail) = send_message(&mut sink, WsMessage::text(text), env).await {
                        link.record(DisconnectReason::ConnectionLost { detail });
                        break;
                    }
                }
                Some(Outbound::Close(frame, reason)) => {
                    link.record(reason);
                    send_close(&mut sink, frame, env).await;
                    break;
                }
                None => break,
            },
            () = next_tick(&mut pings) => {
                missed = if link.alive.swap(false, Ordering::Relaxed) { 0 } else { missed + 1 };
                if missed >= MAX_MISSED_PONGS {
                    link.record(DisconnectReason::PongTimeout);
                    send_close(&mut sink, closing::frame(NORMAL, "no pong received"), env).await;
                    break;
                }
                let ping = WsMessage::Ping(Default::default());
                if let Err(detail) = send_message(&mut sink, ping, env).await {
                    link.record(DisconnectReason::ConnectionLost { detail });
                    break;
                }
            }
        }
    }
    // Closing the queue first means a call either fails to queue or is
    // failed by `fail_pending`; none can wait forever.
    outbound.close();
    server.shared.closing.cancel();
    server.shared.fail_pending();
    link.writer_done.cancel();
    sink
}

async fn read_loop(
    mut source: WsSource,
    server: &BackupServer,
    link: &Link,
    env: &RunEnv,
) -> WsSource {
    loop {
        let next = tokio::select! {
            next = source.next() => next,
            () = linger(link, env.close_timeout) => {
                tracing::debug!("waiting for the close reply timed out");
                break;
            }
        };
        let Some(result) = next else {
            link.record(DisconnectReason::ConnectionLost {
                detail: "connection ended".to_owned(),
            });
            break;
        };
        link.alive.store(true, Ordering::Relaxed);
        let failure = match result {
            Ok(message) => match on_message(message, server, link, env) {
                Some(close) => ReadFailure::Close(close),
                None => continue,
            },
            Err(error) => closing::classify_read_error(error),
        };
        match failure {
            ReadFailure::Close(close) => {
                let framing = close.framing;
                tracing::debug!(reason = %close.reason, "closing the connection");
                link.request_close(close);
                if framing == Framing::Broken {
                    break;
                }
            }
            ReadFailure::Lost(reason) => {
                link.record(reason);
                break;
            }
        }
    }
    link.reader_done.cancel();
    source
}

/// Handles one message; returns the close it calls for, if any.
fn on_message(
    message: WsMessage,
    server: &BackupServer,
    link: &Link,
    env: &RunEnv,
) -> Option<CloseRequest> {
    let closing = link.close_requested.is_cancelled() || server.shared.closing.is_cancelled();
    match message {
        WsMessage::Text(_) | WsMessage::Binary(_) if closing => None,
        WsMessage::Text(text) => inbound::on_text(text.as_str(), server, env),
        WsMessage::Binary(bytes) => {
            tracing::debug!(bytes = bytes.len(), "binary message");
            Some(CloseRequest::intact(
                UNSUPPORTED_DATA,
                "binary messages are not accepted",
                DisconnectReason::BinaryMessage,
            ))
        }
        WsMessage::Close(frame) => {
            link.record(DisconnectReason::ClosedByPeer {
                code: frame.as_ref().map(|frame| u16::from(frame.code)),
                reason: frame
                    .map(|frame| frame.reason.to_string())
                    .unwrap_or_default(),
            });
            None
        }
        WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => None,
    }
}

/// Sends a data or ping message. Once the server shuts down, a send still
/// blocked after the close timeout is abandoned.
async fn send_message(sink: &mut WsSink, message: WsMessage, env: &RunEnv) -> Result<(), String> {
    tokio::select! {
        result = sink.send(message) => result.map_err(|error| error.to_string()),
        () = grace_after(&env.shutdown, env.close_timeout) => {
            Err("send not finished when the endpoint shut down".to_owned())
        }
    }
}

/// Sends a close frame, giving up after the close timeout.
async fn send_close(sink: &mut WsSink, frame: CloseFrame, env: &RunEnv) {
    let code = u16::from(frame.code);
    match tokio::time::timeout(env.close_timeout, sink.send(WsMessage::Close(Some(frame)))).await {
        Ok(Ok(())) => tracing::debug!(code, "close frame sent"),
        Ok(Err(error)) => tracing::debug!(code, %error, "close frame not sent"),
        Err(_) => tracing::debug!(code, "sending the close frame timed out"),
    }
}

/// Completes `grace` after `token` is cancelled.
async fn grace_after(token: &CancellationToken, grace: Duration) {
    token.cancelled().await;
    tokio::time::sleep(grace).await;
}

/// Completes when the writer has stopped and the close timeout has passed,
/// which bounds the wait for the service's close reply.
async fn linger(link: &Link, close_timeout: Duration) {
    link.writer_done.cancelled().await;
    tokio::time::sleep(close_timeout).await;
}

fn ping_timer(period: Duration) -> Interval {
    let mut timer = tokio::time::interval_at(Instant::now() + period, period);
    timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
    timer
}

async fn next_tick(timer: &mut Option<Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending().await,
    }
}
