//! One established connection: reads messages, relays commands, sends
//! keep-alive pings, routes notification acknowledgements, and closes with
//! the right code.
//!
//! A single writer task owns the socket's sink; everything else queues
//! [`Outbound`] items. Commands run as tasks in a `JoinSet`, so when the
//! session ends every in-flight upstream call is cancelled by dropping it.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use nbwss_protocol::{
    Body, CommandRequest, CommandResponse, DecodeError, ErrorCode, Message, MessageType, SubType,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Bytes};
use tracing::{debug, warn};

use super::inbound;
use super::sessions::{Acknowledgement, SessionHandle};
use super::transport::Socket;
use super::{ConnectionSettings, Shared};
use crate::ratelimit::LogLimiter;
use crate::registry::EndpointEntry;
use crate::relay::{Admission, CallContext};

/// Queue depth between the session and its writer task.
const OUTBOUND_QUEUE: usize = 1024;

/// How long the writer gets to send a close frame before it is abandoned.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// An item for the writer task.
#[derive(Debug)]
pub enum Outbound {
    /// A protocol message.
    Message(Message),
    /// A keep-alive ping.
    Ping,
    /// A close frame; the writer stops after sending it.
    Close(CloseCode, String),
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The endpoint closed the connection, with its close code if it sent one.
    PeerClosed(Option<u16>),
    /// Reading or writing failed.
    Failed(String),
    /// Too many pings went unanswered.
    KeepAliveTimeout,
    /// A message exceeded the memory limit (closed with 1009).
    TooLarge,
    /// A message could not be decoded (closed with 1007).
    Undecodable,
    /// The endpoint was removed or deactivated (closed with 1000).
    Deactivated,
    /// The service is stopping (closed with 1000).
    Shutdown,
    /// The endpoint stopped reading: the send queue filled up.
    NotReading,
}

impl SessionEnd {
    /// The close code and reason the service sends, if it closes.
    fn close_frame(&self) -> Option<(CloseCode, &'static str)> {
        match self {
            SessionEnd::PeerClosed(_) | SessionEnd::Failed(_) => None,
            SessionEnd::KeepAliveTimeout => Some((CloseCode::Away, "keep-alive timed out")),
            SessionEnd::TooLarge => Some((CloseCode::Size, "message over the size limit")),
            SessionEnd::Undecodable => Some((CloseCode::Invalid, "undecodable message")),
            SessionEnd::Deactivated => Some((CloseCode::Normal, "endpoint removed or deactivated")),
            SessionEnd::Shutdown => Some((CloseCode::Normal, "service shutting down")),
            SessionEnd::NotReading => Some((CloseCode::Away, "endpoint not reading")),
        }
    }

    /// Whether the next attempt should come after `connection.retryDelay`
    /// rather than a backoff draw.
    pub fn retry_soon(&self) -> bool {
        matches!(self, SessionEnd::TooLarge)
    }
}

impl std::fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionEnd::PeerClosed(Some(code)) => {
                write!(f, "closed by the endpoint with code {code}")
            }
            SessionEnd::PeerClosed(None) => f.write_str("closed by the endpoint"),
            SessionEnd::Failed(reason) => write!(f, "connection failed: {reason}"),
            SessionEnd::KeepAliveTimeout => f.write_str("no pong received, keep-alive timed out"),
            SessionEnd::TooLarge => {
                f.write_str("message over connection.hardMaxInboundMessageBytes")
            }
            SessionEnd::Undecodable => f.write_str("undecodable message"),
            SessionEnd::Deactivated => f.write_str("endpoint removed or deactivated"),
            SessionEnd::Shutdown => f.write_str("service shutting down"),
            SessionEnd::NotReading => {
                f.write_str("the endpoint stopped reading: the send queue is full")
            }
        }
    }
}

/// State of one running session.
struct Session {
    shared: Arc<Shared>,
    /// The settings when the connection opened; a reload applies to the
    /// next connection, except for the relay, which each command reads.
    settings: Arc<ConnectionSettings>,
    entry: EndpointEntry,
    conn_id: u64,
    outbound: mpsc::Sender<Outbound>,
    acks: mpsc::UnboundedSender<Acknowledgement>,
    /// Running commands; each returns its id and response to the session,
    /// which frees the id before sending the response.
    commands: JoinSet<(String, CommandResponse)>,
    in_flight: HashSet<String>,
    admission: Admission,
    missed_pongs: u32,
    decode_log: LogLimiter,
    /// Bytes of messages queued for the writer, estimated.
    queued_bytes: Arc<AtomicUsize>,
    /// Set when the queue is full, which ends the session.
    stalled: Option<SessionEnd>,
}

