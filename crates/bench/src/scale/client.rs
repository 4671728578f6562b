//! A lightweight backup-server stand-in for the scale test: TLS with a
//! pinned certificate, the WebSocket upgrade and the CONNECT exchange, and
//! after that only reading, so that tungstenite replies to the
//! endpoint's pings.
//!
//! It relays no command and sends no notification; the real service does
//! that in the other sections.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use nbwss_protocol::{Body, ConnectRequest, ConnectResponse, Message};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::server::{TOKEN, WS_PATH};

/// Upper bound on one client's TLS, upgrade and CONNECT exchange.
const CONNECT_WAIT: Duration = Duration::from_secs(30);

/// Read buffer of each client's WebSocket. The clients only read pings, so
/// a small buffer keeps thousands of them light for the parent process.
const CLIENT_READ_BUFFER_BYTES: usize = 4 * 1024;

/// A connected client; dropping it closes the socket.
pub struct Client {
    reader: JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Connects to the endpoint on 127.0.0.1:`port` and completes CONNECT.
pub async fn connect(port: u16, tls: Arc<rustls::ClientConfig>) -> anyhow::Result<Client> {
    tokio::time::timeout(CONNECT_WAIT, connect_now(port, tls))
        .await
        .with_context(|| format!("CONNECT not completed within {} s", CONNECT_WAIT.as_secs()))?
}

async fn connect_now(port: u16, tls: Arc<rustls::ClientConfig>) -> anyhow::Result<Client> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .context("TCP connect failed")?;
    tcp.set_nodelay(true)?;
    let tls = nbwss_tls::connect(tcp, "127.0.0.1", tls).await?;
    let url = format!("wss://127.0.0.1:{port}{WS_PATH}");
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER_BYTES);
    let (mut ws, _response) = tokio_tungstenite::client_async_with_config(url, tls, Some(config))
        .await
        .context("WebSocket upgrade failed")?;
    let id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let request = ConnectRequest {
        token: TOKEN.to_owned(),
        server_name: Some("scale-client".to_owned()),
        ..ConnectRequest::default()
    };
    let text = Message::new(id, Body::ConnectRequest(request)).to_json();
    ws.send(WsMessage::text(text)).await?;
    loop {
        let message = match ws.next().await {
            Some(message) => message.context("reading the CONNECT RESPONSE failed")?,
            None => bail!("the endpoint closed before the CONNECT RESPONSE"),
        };
        let WsMessage::Text(text) = message else {
            continue;
        };
        match Message::parse(text.as_str()) {
            Ok(Message {
                body: Body::ConnectResponse(ConnectResponse { valid: true }),
                ..
            }) => break,
            Ok(_) => bail!("the endpoint did not accept the CONNECT token"),
            Err(error) => bail!("invalid CONNECT RESPONSE: {error}"),
        }
    }
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
    Ok(Client { reader })
}
