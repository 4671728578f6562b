//! Bad input from the service: oversized, undecodable and binary messages,
//! and many connections at once.

mod common;

use common::{TOKEN, start, within};
use futures_util::SinkExt;
use nbwss_endpoint::{DisconnectReason, EndpointConfig};
use nbwss_protocol::{CommandRequest, Method};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

const SMALL_LIMIT: usize = 1024;

fn small_limit() -> EndpointConfig {
    EndpointConfig {
        max_inbound_message_bytes: SMALL_LIMIT,
        ..EndpointConfig::default()
    }
}

/// A message over the limit closes the connection with 1009.
#[tokio::test]
async fn oversized_message_closes_with_1009() {
    let mut test = start(small_limit()).await;
    let (mut client, _server) = test.connect().await;
    client.send_text("x".repeat(4 * 1024 * 1024)).await;
    assert_eq!(client.recv_close().await, Some(1009));
    drop(client);
    let (_, reason) = test.next_disconnected().await;
    assert!(
        matches!(
            reason,
            DisconnectReason::MessageTooLarge {
                max_size: SMALL_LIMIT,
                ..
            }
        ),
        "{reason:?}"
    );
}

/// An oversized message sent as fragments also closes with 1009.
#[tokio::test]
async fn oversized_fragmented_message_closes_with_1009() {
    let mut test = start(small_limit()).await;
    let (mut client, _server) = test.connect().await;
    let chunk = vec![b'x'; SMALL_LIMIT / 2];
    let first = Frame::message(chunk.clone(), OpCode::Data(Data::Text), false);
    within(client.ws.send(WsMessage::Frame(first)))
        .await
        .unwrap();
    for _ in 0..3 {
        let more = Frame::message(chunk.clone(), OpCode::Data(Data::Continue), false);
        within(client.ws.send(WsMessage::Frame(more)))
            .await
            .unwrap();
    }
    assert_eq!(client.recv_close().await, Some(1009));
}

/// Text that is not JSON closes the connection with 1007.
#[tokio::test]
async fn garbage_text_closes_with_1007() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, _server) = test.connect().await;
    client.send_text("{not json".to_owned()).await;
    assert_eq!(client.recv_close().await, Some(1007));
    drop(client);
    let (_, reason) = test.next_disconnected().await;
    assert_eq!(reason, DisconnectReason::UndecodableMessage);
}

/// A text frame with invalid UTF-8 closes the connection with 1007.
#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, _server) = test.connect().await;
    let frame = Frame::message(vec![0xc3, 0x28], OpCode::Data(Data::Text), true);
    within(client.ws.send(WsMessage::Frame(frame)))
        .await
        .unwrap();
    assert_eq!(client.recv_close().await, Some(1007));
}

/// A binary message, which the protocol forbids, closes with 1003.
#[tokio::test]
async fn binary_message_closes_with_1003() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, _server) = test.connect().await;
    within(client.ws.send(WsMessage::binary(vec![1, 2, 3])))
        .await
        .unwrap();
    assert_eq!(client.recv_close().await, Some(1003));
    drop(client);
    let (_, reason) = test.next_disconnected().await;
    assert_eq!(reason, DisconnectReason::BinaryMessage);
}

/// JSON of the wrong shape is ignored and the connection stays up.
#[tokio::test]
async fn invalid_message_with_id_is_ignored() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    client
        .send_text(r#"{"id":"X","version":"1.0","type":"BOGUS"}"#.to_owned())
        .await;
    let call = tokio::spawn({
        let server = server.clone();
        async move {
            server
                .call(CommandRequest::new(Method::Get, "/netbackup/x"))
                .await
        }
    });
    let (id, _) = client.recv_command().await;
    client.respond(&id, 200, "").await;
    assert!(within(call).await.unwrap().is_ok());
}

/// 200 clients connect at once and each replies to its own call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_200_connections_at_once() {
    const CLIENTS: usize = 200;
    let mut test = start(EndpointConfig::default()).await;
    let addr = test.server.local_addr();
    let mut clients = Vec::new();
    for index in 0..CLIENTS {
        let tls = test.pki.client.clone();
        clients.push(tokio::spawn(async move {
            let mut client = common::dial(addr, &tls, "/nbwss").await.unwrap();
            assert!(client.send_connect(TOKEN).await);
            let (id, request) = client.recv_command().await;
            client.respond(&id, 200, &request.uri).await;
            // Keep the connection open until the endpoint closes it.
            client.recv_close().await;
            index
        }));
    }
    let mut servers = Vec::new();
    for _ in 0..CLIENTS {
        servers.push(test.next_connected().await);
    }
    let calls: Vec<_> = servers
        .iter()
        .map(|server| {
            let server = server.clone();
            tokio::spawn(async move {
                let uri = format!("/netbackup/conn/{}", server.id());
                let response = server.call(CommandRequest::new(Method::Get, &uri)).await;
                (uri, response)
            })
        })
        .collect();
    for call in calls {
        let (uri, response) = within(call).await.unwrap();
        assert_eq!(response.unwrap().body, Some(uri));
    }
    assert_eq!(test.server.connections().len(), CLIENTS);
    within(test.server.shutdown()).await;
    for client in clients {
        within(client).await.unwrap();
    }
}