/// Serves `socket` until it ends, and returns why.
pub(crate) async fn run(
    shared: Arc<Shared>,
    entry: EndpointEntry,
    socket: Socket,
    conn_id: u64,
) -> SessionEnd {
    let settings = shared.settings();
    let (sink, mut stream) = socket.split();
    let (outbound, outbound_queue) = mpsc::channel(OUTBOUND_QUEUE);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let writer = tokio::spawn(write_loop(sink, outbound_queue, queued_bytes.clone()));
    let (handle, acks) = SessionHandle::new(
        conn_id,
        entry.details.host_name.clone(),
        entry.details.group_id.clone(),
        outbound.clone(),
    );
    shared.sessions.publish(handle);
    let mut session = Session {
        admission: Admission::new(settings.max_concurrent_commands),
        settings: settings.clone(),
        shared: shared.clone(),
        entry,
        conn_id,
        outbound,
        acks,
        commands: JoinSet::new(),
        in_flight: HashSet::new(),
        missed_pongs: 0,
        decode_log: LogLimiter::new(Duration::from_secs(10)),
        queued_bytes,
        stalled: None,
    };
    let rate = settings.keep_alive_rate;
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + rate, rate);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut registry = shared.registry.subscribe();
    // The endpoint may have been deactivated or removed during the CONNECT
    // exchange, before this subscription, so the first pass of the loop checks it.
    registry.mark_changed();
    let shutdown = shared.shutdown.clone();
    let stopping = shutdown.wait();
    tokio::pin!(stopping);

    let end = loop {
        if let Some(end) = session.stalled.take() {
            break end;
        }
        tokio::select! {
            _ = &mut stopping => break SessionEnd::Shutdown,
            _ = registry.changed() => {
                if !session.still_activated() {
                    break SessionEnd::Deactivated;
                }
            }
            _ = pings.tick() => {
                if let Some(end) = session.keep_alive() {
                    break end;
                }
            }
            Some(done) = session.commands.join_next() => {
                if let Ok((id, response)) = done {
                    session.complete(id, response);
                }
            }
            frame = stream.next() => {
                if let Some(end) = session.on_frame(frame) {
                    break end;
                }
            }
        }
    };
    session.finish(&end, writer).await;
    end
}

impl Session {
    fn still_activated(&self) -> bool {
        self.shared
            .registry
            .get(&self.entry.details.host_name)
            .is_some_and(|entry| entry.activated)
    }

    fn keep_alive(&mut self) -> Option<SessionEnd> {
        if self.missed_pongs >= self.settings.max_pong_miss {
            return Some(SessionEnd::KeepAliveTimeout);
        }
        self.missed_pongs += 1;
        self.enqueue(Outbound::Ping);
        None
    }

    fn on_frame(
        &mut self,
        frame: Option<Result<tungstenite::Message, tungstenite::Error>>,
    ) -> Option<SessionEnd> {
        match frame {
            None => Some(SessionEnd::PeerClosed(None)),
            Some(Ok(tungstenite::Message::Text(text))) => self.on_text(text.as_str()),
            Some(Ok(tungstenite::Message::Binary(bytes))) => {
                self.on_undecodable(&bytes, "binary message")
            }
            Some(Ok(tungstenite::Message::Pong(_))) => {
                self.missed_pongs = 0;
                None
            }
            Some(Ok(tungstenite::Message::Close(frame))) => {
                Some(SessionEnd::PeerClosed(frame.map(|f| u16::from(f.code))))
            }
            Some(Ok(_)) => None,
            Some(Err(tungstenite::Error::Capacity(CapacityError::MessageTooLong {
                size,
                max_size,
            }))) => {
                warn!(host = %self.entry.details.host_name, conn_id = self.conn_id, size, limit = max_size, "inbound message over the hard size limit");
                Some(SessionEnd::TooLarge)
            }
            Some(Err(tungstenite::Error::Utf8(_))) => {
                // NOTE: tokio-tungstenite 0.30 ends the stream after any read
                // error. The connection cannot carry on, so it is closed with
                // 1007 even when `exception.ignoreDecoder` is set.
                let _ = self.on_undecodable(&[], "text message is not UTF-8");
                Some(SessionEnd::Undecodable)
            }
            Some(Err(error)) => Some(SessionEnd::Failed(error.to_string())),
        }
    }

