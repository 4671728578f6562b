//! Connection lifecycle events published by the endpoint server, and the
//! reasons a connection ends.
//!
//! Events go out on a broadcast channel. A subscriber that falls behind
//! loses the oldest events (its `recv` returns `RecvError::Lagged`) and can
//! resynchronise with
//! [`EndpointServer::connections`](crate::EndpointServer::connections).

use std::fmt;

use crate::handle::BackupServer;

/// A change in the set of connected backup servers.
#[derive(Debug, Clone)]
pub enum Event {
    /// A backup server completed the CONNECT exchange with a valid token.
    Connected(BackupServer),
    /// A connection that had completed CONNECT has ended.
    Disconnected {
        /// The connection's id, as returned by [`BackupServer::id`].
        conn_id: u64,
        /// The reason it ended.
        reason: DisconnectReason,
    },
}

/// The reason a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The service sent a close frame.
    ClosedByPeer {
        /// The close code, or `None` when the frame had no code.
        code: Option<u16>,
        /// The close reason text.
        reason: String,
    },
    /// The application called [`BackupServer::close`].
    ClosedByApplication,
    /// The endpoint server is shutting down.
    Shutdown,
    /// The service sent a message over the size limit; closed with 1009.
    MessageTooLarge {
        /// The size the service announced or sent, in bytes.
        size: usize,
        /// The limit, in bytes.
        max_size: usize,
    },
    /// The service sent text that is not a protocol message; closed with
    /// 1007.
    UndecodableMessage,
    /// The service sent a binary message, which the protocol forbids;
    /// closed with 1003.
    BinaryMessage,
    /// The service broke the WebSocket framing rules (closed with 1002) or
    /// the CONNECT rules (closed with 1008).
    ProtocolViolation {
        /// The problem.
        detail: String,
    },
    /// The service sent nothing, not even a pong, for the last ping
    /// intervals.
    PongTimeout,
    /// The socket failed or ended without a closing handshake.
    ConnectionLost {
        /// The I/O or WebSocket error.
        detail: String,
    },
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::ClosedByPeer {
                code: Some(code),
                reason,
            } => write!(f, "closed by the service with code {code} ({reason:?})"),
            DisconnectReason::ClosedByPeer { code: None, .. } => {
                f.write_str("closed by the service without a code")
            }
            DisconnectReason::ClosedByApplication => f.write_str("closed by the application"),
            DisconnectReason::Shutdown => f.write_str("endpoint shutting down"),
            DisconnectReason::MessageTooLarge { size, max_size } => {
                write!(f, "message of {size} bytes is over the limit of {max_size}")
            }
            DisconnectReason::UndecodableMessage => f.write_str("undecodable message"),
            DisconnectReason::BinaryMessage => f.write_str("binary message"),
            DisconnectReason::ProtocolViolation { detail } => {
                write!(f, "protocol violation: {detail}")
            }
            DisconnectReason::PongTimeout => f.write_str("no pong received"),
            DisconnectReason::ConnectionLost { detail } => {
                write!(f, "connection lost: {detail}")
            }
        }
    }
}
