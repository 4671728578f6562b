//! COMMANDs relayed end to end: from a real WebSocket peer through the
//! service to a real HTTPS upstream and back, with headers and bodies
//! intact, many at once, and cancelled when the connection drops.

mod support;

use nbwss_protocol::{CommandRequest, ErrorCode, Method};
use nbwss_service::registry::ConnectionState;
use nbwss_service::relay::Relay;
use nbwss_service::service::relay_settings;
use support::harness::{HOST, body_json, connect, request};
use support::peer::new_id;
use support::upstream::SlowEvent;

/// Commands sent at once by the concurrency test.
const CONCURRENT_COMMANDS: usize = 64;

/// A GET reaches the upstream with its query, Authorization unchanged and
/// hop-by-hop headers dropped, and the upstream's response comes back.
#[tokio::test]
async fn relays_get_with_headers_intact() {
    let mut connected = connect(&[]).await;
    let mut get = request(Method::Get, "/netbackup/echo?page[limit]=10");
    let headers = [
        ("Authorization", "Bearer eyJ.test-jwt.sig"),
        ("Accept", "application/vnd.netbackup+json;version=4.0"),
        ("X-Request-Tag", "tag-1"),
        ("Connection", "close"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "Basic cHJveHk6cGFzcw=="),
        ("Host", "evil.example"),
    ];
    for (name, value) in headers {
        get.headers.insert(name.to_owned(), value.to_owned());
    }

    let response = connected.conn.call(get).await;

    assert_eq!(response.status_code, 200);
    let content_type = response.headers.get("content-type").map(String::as_str);
    assert_eq!(content_type, Some("application/json"));
    let echo = body_json(&response);
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["uri"], "/netbackup/echo?page[limit]=10");
    let received = &echo["headers"];
    assert_eq!(received["authorization"], "Bearer eyJ.test-jwt.sig");
    assert_eq!(
        received["accept"],
        "application/vnd.netbackup+json;version=4.0"
    );
    assert_eq!(received["x-request-tag"], "tag-1");
    for dropped in [
        "connection",
        "keep-alive",
        "te",
        "upgrade",
        "proxy-authorization",
    ] {
        assert!(
            received.get(dropped).is_none(),
            "{dropped} reached upstream"
        );
    }
    assert_ne!(received["host"], "evil.example");
}

/// A POST reaches the upstream with its body and Content-Type unchanged.
#[tokio::test]
async fn relays_post_with_body_intact() {
    let mut connected = connect(&[]).await;
    let body = r#"{"data":{"type":"job","attributes":{"note":"ünïcode \"quoted\""}}}"#;
    let mut post = request(Method::Post, "/netbackup/echo");
    post.headers.insert(
        "Content-Type".to_owned(),
        "application/vnd.netbackup+json;version=4.0".to_owned(),
    );
    post.headers
        .insert("Authorization".to_owned(), "api-key-value".to_owned());
    post.parameters = Some(body.to_owned());

    let response = connected.conn.call(post).await;

    assert_eq!(response.status_code, 200);
    let echo = body_json(&response);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], body);
    let received = &echo["headers"];
    assert_eq!(
        received["content-type"],
        "application/vnd.netbackup+json;version=4.0"
    );
    assert_eq!(received["authorization"], "api-key-value");
}

/// 64 commands sent without waiting all get a response, each under its
/// own id and with its own upstream response.
#[tokio::test]
async fn answers_concurrent_commands_by_id() {
    let mut connected = connect(&[]).await;
    let mut sent = Vec::new();
    for index in 0..CONCURRENT_COMMANDS {
        let id = new_id();
        let uri = format!("/netbackup/echo?index={index}");
        connected
            .conn
            .send_command(&id, CommandRequest::new(Method::Get, uri.clone()));
        sent.push((id, uri));
    }

    for (id, uri) in sent {
        let response = connected.conn.response(&id).await;
        assert_eq!(response.status_code, 200, "{id}");
        assert_eq!(body_json(&response)["uri"], uri.as_str(), "{id}");
    }
}

/// A large upstream body within the limit comes back whole.
#[tokio::test]
async fn relays_large_body_whole() {
    let mut connected = connect(&[]).await;
    let bytes = 3 * 1024 * 1024;
    let uri = format!("/netbackup/large/{bytes}");

    let response = connected.conn.call(request(Method::Get, &uri)).await;

    assert_eq!(response.status_code, 200);
    assert_eq!(response.body.as_ref().map(String::len), Some(bytes));
}

/// When the connection drops, the upstream call in flight is cancelled:
/// the upstream handler is dropped before it responds.
#[tokio::test]
async fn dropped_connection_cancels_upstream_call() {
    let mut connected = connect(&[]).await;
    connected
        .conn
        .send_command(&new_id(), request(Method::Get, "/netbackup/slow"));
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Started);

    connected.conn.kill();

    assert_eq!(connected.upstream.next_event().await, SlowEvent::Dropped);
}

/// Stopping the service with a command in flight closes the connection
/// with 1000 and cancels the upstream call.
#[tokio::test]
async fn stop_cancels_upstream_call() {
    let mut connected = connect(&[]).await;
    connected
        .conn
        .send_command(&new_id(), request(Method::Get, "/netbackup/slow"));
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Started);

    connected.service.stop().await;

    assert_eq!(connected.conn.closed().await, Some(1000));
    assert_eq!(connected.upstream.next_event().await, SlowEvent::Dropped);
}

/// New relay settings reach the next command on a live connection, which
/// stays up.
#[tokio::test]
async fn reconfigured_relay_applies_without_reconnect() {
    let mut connected = connect(&[]).await;
    let before = connected
        .conn
        .call(request(Method::Get, "/netbackup/echo"))
        .await;
    assert_eq!(before.status_code, 200);
    let live_before = connected.service.registry.live(HOST).conn_id;

    let control = connected.service.connections();
    let mut config = connected.service.config.clone();
    config.allowed_path_prefixes = vec!["/api/".to_owned()];
    let settings = control
        .settings()
        .reconfigured(&config)
        .expect("valid settings");
    let relay = Relay::new(relay_settings(&config)).expect("valid relay");
    control.apply(settings, relay);

    let after = connected
        .conn
        .call(request(Method::Get, "/netbackup/echo"))
        .await;
    assert_eq!(after.error_code(), Some(ErrorCode::UriRejected));
    assert_eq!(connected.service.registry.live(HOST).conn_id, live_before);
    assert_eq!(
        connected.service.registry.live(HOST).state,
        ConnectionState::Connected
    );
}
