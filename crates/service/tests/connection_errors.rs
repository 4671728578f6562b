//! The error responses the service generates itself, each triggered over a
//! real connection: status code, `x-nbwss-error` header and the
//! `errorCode` / `errorMessage` body. NOT_CONNECTED is triggered in
//! `connection_connect.rs`, because it needs a peer that holds back its
//! CONNECT RESPONSE.

mod support;

use nbwss_protocol::{Body, CommandRequest, ErrorCode, Message, Method};
use serde_json::json;
use support::harness::{assert_service_error, connect, request};
use support::peer::new_id;
use support::upstream::SlowEvent;

/// The default `connection.maxInboundMessageBytes`.
const MAX_INBOUND_BYTES: usize = 2 * 1024 * 1024;

/// Commands that may wait per running slot, as the relay's admission
/// control allows.
const QUEUE_FACTOR: usize = nbwss_service::relay::QUEUE_FACTOR;

/// A COMMAND REQUEST without `uri` gets 400 INVALID_MESSAGE naming the key.
#[tokio::test]
async fn missing_uri_is_invalid_message() {
    let mut connected = connect(&[]).await;
    let id = new_id();
    let text = json!({
        "version": "1.0", "id": id, "type": "COMMAND", "subType": "REQUEST",
        "timeStamp": 1, "payload": {"method": "GET", "headers": {}}
    });

    connected.conn.send_text(text.to_string());

    let response = connected.conn.response(&id).await;
    let message = assert_service_error(&response, ErrorCode::InvalidMessage);
    assert!(message.contains("uri"), "{message}");
}

/// A COMMAND REQUEST with version 2.0 gets 400 UNSUPPORTED_VERSION.
#[tokio::test]
async fn other_version_is_unsupported() {
    let mut connected = connect(&[]).await;
    let id = new_id();
    let text = json!({
        "version": "2.0", "id": id, "type": "COMMAND", "subType": "REQUEST",
        "timeStamp": 1,
        "payload": {"uri": "/netbackup/echo", "method": "GET", "headers": {}}
    });

    connected.conn.send_text(text.to_string());

    let response = connected.conn.response(&id).await;
    let message = assert_service_error(&response, ErrorCode::UnsupportedVersion);
    assert!(message.contains("2.0"), "{message}");
}

/// A `uri` outside the allowed prefixes, or escaping them, gets 403
/// URI_REJECTED.
#[tokio::test]
async fn disallowed_uri_is_rejected() {
    let mut connected = connect(&[]).await;
    let uris = [
        "/admin/config",
        "/netbackup/../admin",
        "/netbackup/%2e%2e/admin",
        "//evil.example/netbackup/",
        "https://evil.example/netbackup/",
    ];
    for uri in uris {
        let response = connected.conn.call(request(Method::Get, uri)).await;
        assert_eq!(response.error_code(), Some(ErrorCode::UriRejected), "{uri}");
        assert_service_error(&response, ErrorCode::UriRejected);
    }
}

/// A header name with a space gets 400 HEADER_REJECTED naming the header.
#[tokio::test]
async fn invalid_header_is_rejected() {
    let mut connected = connect(&[]).await;
    let mut get = request(Method::Get, "/netbackup/echo");
    get.headers
        .insert("Bad Name".to_owned(), "value".to_owned());

    let response = connected.conn.call(get).await;

    let message = assert_service_error(&response, ErrorCode::HeaderRejected);
    assert!(message.contains("Bad Name"), "{message}");
}

/// A header value with a line break gets 400 HEADER_REJECTED without the
/// value in the message.
#[tokio::test]
async fn header_value_with_newline_is_rejected() {
    let mut connected = connect(&[]).await;
    let mut get = request(Method::Get, "/netbackup/echo");
    get.headers.insert(
        "Authorization".to_owned(),
        "secret-value\r\nX-Injected: 1".to_owned(),
    );

    let response = connected.conn.call(get).await;

    let message = assert_service_error(&response, ErrorCode::HeaderRejected);
    assert!(!message.contains("secret-value"), "{message}");
}

/// An id still in flight gets 409 DUPLICATE_ID, and the first command
/// still completes.
#[tokio::test]
async fn id_in_flight_is_duplicate() {
    let mut connected = connect(&[]).await;
    let id = new_id();
    connected
        .conn
        .send_command(&id, request(Method::Get, "/netbackup/slow"));
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Started);

    connected
        .conn
        .send_command(&id, request(Method::Get, "/netbackup/echo"));
    let duplicate = connected.conn.response(&id).await;
    assert_service_error(&duplicate, ErrorCode::DuplicateId);

    connected.upstream.release();
    let first = connected.conn.response(&id).await;
    assert_eq!(first.status_code, 200);
    assert_eq!(first.body.as_deref(), Some("released"));
}

