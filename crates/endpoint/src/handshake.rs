//! The start of a connection: TLS, the WebSocket upgrade on the configured
//! path, and the CONNECT exchange that authenticates the service.
//!
//! The first message after the upgrade must be a CONNECT REQUEST, within
//! [`EndpointConfig::connect_timeout`](crate::EndpointConfig::connect_timeout).
//! Its token goes to the [`TokenValidator`](crate::TokenValidator). The
//! endpoint replies `{"valid": true}` or `{"valid": false}`, and after false
//! it closes with 1008. What happens after a valid CONNECT is left to
//! [`connection`](crate::connection).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nbwss_protocol::{Body, ConnectRequest, ConnectResponse, DecodeError, Message};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::closing::{
    self, CloseRequest, Framing, POLICY_VIOLATION, ReadFailure, UNSUPPORTED_DATA, WsStream,
};
use crate::event::DisconnectReason;
use crate::server::ServerShared;

/// A connection whose CONNECT token was accepted.
pub(crate) struct Accepted {
    pub(crate) ws: WsStream,
    pub(crate) connect: ConnectRequest,
}

/// Classification of the first message after the upgrade.
enum FirstMessage {
    /// A CONNECT REQUEST.
    Connect { id: String, request: ConnectRequest },
    /// Something that ends the connection with a close frame.
    Reject(CloseRequest),
    /// The socket ended or failed.
    Gone,
}

/// Runs TLS, the upgrade and the CONNECT exchange. Returns `None`, after
/// logging why, when the connection did not get through.
pub(crate) async fn accept(tcp: TcpStream, server: &ServerShared) -> Option<Accepted> {
    let config = &server.config;
    let deadline = Instant::now() + config.handshake_timeout;
    let tls = match timeout_at(deadline, server.acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            tracing::debug!(%error, "TLS handshake failed");
            return None;
        }
        Err(_) => {
            tracing::debug!("TLS handshake timed out");
            return None;
        }
    };
    let upgrade = tokio_tungstenite::accept_hdr_async_with_config(
        tls,
        PathFilter {
            expected: config.path.clone(),
        },
        Some(websocket_config(config.max_inbound_message_bytes)),
    );
    let mut ws = match timeout_at(deadline, upgrade).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(error)) => {
            tracing::debug!(%error, "WebSocket upgrade failed");
            return None;
        }
        Err(_) => {
            tracing::debug!("WebSocket upgrade timed out");
            return None;
        }
    };
    let first = match timeout(config.connect_timeout, read_first_message(&mut ws)).await {
        Ok(first) => first,
        Err(_) => FirstMessage::Reject(CloseRequest::intact(
            POLICY_VIOLATION,
            "CONNECT timed out",
            DisconnectReason::ProtocolViolation {
                detail: format!("no CONNECT REQUEST within {:?}", config.connect_timeout),
            },
        )),
    };
    match first {
        FirstMessage::Connect { id, request } => authenticate(ws, id, request, server).await,
        FirstMessage::Reject(close) => {
            tracing::info!(reason = %close.reason, "connection rejected before CONNECT");
            closing::close_and_drain(ws, close.frame, close.framing, config.close_timeout).await;
            None
        }
        FirstMessage::Gone => {
            tracing::debug!("connection ended before CONNECT");
            None
        }
    }
}

/// Initial size of each connection's WebSocket read buffer. tungstenite
/// 0.30 allocates it when the connection opens and zero-fills it on the
/// first read, so it is most of an idle connection's memory: the scale test
/// of `nbwss-bench` measured about 157 KiB per idle connection with the
/// default of 128 KiB and 41 KiB with 16 KiB. A larger message still grows
/// the buffer to its full size while it is read.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Builds the WebSocket limits, which hold both a single frame and a whole
/// message to `max_bytes`.
pub(crate) fn websocket_config(max_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_bytes))
        .max_frame_size(Some(max_bytes))
        .read_buffer_size(READ_BUFFER_BYTES)
}

/// Rejects an upgrade whose path is not the expected one with HTTP 404.
struct PathFilter {
    expected: Option<String>,
}

impl Callback for PathFilter {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        match self.expected {
            Some(path) if request.uri().path() != path => {
                tracing::debug!(
                    path = request.uri().path(),
                    "upgrade on an unknown path rejected"
                );
                let mut rejection = ErrorResponse::new(Some("not found".to_owned()));
                *rejection.status_mut() = StatusCode::NOT_FOUND;
                Err(rejection)
            }
            _ => Ok(response),
        }
    }
}

/// Reads until the first data message and classifies it.
async fn read_first_message(ws: &mut WsStream) -> FirstMessage {
    loop {
        let message = match ws.next().await {
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                return match closing::classify_read_error(error) {
                    ReadFailure::Close(close) => FirstMessage::Reject(close),
                    ReadFailure::Lost(_) => FirstMessage::Gone,
                };
            }
            None => return FirstMessage::Gone,
        };
        match message {
            WsMessage::Text(text) => return classify_first_text(text.as_str()),
            WsMessage::Binary(_) => {
                return FirstMessage::Reject(CloseRequest::intact(
                    UNSUPPORTED_DATA,
                    "binary messages are not accepted",
                    DisconnectReason::BinaryMessage,
                ));
            }
            WsMessage::Close(_) => return FirstMessage::Gone,
            WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => continue,
        }
    }
}

fn classify_first_text(text: &str) -> FirstMessage {
    match Message::parse(text) {
        Ok(Message {
            id,
            body: Body::ConnectRequest(request),
            ..
        }) => FirstMessage::Connect { id, request },
        Ok(_) | Err(DecodeError::Invalid { .. }) => FirstMessage::Reject(CloseRequest::intact(
            POLICY_VIOLATION,
            "expected a CONNECT REQUEST",
            DisconnectReason::ProtocolViolation {
                detail: "the first message is not a CONNECT REQUEST".to_owned(),
            },
        )),
        Err(DecodeError::Unanswerable { .. }) => {
            tracing::debug!(bytes = text.len(), "undecodable message before CONNECT");
            FirstMessage::Reject(CloseRequest::intact(
                closing::INVALID_PAYLOAD,
                "undecodable message",
                DisconnectReason::UndecodableMessage,
            ))
        }
    }
}

/// Checks the token and sends the CONNECT RESPONSE. A rejected token is
/// then closed with 1008.
async fn authenticate(
    mut ws: WsStream,
    id: String,
    request: ConnectRequest,
    server: &ServerShared,
) -> Option<Accepted> {
    let valid = server.validator.validate(&request.token);
    let response = Message::new(id, Body::ConnectResponse(ConnectResponse { valid })).to_json();
    let close_timeout = server.config.close_timeout;
    if let Err(error) = send_within(&mut ws, WsMessage::text(response), close_timeout).await {
        tracing::debug!(%error, "CONNECT RESPONSE not sent");
        return None;
    }
    if valid {
        return Some(Accepted {
            ws,
            connect: request,
        });
    }
    tracing::info!(
        server_name = request.server_name.as_deref().unwrap_or(""),
        "CONNECT rejected: token not accepted"
    );
    let frame = closing::frame(POLICY_VIOLATION, "token rejected");
    closing::close_and_drain(ws, frame, Framing::Intact, close_timeout).await;
    None
}

/// Sends one message, failing after `limit`.
async fn send_within(ws: &mut WsStream, message: WsMessage, limit: Duration) -> Result<(), String> {
    match timeout(limit, ws.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("timed out after {limit:?}")),
    }
}