    fn on_text(&mut self, text: &str) -> Option<SessionEnd> {
        if text.len() > self.settings.max_inbound_message_bytes {
            return self.on_oversized(text);
        }
        match Message::parse(text) {
            Ok(Message {
                id,
                body: Body::CommandRequest(request),
                ..
            }) => self.dispatch(id, request),
            Ok(Message {
                id,
                body: Body::NotificationResponse,
                ..
            }) => {
                let _ = self.acks.send(Acknowledgement {
                    id,
                    conn_id: self.conn_id,
                });
            }
            Ok(other) => {
                debug!(conn_id = self.conn_id, msg_id = %other.id, message_type = other.body.message_type().as_str(), "ignored message not meant for the service");
            }
            Err(DecodeError::Invalid {
                id,
                message_type,
                sub_type,
                code,
                reason,
            }) => {
                let is_command_request = matches!(message_type, None | Some(MessageType::Command))
                    && sub_type != Some(SubType::Response);
                debug!(conn_id = self.conn_id, msg_id = %id, %reason, "invalid message");
                if is_command_request {
                    self.respond(id, CommandResponse::error(code, &reason));
                }
            }
            Err(DecodeError::Unanswerable { reason }) => {
                return self.on_undecodable(text.as_bytes(), &reason);
            }
        }
        None
    }

    fn on_oversized(&mut self, text: &str) -> Option<SessionEnd> {
        let limit = self.settings.max_inbound_message_bytes;
        match inbound::oversized_command_id(text) {
            Some(id) => {
                debug!(conn_id = self.conn_id, msg_id = %id, size = text.len(), limit, "command over the policy size limit");
                let message = format!(
                    "message of {} bytes is over the limit of {limit} bytes (connection.maxInboundMessageBytes)",
                    text.len()
                );
                self.respond(
                    id,
                    CommandResponse::error(ErrorCode::MessageTooLarge, &message),
                );
                None
            }
            None => self.on_undecodable(
                text.as_bytes(),
                "oversized message that is not a COMMAND REQUEST",
            ),
        }
    }

    /// Logs an undecodable message (size and first bytes only) and ends the
    /// session unless `exception.ignoreDecoder` is set.
    fn on_undecodable(&mut self, bytes: &[u8], reason: &str) -> Option<SessionEnd> {
        if let Some(suppressed) = self.decode_log.allow() {
            warn!(host = %self.entry.details.host_name, conn_id = self.conn_id, size = bytes.len(), first_bytes = %inbound::preview(bytes), %reason, suppressed, "undecodable message");
        }
        if self.settings.ignore_decoder {
            None
        } else {
            Some(SessionEnd::Undecodable)
        }
    }

    fn dispatch(&mut self, id: String, request: CommandRequest) {
        if self.in_flight.contains(&id) {
            let message = format!("a command with id {id} is already in flight");
            return self.respond(id, CommandResponse::error(ErrorCode::DuplicateId, &message));
        }
        let Some(ticket) = self.admission.try_admit() else {
            let message = format!(
                "more than {} commands in flight and the queue is full",
                self.settings.max_concurrent_commands
            );
            return self.respond(
                id,
                CommandResponse::error(ErrorCode::TooManyRequests, &message),
            );
        };
        self.in_flight.insert(id.clone());
        let relay = self.shared.relay();
        let context = CallContext {
            endpoint: self.entry.details.host_name.clone(),
            conn_id: self.conn_id,
            msg_id: id.clone(),
        };
        self.commands.spawn(async move {
            let _in_flight = InFlight::enter();
            let _permit = ticket.run().await;
            let response = relay.relay(request, &context).await;
            (context.msg_id, response)
        });
    }

    /// Frees a finished command's id, then sends its response. In this
    /// order the endpoint may reuse the id as soon as the response arrives
    /// without getting DUPLICATE_ID.
    fn complete(&mut self, id: String, response: CommandResponse) {
        self.in_flight.remove(&id);
        self.respond(id, response);
    }

    fn respond(&mut self, id: String, response: CommandResponse) {
        let message = Message::new(id, Body::CommandResponse(response));
        self.enqueue(Outbound::Message(message));
    }