/// A COMMAND of 2 MiB + 1 byte gets 413 MESSAGE_TOO_LARGE, and a command
/// of exactly 2 MiB on the same connection is relayed.
#[tokio::test]
async fn command_over_policy_limit_is_too_large() {
    let mut connected = connect(&[]).await;
    let over = new_id();
    connected
        .conn
        .send_text(command_text(&over, MAX_INBOUND_BYTES + 1));

    let response = connected.conn.response(&over).await;
    let message = assert_service_error(&response, ErrorCode::MessageTooLarge);
    assert!(message.contains("2097152"), "{message}");

    let at_limit = new_id();
    connected
        .conn
        .send_text(command_text(&at_limit, MAX_INBOUND_BYTES));
    let response = connected.conn.response(&at_limit).await;
    assert_eq!(response.status_code, 200);
}

/// With `command.maxConcurrent=1`, one command runs, four wait, and the
/// sixth gets 429 TOO_MANY_REQUESTS; the five admitted all complete.
#[tokio::test]
async fn commands_over_queue_are_too_many() {
    let mut connected = connect(&[("command.maxConcurrent", "1")]).await;
    let admitted: Vec<String> = (0..=QUEUE_FACTOR).map(|_| new_id()).collect();
    for id in &admitted {
        connected
            .conn
            .send_command(id, request(Method::Get, "/netbackup/slow"));
    }
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Started);

    let rejected = connected
        .conn
        .call(request(Method::Get, "/netbackup/echo"))
        .await;
    assert_service_error(&rejected, ErrorCode::TooManyRequests);

    connected.upstream.release();
    for id in &admitted {
        let response = connected.conn.response(id).await;
        assert_eq!(response.status_code, 200, "{id}");
    }
}

/// An upstream on a closed port gets 502 UPSTREAM_UNREACHABLE.
#[tokio::test]
async fn closed_upstream_port_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let closed = format!("https://127.0.0.1:{port}");
    let mut connected = connect(&[("command.upstreamUrl", &closed)]).await;

    let response = connected
        .conn
        .call(request(Method::Get, "/netbackup/echo"))
        .await;

    let message = assert_service_error(&response, ErrorCode::UpstreamUnreachable);
    assert!(message.contains(&closed), "{message}");
}

/// A call running past `command.timeout` gets 504 UPSTREAM_TIMEOUT, and
/// the upstream call is dropped.
#[tokio::test]
async fn slow_upstream_times_out() {
    let mut connected = connect(&[("command.timeout", "1")]).await;

    let response = connected
        .conn
        .call(request(Method::Get, "/netbackup/slow"))
        .await;

    assert_service_error(&response, ErrorCode::UpstreamTimeout);
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Started);
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Dropped);
}

/// A body over `command.maxResponseBytes` gets 502 RESPONSE_TOO_LARGE.
#[tokio::test]
async fn body_over_response_limit_is_too_large() {
    let mut connected = connect(&[("command.maxResponseBytes", "1024")]).await;

    let response = connected
        .conn
        .call(request(Method::Get, "/netbackup/large/4096"))
        .await;

    let message = assert_service_error(&response, ErrorCode::ResponseTooLarge);
    assert!(message.contains("1024"), "{message}");
}

/// A POST COMMAND REQUEST to the echo handler whose JSON text is exactly
/// `len` bytes, padded in `parameters`.
fn command_text(id: &str, len: usize) -> String {
    let mut post = CommandRequest::new(Method::Post, "/netbackup/echo");
    post.parameters = Some(String::new());
    let mut message = Message::new(id, Body::CommandRequest(post.clone()));
    let base = message.to_json().len();
    post.parameters = Some("a".repeat(len - base));
    message.body = Body::CommandRequest(post);
    let text = message.to_json();
    assert_eq!(text.len(), len, "padded message length");
    text
}

/// An id whose response has arrived can be used again at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_id_can_be_reused() {
    let mut connected = connect(&[]).await;
    let id = new_id();
    for round in 0..500 {
        connected
            .conn
            .send_command(&id, request(Method::Get, "/netbackup/echo"));
        let response = connected.conn.response(&id).await;
        assert_eq!(
            response.status_code, 200,
            "round {round}: {:?}",
            response.body
        );
    }
}
