//! How a connection ends on bad input or a silent peer: a message over the
//! hard size limit closes with 1009, unanswered pings end the connection,
//! and an undecodable or binary message closes with 1007 unless
//! `exception.ignoreDecoder` is set. In every case the service reconnects
//! on its own.

mod support;

use nbwss_protocol::Method;
use nbwss_service::registry::ConnectionState;
use support::harness::{HOST, connect, request, wait_for_live, wait_for_state};

/// `connection.hardMaxInboundMessageBytes` for the size test: 4 MiB.
const HARD_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// A text payload that is not UTF-8: a lone continuation byte inside JSON.
const INVALID_UTF8: &[u8] = b"{\"id\":\"\x80\"}";

/// A message one byte over the hard limit closes the connection with 1009,
/// and the service reconnects.
#[tokio::test]
async fn message_over_hard_limit_closes_with_1009() {
    let hard_limit = HARD_LIMIT_BYTES.to_string();
    let mut connected = connect(&[
        ("connection.hardMaxInboundMessageBytes", &hard_limit),
        ("connection.maxInboundMessageBytes", "2097152"),
    ])
    .await;

    connected.conn.send_text("x".repeat(HARD_LIMIT_BYTES + 1));

    assert_eq!(connected.conn.closed().await, Some(1009));
    let mut again = connected.peer.next_conn().await;
    wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
    let response = again.call(request(Method::Get, "/netbackup/echo")).await;
    assert_eq!(response.status_code, 200);
}

/// A peer that stops reading, and so sends no pongs, is declared dead and
/// the service connects again.
#[tokio::test]
async fn unanswered_pings_end_connection() {
    let mut connected = connect(&[
        ("keepAlive.scheduledRate", "1"),
        ("keepAlive.maxPongMissAllowed", "2"),
    ])
    .await;
    let first = connected.service.registry.live(HOST).conn_id;
    connected.conn.wait_for_pings(1).await;

    connected.conn.stop_reading();

    // The reconnect can follow within a backoff draw, so either the
    // disconnect or the next attempt's id shows the connection ended.
    wait_for_live(
        &connected.service,
        HOST,
        "the first connection ended",
        |live| live.state != ConnectionState::Connected || live.conn_id != first,
    )
    .await;
    let _again = connected.peer.next_conn().await;
    let live = wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
    assert_ne!(live.conn_id, first);
}

/// Text that is not JSON closes the connection with 1007 by default, and
/// the service reconnects.
#[tokio::test]
async fn malformed_json_closes_with_1007() {
    let mut connected = connect(&[]).await;

    connected.conn.send_text("{not json");

    assert_eq!(connected.conn.closed().await, Some(1007));
    let _again = connected.peer.next_conn().await;
    wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
}

/// With `exception.ignoreDecoder=true`, text that is not JSON is skipped
/// and the next command on the connection works.
#[tokio::test]
async fn malformed_json_ignored_when_configured() {
    let mut connected = connect(&[("exception.ignoreDecoder", "true")]).await;

    connected.conn.send_text("{not json");

    let response = connected
        .conn
        .call(request(Method::Get, "/netbackup/echo"))
        .await;
    assert_eq!(response.status_code, 200);
    assert!(!connected.conn.status().ended);
}

/// A binary message closes the connection with 1007 by default, and the
/// service reconnects.
#[tokio::test]
async fn binary_message_closes_with_1007() {
    let mut connected = connect(&[]).await;

    connected.conn.send_binary(b"{\"binary\":true}".to_vec());

    assert_eq!(connected.conn.closed().await, Some(1007));
    let _again = connected.peer.next_conn().await;
    wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
}

/// With `exception.ignoreDecoder=true`, a binary message is skipped and
/// the next command on the connection works.
#[tokio::test]
async fn binary_message_ignored_when_configured() {
    let mut connected = connect(&[("exception.ignoreDecoder", "true")]).await;

    connected.conn.send_binary(vec![0xff, 0x00, 0xfe]);

    let response = connected
        .conn
        .call(request(Method::Get, "/netbackup/echo"))
        .await;
    assert_eq!(response.status_code, 200);
    assert!(!connected.conn.status().ended);
}

/// A text frame that is not UTF-8 closes the connection with 1007, and the
/// service reconnects.
#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let mut connected = connect(&[]).await;

    connected.conn.send_unchecked_text(INVALID_UTF8.to_vec());

    assert_eq!(connected.conn.closed().await, Some(1007));
    let _again = connected.peer.next_conn().await;
    wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
}

/// A text frame that is not UTF-8 closes the connection with 1007 even
/// with `exception.ignoreDecoder=true`, because the WebSocket stream
/// cannot be read past it.
#[tokio::test]
async fn invalid_utf8_closes_even_when_ignored() {
    let mut connected = connect(&[("exception.ignoreDecoder", "true")]).await;

    connected.conn.send_unchecked_text(INVALID_UTF8.to_vec());

    assert_eq!(connected.conn.closed().await, Some(1007));
    let _again = connected.peer.next_conn().await;
    wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
}

/// An endpoint that sends commands but stops reading their responses does
/// not stall the connection: it is closed, and stopping the service does
/// not wait on it.
#[tokio::test]
async fn endpoint_that_stops_reading_is_disconnected() {
    let connected = connect(&[
        ("keepAlive.scheduledRate", "1"),
        ("keepAlive.maxPongMissAllowed", "2"),
    ])
    .await;
    let first = connected.service.registry.live(HOST).conn_id;
    connected.conn.stop_reading();
    // More responses than the service queues for one connection.
    for _ in 0..1300 {
        let request = request(nbwss_protocol::Method::Get, "/netbackup/large/65536");
        connected
            .conn
            .send_command(&support::peer::new_id(), request);
    }
    wait_for_live(
        &connected.service,
        HOST,
        "the stalled connection ended",
        |live| live.state != ConnectionState::Connected || live.conn_id != first,
    )
    .await;
    let stopped =
        tokio::time::timeout(std::time::Duration::from_secs(30), connected.service.stop()).await;
    assert!(stopped.is_ok(), "stop waited on the stalled endpoint");
}