    /// Queues an item for the writer without waiting, so a peer that stops
    /// reading cannot stall keep-alive, registry changes or shutdown. A full
    /// queue, by count or by [`OUTBOUND_BYTES`], ends the session.
    fn enqueue(&mut self, item: Outbound) {
        let size = item.approx_bytes();
        let queued = self.queued_bytes.fetch_add(size, Ordering::Relaxed);
        let over_bytes = queued > 0 && queued + size > OUTBOUND_BYTES;
        let sent = if over_bytes {
            Err(mpsc::error::TrySendError::Full(item))
        } else {
            self.outbound.try_send(item)
        };
        if let Err(error) = sent {
            release(&self.queued_bytes, size);
            self.stalled.get_or_insert(match error {
                mpsc::error::TrySendError::Full(_) => SessionEnd::NotReading,
                mpsc::error::TrySendError::Closed(_) => SessionEnd::Failed("writer stopped".into()),
            });
        }
    }

    async fn finish(mut self, end: &SessionEnd, writer: tokio::task::JoinHandle<()>) {
        self.shared
            .sessions
            .withdraw(&self.entry.details.group_id, self.conn_id);
        self.commands.abort_all();
        if let Some((code, reason)) = end.close_frame() {
            // A full queue means the peer is not reading; the writer is
            // then abandoned after the grace period below.
            let _ = self
                .outbound
                .try_send(Outbound::Close(code, reason.to_owned()));
        }
        drop(self.outbound);
        let abort = writer.abort_handle();
        if tokio::time::timeout(CLOSE_GRACE, writer).await.is_err() {
            abort.abort();
        }
    }
}

/// Counts a command in the in-flight gauge until dropped, also when the
/// task is aborted because its connection ended.
struct InFlight;

impl InFlight {
    const NAME: &'static str = "nbwss_commands_in_flight";
    const HELP: &'static str = "Commands received and not yet answered, on all connections.";

    fn enter() -> InFlight {
        crate::metrics::metrics().add(Self::NAME, Self::HELP, &[], 1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        crate::metrics::metrics().add(Self::NAME, Self::HELP, &[], -1.0);
    }
}

type Sink = SplitSink<Socket, tungstenite::Message>;

/// Maximum bytes of messages queued for one connection's writer before the
/// endpoint counts as not reading. One message of any size is always let
/// through when the queue is empty.
const OUTBOUND_BYTES: usize = 128 * 1024 * 1024;

/// Subtracts `size` from the queued bytes, never below zero: notifications
/// queued through a [`SessionHandle`] are not counted when added.
fn release(queued_bytes: &AtomicUsize, size: usize) {
    let _ = queued_bytes.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bytes| {
        Some(bytes.saturating_sub(size))
    });
}

impl Outbound {
    /// An estimate of the item's size on the wire, from its large fields.
    fn approx_bytes(&self) -> usize {
        const ENVELOPE: usize = 256;
        match self {
            Outbound::Message(message) => {
                ENVELOPE
                    + match &message.body {
                        Body::CommandResponse(response) => {
                            response.body.as_ref().map_or(0, String::len)
                        }
                        Body::CommandRequest(request) => {
                            request.parameters.as_ref().map_or(0, String::len)
                        }
                        _ => 0,
                    }
            }
            Outbound::Ping | Outbound::Close(..) => ENVELOPE,
        }
    }
}

/// Sends queued items, flushing once the queue is drained, until a close
/// frame is sent or every sender is gone.
async fn write_loop(
    mut sink: Sink,
    mut queue: mpsc::Receiver<Outbound>,
    queued_bytes: Arc<AtomicUsize>,
) {
    while let Some(item) = queue.recv().await {
        let mut next = Some(item);
        while let Some(item) = next.take() {
            release(&queued_bytes, item.approx_bytes());
            let (frame, last) = match item {
                Outbound::Message(message) => {
                    (tungstenite::Message::text(message.to_json()), false)
                }
                Outbound::Ping => (tungstenite::Message::Ping(Bytes::new()), false),
                Outbound::Close(code, reason) => (
                    tungstenite::Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })),
                    true,
                ),
            };
            if sink.feed(frame).await.is_err() || last {
                let _ = sink.flush().await;
                return;
            }
            next = queue.try_recv().ok();
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}
