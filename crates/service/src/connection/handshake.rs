//! Opening a connection to one endpoint: dial, TLS, WebSocket upgrade and
//! the CONNECT exchange.
//!
//! Dial, TLS and upgrade together are bounded by `connect.responseTimeout`,
//! and so is the wait for the CONNECT RESPONSE afterwards. The host name is
//! resolved afresh on every attempt. A COMMAND that arrives before the
//! CONNECT RESPONSE gets a 409 `NOT_CONNECTED` error response.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nbwss_protocol::details::{DetailsOptions, WsUrl};
use nbwss_protocol::{
    Body, CommandResponse, ConnectRequest, DecodeError, ErrorCode, Message, MessageType, SubType,
};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, protocol::CloseFrame};
use tracing::debug;

use super::Shared;
use super::transport::{Socket, Transport};
use crate::registry::EndpointEntry;

/// Capabilities announced in the CONNECT REQUEST.
const CAPABILITIES: [&str; 1] = ["error-responses"];

/// Why an attempt did not produce a connection.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// The stored URL does not parse.
    #[error("invalid endpoint url: {0}")]
    InvalidUrl(String),
    /// TCP or proxy failure.
    #[error(transparent)]
    Dial(#[from] nbwss_tls::DialError),
    /// TLS failure, such as an untrusted or unpinned certificate.
    #[error("{}", tls_message(.0))]
    Tls(#[source] nbwss_tls::ConnectError),
    /// The HTTP upgrade to WebSocket failed.
    #[error("websocket upgrade failed: {0}")]
    Upgrade(#[source] tungstenite::Error),
    /// Dial, TLS and upgrade did not finish in time.
    #[error("connection not established within {0:?}")]
    OpenTimeout(Duration),
    /// The endpoint responded to CONNECT with `valid: false`.
    #[error("the endpoint rejected the token")]
    Rejected,
    /// No CONNECT RESPONSE in time.
    #[error("no CONNECT RESPONSE within {0:?}")]
    ConnectTimeout(Duration),
    /// The socket failed or closed before the CONNECT RESPONSE.
    #[error("connection closed before the CONNECT RESPONSE: {0}")]
    ClosedEarly(String),
}

/// Names the TLS failure with the rustls reason, such as a fingerprint that
/// does not match the pin.
fn tls_message(error: &nbwss_tls::ConnectError) -> String {
    match error.tls_error() {
        Some(tls) => format!("{error}: {tls}"),
        None => match std::error::Error::source(error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}

/// Opens a connection to `entry` and completes the CONNECT exchange.
pub(crate) async fn open(shared: &Shared, entry: &EndpointEntry) -> Result<Socket, AttemptError> {
    let settings = shared.settings();
    let options = DetailsOptions {
        allow_insecure_loopback: settings.allow_insecure_loopback,
    };
    let url = WsUrl::parse(&entry.details.url, options).map_err(AttemptError::InvalidUrl)?;
    let limit = settings.connect_response_timeout;
    let mut socket = tokio::time::timeout(limit, upgrade(shared, entry, &url))
        .await
        .map_err(|_| AttemptError::OpenTimeout(limit))??;
    let id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let request = Message::new(
        id.clone(),
        Body::ConnectRequest(ConnectRequest {
            token: entry.details.token.clone(),
            server_name: Some(settings.server_name.clone()),
            service_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            capabilities: CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
        }),
    );
    socket
        .send(tungstenite::Message::text(request.to_json()))
        .await
        .map_err(|e| AttemptError::ClosedEarly(e.to_string()))?;
    match tokio::time::timeout(limit, await_connect_response(&mut socket, &id)).await {
        Ok(Ok(true)) => Ok(socket),
        Ok(Ok(false)) => {
            close(&mut socket, CloseCode::Policy, "token rejected").await;
            Err(AttemptError::Rejected)
        }
        Ok(Err(error)) => Err(error),
        Err(_) => {
            close(&mut socket, CloseCode::Policy, "CONNECT RESPONSE timed out").await;
            Err(AttemptError::ConnectTimeout(limit))
        }
    }
}

async fn upgrade(
    shared: &Shared,
    entry: &EndpointEntry,
    url: &WsUrl,
) -> Result<Socket, AttemptError> {
    let settings = shared.settings();
    let tcp = nbwss_tls::dial(
        &url.host,
        url.port,
        &settings.proxy,
        settings.connect_response_timeout,
    )
    .await?;
    let _ = tcp.set_nodelay(true);
    let transport: Transport = if url.secure {
        let config = nbwss_tls::client_config(settings.roots.clone(), entry.pin);
        let tls = nbwss_tls::connect(tcp, &url.host, config)
            .await
            .map_err(AttemptError::Tls)?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(settings.hard_max_inbound_message_bytes))
        .max_frame_size(Some(settings.hard_max_inbound_message_bytes));
    let (socket, _response) = tokio_tungstenite::client_async_with_config(
        entry.details.url.as_str(),
        transport,
        Some(config),
    )
    .await
    .map_err(AttemptError::Upgrade)?;
    Ok(socket)
}

/// Reads until the CONNECT RESPONSE for `id`, answering early COMMANDs.
async fn await_connect_response(socket: &mut Socket, id: &str) -> Result<bool, AttemptError> {
    while let Some(frame) = socket.next().await {
        let frame = frame.map_err(|e| AttemptError::ClosedEarly(e.to_string()))?;
        let text = match frame {
            tungstenite::Message::Text(text) => text,
            tungstenite::Message::Close(close) => {
                let reason = close.map(|c| format!("close code {}", u16::from(c.code)));
                return Err(AttemptError::ClosedEarly(
                    reason.unwrap_or_else(|| "closed".into()),
                ));
            }
            _ => continue,
        };
        match Message::parse(text.as_str()) {
            Ok(Message {
                id: response_id,
                body: Body::ConnectResponse(response),
                ..
            }) if response_id == id => return Ok(response.valid),
            Ok(Message {
                id: request_id,
                body: Body::CommandRequest(_),
                ..
            }) => answer_not_connected(socket, request_id).await?,
            Err(DecodeError::Invalid {
                id: request_id,
                message_type: Some(MessageType::Command),
                sub_type: Some(SubType::Request),
                ..
            }) => answer_not_connected(socket, request_id).await?,
            Ok(other) => debug!(msg_id = %other.id, "ignored message before CONNECT RESPONSE"),
            Err(error) => debug!(%error, "ignored undecodable message before CONNECT RESPONSE"),
        }
    }
    Err(AttemptError::ClosedEarly("end of stream".into()))
}

async fn answer_not_connected(socket: &mut Socket, id: String) -> Result<(), AttemptError> {
    let response = CommandResponse::error(
        ErrorCode::NotConnected,
        "the CONNECT exchange has not completed on this connection",
    );
    let message = Message::new(id, Body::CommandResponse(response));
    socket
        .send(tungstenite::Message::text(message.to_json()))
        .await
        .map_err(|e| AttemptError::ClosedEarly(e.to_string()))
}

async fn close(socket: &mut Socket, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    // The connection is being abandoned; a failed close changes nothing.
    let _ = tokio::time::timeout(Duration::from_secs(2), socket.close(Some(frame))).await;
}
