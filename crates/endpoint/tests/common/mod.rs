//! Test harness: an endpoint server on 127.0.0.1 port 0 with a generated
//! certificate, and a small client that plays the backup server's service
//! over real TLS and WebSocket.

#![allow(dead_code)]

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nbwss_endpoint::{BackupServer, DisconnectReason, EndpointConfig, EndpointServer, Event};
use nbwss_protocol::{Body, CommandResponse, ConnectRequest, JobRecord, Message, NotificationItem};
use nbwss_tls::GeneratedCert;
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Upper bound on any single wait in a test.
pub const LIMIT: Duration = Duration::from_secs(30);

/// The token the test server accepts.
pub const TOKEN: &str = "test-token-1";

/// Awaits `future`, failing the test after [`LIMIT`].
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("timed out waiting in a test")
}

/// A generated certificate and the client config that pins it.
pub struct Pki {
    pub cert: GeneratedCert,
    pub client: Arc<rustls::ClientConfig>,
}

pub fn pki() -> Pki {
    let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
    let cert = nbwss_tls::generate_self_signed(&names).expect("certificate generated");
    let client = nbwss_tls::client_config(rustls::RootCertStore::empty(), Some(cert.fingerprint));
    Pki { cert, client }
}

/// A running endpoint server with an event subscription taken before any
/// client connects.
pub struct TestServer {
    pub server: EndpointServer,
    pub events: broadcast::Receiver<Event>,
    pub pki: Pki,
}

/// Starts a server that accepts [`TOKEN`] on path `/nbwss`.
pub async fn start(config: EndpointConfig) -> TestServer {
    let pki = pki();
    let tls = nbwss_tls::server_config(&pki.cert.cert_pem, &pki.cert.key_pem)
        .expect("server config built");
    let tokens: HashSet<String> = [TOKEN.to_owned()].into();
    let config = EndpointConfig {
        path: Some("/nbwss".to_owned()),
        ..config
    };
    let server = EndpointServer::bind(SocketAddr::from(([127, 0, 0, 1], 0)), tls, tokens, config)
        .await
        .expect("server bound");
    let events = server.events();
    TestServer {
        server,
        events,
        pki,
    }
}

impl TestServer {
    /// Opens a WebSocket to the server on `/nbwss` without sending CONNECT.
    pub async fn dial(&self) -> TestClient {
        dial(self.server.local_addr(), &self.pki.client, "/nbwss")
            .await
            .expect("WebSocket upgrade succeeded")
    }

    /// Dials, completes CONNECT with [`TOKEN`] and returns the client and
    /// the endpoint's handle for it.
    pub async fn connect(&mut self) -> (TestClient, BackupServer) {
        let mut client = self.dial().await;
        assert!(client.send_connect(TOKEN).await, "CONNECT accepted");
        let server = self.next_connected().await;
        (client, server)
    }

    /// Waits for the next `Connected` event.
    pub async fn next_connected(&mut self) -> BackupServer {
        loop {
            if let Event::Connected(server) = within(self.events.recv()).await.expect("event") {
                return server;
            }
        }
    }

    /// Waits for the next `Disconnected` event.
    pub async fn next_disconnected(&mut self) -> (u64, DisconnectReason) {
        loop {
            let event = within(self.events.recv()).await.expect("event");
            if let Event::Disconnected { conn_id, reason } = event {
                return (conn_id, reason);
            }
        }
    }
}

pub type ClientStream = WebSocketStream<TlsStream<TcpStream>>;

/// Opens TLS and a WebSocket on `path`.
pub async fn dial(
    addr: SocketAddr,
    client: &Arc<rustls::ClientConfig>,
    path: &str,
) -> Result<TestClient, tokio_tungstenite::tungstenite::Error> {
    let tcp = TcpStream::connect(addr).await.expect("TCP connected");
    let tls = nbwss_tls::connect(tcp, "localhost", client.clone())
        .await
        .expect("TLS handshake succeeded");
    let url = format!("wss://localhost:{}{path}", addr.port());
    let (ws, _) = within(tokio_tungstenite::client_async(url, tls)).await?;
    Ok(TestClient { ws })
}

/// The service's side of one connection.
pub struct TestClient {
    pub ws: ClientStream,
}

impl TestClient {
    /// Sends a CONNECT REQUEST and returns the `valid` of the response.
    pub async fn send_connect(&mut self, token: &str) -> bool {
        let request = ConnectRequest {
            token: token.to_owned(),
            server_name: Some("backup-1".to_owned()),
            ..ConnectRequest::default()
        };
        self.send(&Message::new("CONNECT-1", Body::ConnectRequest(request)))
            .await;
        let response = self.recv().await;
        assert_eq!(response.id, "CONNECT-1");
        match response.body {
            Body::ConnectResponse(response) => response.valid,
            other => panic!("expected a CONNECT RESPONSE, got {other:?}"),
        }
    }

    pub async fn send(&mut self, message: &Message) {
        self.send_text(message.to_json()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        within(self.ws.send(WsMessage::text(text)))
            .await
            .expect("message sent");
    }

    /// Receives the next protocol message, skipping pings and pongs.
    pub async fn recv(&mut self) -> Message {
        loop {
            let next = within(self.ws.next()).await;
            match next {
                Some(Ok(WsMessage::Text(text))) => {
                    return Message::parse(text.as_str()).expect("endpoint sent a valid message");
                }
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    }

    /// Reads until a close frame arrives and returns its code, or `None`
    /// when the connection ended without one.
    pub async fn recv_close(&mut self) -> Option<u16> {
        loop {
            match within(self.ws.next()).await {
                Some(Ok(WsMessage::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Receives the next COMMAND REQUEST and returns its id.
    pub async fn recv_command(&mut self) -> (String, nbwss_protocol::CommandRequest) {
        let message = self.recv().await;
        match message.body {
            Body::CommandRequest(request) => (message.id, request),
            other => panic!("expected a COMMAND REQUEST, got {other:?}"),
        }
    }

    /// Sends a COMMAND RESPONSE with `status` and `body` for `id`.
    pub async fn respond(&mut self, id: &str, status: u16, body: &str) {
        let response = CommandResponse::from_bytes(status, Default::default(), body.into());
        self.send(&Message::new(id, Body::CommandResponse(response)))
            .await;
    }

    /// Sends a NOTIFICATION REQUEST with one job item.
    pub async fn notify(&mut self, id: &str, job_id: i64) {
        let body = Body::NotificationRequest(vec![job_item(job_id)]);
        self.send(&Message::new(id, body)).await;
    }
}

/// Builds a notification item with one finished backup job.
pub fn job_item(job_id: i64) -> NotificationItem {
    NotificationItem::jobs(vec![JobRecord {
        job_id,
        parent_job_id: job_id,
        job_type: "BACKUP".to_owned(),
        state: "DONE".to_owned(),
        status: 0,
        start_time: 1_700_000_000,
        policy_name: "vmware2".to_owned(),
        policy_type: "VMWARE".to_owned(),
        schedule_type: "ST_FULL".to_owned(),
        client_name: "client1".to_owned(),
    }])
}
