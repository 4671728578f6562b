//! Close codes and the end of a WebSocket connection.
//!
//! After the endpoint sends a close frame it keeps reading. Unread bytes at
//! close would make the kernel send a TCP reset, which can destroy the close
//! frame before the service reads it. When the framing is intact the endpoint reads frames
//! until the service's close reply. After an oversized or malformed frame it
//! cannot find the next frame, so it shuts down its sending side and
//! discards raw bytes until the service closes. Both waits are bounded by
//! [`EndpointConfig::close_timeout`](crate::EndpointConfig::close_timeout).

use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::server::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::event::DisconnectReason;

/// The WebSocket stream of one accepted connection.
pub(crate) type WsStream = WebSocketStream<TlsStream<TcpStream>>;

/// 1000: normal closure.
pub(crate) const NORMAL: u16 = 1000;
/// 1001: the endpoint is going away.
pub(crate) const GOING_AWAY: u16 = 1001;
/// 1002: WebSocket protocol error.
pub(crate) const PROTOCOL_ERROR: u16 = 1002;
/// 1003: a data type the endpoint does not accept (binary).
pub(crate) const UNSUPPORTED_DATA: u16 = 1003;
/// 1007: a message that cannot be decoded.
pub(crate) const INVALID_PAYLOAD: u16 = 1007;
/// 1008: policy violation, used for CONNECT failures.
pub(crate) const POLICY_VIOLATION: u16 = 1008;
/// 1009: a message over the size limit.
pub(crate) const MESSAGE_TOO_BIG: u16 = 1009;

/// Size of the buffer used to discard raw bytes.
const DISCARD_BUFFER_BYTES: usize = 16 * 1024;

/// Builds a close frame.
pub(crate) fn frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    }
}

/// The state of the inbound byte stream when the endpoint sends a close
/// frame, which decides how it waits for the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Frames can still be read: wait for the close reply.
    Intact,
    /// The reader lost its place in the byte stream: discard raw bytes.
    Broken,
}

/// Sends `frame` on a stream that was never split, waits for the service
/// as `framing` allows, then drops the socket.
pub(crate) async fn close_and_drain(
    mut ws: WsStream,
    frame: CloseFrame,
    framing: Framing,
    close_timeout: Duration,
) {
    let deadline = Instant::now() + close_timeout;
    if timeout_at(deadline, ws.close(Some(frame))).await.is_err() {
        tracing::debug!("sending the close frame timed out");
        return;
    }
    match framing {
        Framing::Intact => drain_frames(&mut ws, deadline).await,
        Framing::Broken => drain_raw(&mut ws, deadline).await,
    }
}

/// Reads and discards frames until the service's close reply, the end of
/// the stream or `deadline`. Switches to raw discarding if a frame breaks
/// the limits.
pub(crate) async fn drain_frames(ws: &mut WsStream, deadline: Instant) {
    loop {
        match timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(tokio_tungstenite::tungstenite::Error::Capacity(_)))) => {
                drain_raw(ws, deadline).await;
                return;
            }
            Ok(Some(Err(_)) | None) => return,
            Err(_) => {
                tracing::debug!("waiting for the close reply timed out");
                return;
            }
        }
    }
}

/// Shuts down the sending side (TLS close_notify and TCP FIN), then reads
/// and discards bytes until the service closes or `deadline`.
pub(crate) async fn drain_raw(ws: &mut WsStream, deadline: Instant) {
    let io = ws.get_mut();
    if timeout_at(deadline, io.shutdown()).await.is_err() {
        return;
    }
    let mut buffer = vec![0u8; DISCARD_BUFFER_BYTES];
    loop {
        match timeout_at(deadline, io.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => continue,
            Err(_) => {
                tracing::debug!("service did not close after the close frame");
                return;
            }
        }
    }
}

/// A close the endpoint decided on: the frame to send, how to wait for the
/// service afterwards, and the reason to report.
#[derive(Debug, Clone)]
pub(crate) struct CloseRequest {
    pub(crate) frame: CloseFrame,
    pub(crate) framing: Framing,
    pub(crate) reason: DisconnectReason,
}

impl CloseRequest {
    /// Builds a close after which frames can still be read.
    pub(crate) fn intact(code: u16, text: &str, reason: DisconnectReason) -> Self {
        CloseRequest {
            frame: frame(code, text),
            framing: Framing::Intact,
            reason,
        }
    }

    /// Builds a close after which the byte stream can no longer be parsed.
    pub(crate) fn broken(code: u16, text: &str, reason: DisconnectReason) -> Self {
        CloseRequest {
            frame: frame(code, text),
            framing: Framing::Broken,
            reason,
        }
    }
}

/// The endpoint's reaction to a read error.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// Send the service a close frame with the reason.
    Close(CloseRequest),
    /// Drop the socket, which can no longer carry a close frame.
    Lost(DisconnectReason),
}

/// Maps a read error from tungstenite to the endpoint's reaction.
pub(crate) fn classify_read_error(error: WsError) -> ReadFailure {
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            ReadFailure::Close(CloseRequest::broken(
                MESSAGE_TOO_BIG,
                "message too large",
                DisconnectReason::MessageTooLarge { size, max_size },
            ))
        }
        WsError::Utf8(_) => ReadFailure::Close(CloseRequest::intact(
            INVALID_PAYLOAD,
            "text message is not valid UTF-8",
            DisconnectReason::UndecodableMessage,
        )),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            ReadFailure::Lost(DisconnectReason::ConnectionLost {
                detail: "connection ended without a closing handshake".to_owned(),
            })
        }
        error @ (WsError::Protocol(_) | WsError::Capacity(_)) => {
            ReadFailure::Close(CloseRequest::broken(
                PROTOCOL_ERROR,
                "WebSocket protocol error",
                DisconnectReason::ProtocolViolation {
                    detail: error.to_string(),
                },
            ))
        }
        other => ReadFailure::Lost(DisconnectReason::ConnectionLost {
            detail: other.to_string(),
        }),
    }
}
