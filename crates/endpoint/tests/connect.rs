//! The start and end of a connection: upgrade path, CONNECT exchange,
//! keep-alive and shutdown.

mod common;

use std::time::Duration;

use common::{TOKEN, TestServer, start, within};
use futures_util::{SinkExt, StreamExt};
use nbwss_endpoint::{DisconnectReason, EndpointConfig};
use nbwss_protocol::{Body, CommandRequest, Message, Method};
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

/// A valid token gets `valid: true` and publishes a handle.
#[tokio::test]
async fn accepts_valid_token() {
    let mut test = start(EndpointConfig::default()).await;
    let mut client = test.dial().await;
    assert!(client.send_connect(TOKEN).await);
    let server = test.next_connected().await;
    assert_eq!(server.server_name(), Some("backup-1"));
    assert_eq!(test.server.connections().len(), 1);
}

/// A wrong token gets `valid: false`, then a 1008 close, and no handle.
#[tokio::test]
async fn rejects_invalid_token_with_1008() {
    let test = start(EndpointConfig::default()).await;
    let mut client = test.dial().await;
    assert!(!client.send_connect("wrong-token").await);
    assert_eq!(client.recv_close().await, Some(1008));
    assert!(test.server.connections().is_empty());
}

/// A service that sends nothing after the upgrade is closed with 1008.
#[tokio::test]
async fn closes_when_connect_times_out() {
    let config = EndpointConfig {
        connect_timeout: Duration::from_millis(200),
        ..EndpointConfig::default()
    };
    let test = start(config).await;
    let mut client = test.dial().await;
    assert_eq!(client.recv_close().await, Some(1008));
}

/// A first message other than CONNECT is closed with 1008.
#[tokio::test]
async fn rejects_command_response_before_connect() {
    let test = start(EndpointConfig::default()).await;
    let mut client = test.dial().await;
    client.respond("NOT-CONNECTED", 200, "{}").await;
    assert_eq!(client.recv_close().await, Some(1008));
}

/// Garbage before CONNECT is closed with 1007.
#[tokio::test]
async fn rejects_garbage_before_connect_with_1007() {
    let test = start(EndpointConfig::default()).await;
    let mut client = test.dial().await;
    client.send_text("not json at all".to_owned()).await;
    assert_eq!(client.recv_close().await, Some(1007));
}

/// An upgrade on another path gets HTTP 404.
#[tokio::test]
async fn rejects_unknown_path_with_404() {
    let test = start(EndpointConfig::default()).await;
    let result = common::dial(test.server.local_addr(), &test.pki.client, "/other").await;
    match result {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        Err(other) => panic!("expected an HTTP 404, got {other}"),
        Ok(_) => panic!("expected an HTTP 404, got an upgrade"),
    }
}

/// The endpoint replies to the service's pings with pongs.
#[tokio::test]
async fn answers_ping_from_service() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, _server) = test.connect().await;
    within(client.ws.send(WsMessage::Ping(b"alive".to_vec().into())))
        .await
        .unwrap();
    let reply = within(client.ws.next()).await;
    assert!(
        matches!(&reply, Some(Ok(WsMessage::Pong(data))) if data.as_ref() == b"alive"),
        "{reply:?}"
    );
}

/// The endpoint pings on its own. A client that reads, and so sends pongs,
/// keeps the connection.
#[tokio::test]
async fn sends_pings_when_configured() {
    let config = EndpointConfig {
        ping_interval: Some(Duration::from_secs(1)),
        ..EndpointConfig::default()
    };
    let mut test = start(config).await;
    let (mut client, server) = test.connect().await;
    for _ in 0..2 {
        let next = within(client.ws.next()).await;
        assert!(matches!(next, Some(Ok(WsMessage::Ping(_)))), "{next:?}");
    }
    assert!(server.is_connected());
}

/// A client that never reads, and so never sends pongs, is dropped.
#[tokio::test]
async fn drops_connection_without_pongs() {
    let config = EndpointConfig {
        ping_interval: Some(Duration::from_millis(100)),
        close_timeout: Duration::from_millis(200),
        ..EndpointConfig::default()
    };
    let mut test = start(config).await;
    let (_client, server) = test.connect().await;
    let (conn_id, reason) = test.next_disconnected().await;
    assert_eq!(conn_id, server.id());
    assert_eq!(reason, DisconnectReason::PongTimeout);
}

/// A close from the service is reported with its code.
#[tokio::test]
async fn reports_close_from_service() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, _server) = test.connect().await;
    within(client.ws.close(None)).await.unwrap();
    let (_, reason) = test.next_disconnected().await;
    assert_eq!(
        reason,
        DisconnectReason::ClosedByPeer {
            code: None,
            reason: String::new()
        }
    );
    assert!(test.server.connections().is_empty());
}

/// Closing a handle sends 1000 and ends the connection.
#[tokio::test]
async fn application_close_sends_1000() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let closing = tokio::spawn(async move { server.close().await });
    assert_eq!(client.recv_close().await, Some(1000));
    drop(client);
    within(closing).await.unwrap();
    let (_, reason) = test.next_disconnected().await;
    assert_eq!(reason, DisconnectReason::ClosedByApplication);
}

/// Shutdown closes live connections with 1001 and the stream of
/// notifications ends.
#[tokio::test]
async fn shutdown_closes_with_1001() {
    let mut test = start(EndpointConfig::default()).await;
    let mut notifications = test.server.notifications().unwrap();
    let (mut client, _server) = test.connect().await;
    let TestServer { server, .. } = test;
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(client.recv_close().await, Some(1001));
    drop(client);
    within(stopping).await.unwrap();
    assert!(within(notifications.recv()).await.is_none());
}

/// A COMMAND REQUEST from the service is ignored and the connection stays.
#[tokio::test]
async fn ignores_command_request_from_service() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let request = CommandRequest::new(Method::Get, "/netbackup/admin/jobs");
    client
        .send(&Message::new("WRONG-WAY", Body::CommandRequest(request)))
        .await;
    let call = tokio::spawn({
        let server = server.clone();
        async move { server.call(CommandRequest::new(Method::Get, "/x")).await }
    });
    let (id, _) = client.recv_command().await;
    client.respond(&id, 200, "ok").await;
    let response = within(call).await.unwrap().unwrap();
    assert_eq!(response.status_code, 200);
}
