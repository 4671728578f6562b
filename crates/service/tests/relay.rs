//! Behaviour of the command relay against a real HTTPS upstream on
//! 127.0.0.1 (see `relay_upstream`): what is forwarded, what comes back, and
//! the errors the service generates itself.

mod relay_upstream;

use std::sync::atomic::Ordering;
use std::time::Duration;

use nbwss_protocol::{ErrorCode, Method};
use nbwss_service::relay::{Admission, QUEUE_FACTOR, Relay, RelaySettings};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use relay_upstream::{
    BINARY_BODY, Event, SIZED_BODY_BYTES, STREAM_CHUNKS, WAIT, body_json, call, context,
    error_message, request, settings, start_upstream,
};

/// A GET keeps its query string and its end-to-end headers, Authorization
/// unchanged, and the hop-by-hop ones are not received.
#[tokio::test]
async fn relays_get_with_headers() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let headers = [
        ("Authorization", "Bearer abc.def.ghi"),
        ("Accept", "application/vnd.netbackup+json;version=1.0"),
        ("X-Request-Tag", "tag-1"),
        ("Keep-Alive", "timeout=5"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "Basic cHJveHk="),
        ("TE", "trailers"),
    ];
    let uri = "/netbackup/echo?page[limit]=10";
    let response = call(&relay, request(Method::Get, uri, &headers)).await;
    assert_eq!(response.status_code, 200);
    let echoed = body_json(&response);
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["uri"], uri);
    assert_eq!(echoed["headers"]["authorization"], "Bearer abc.def.ghi");
    assert_eq!(
        echoed["headers"]["accept"],
        "application/vnd.netbackup+json;version=1.0"
    );
    assert_eq!(echoed["headers"]["x-request-tag"], "tag-1");
    for dropped in ["keep-alive", "upgrade", "proxy-authorization", "te"] {
        assert!(
            echoed["headers"].get(dropped).is_none(),
            "{dropped} was forwarded"
        );
    }
}

/// A POST sends `parameters` as the body, byte for byte.
#[tokio::test]
async fn relays_post_with_body() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let mut post = request(
        Method::Post,
        "/netbackup/echo",
        &[("Content-Type", "application/vnd.netbackup+json;version=1.0")],
    );
    let parameters = r#"{"data":{"type":"vmServer","attributes":{"name":"vm1 \u00e9"}}}"#;
    post.parameters = Some(parameters.to_owned());
    let response = call(&relay, post).await;
    let echoed = body_json(&response);
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["body"], parameters);
    assert_eq!(
        echoed["headers"]["content-type"],
        "application/vnd.netbackup+json;version=1.0"
    );
    assert_eq!(
        echoed["headers"]["content-length"],
        parameters.len().to_string()
    );
}

/// Repeated response headers arrive as one entry joined with ", ".
#[tokio::test]
async fn joins_repeated_response_headers() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/repeated", &[])).await;
    assert_eq!(
        response.headers.get("x-multi").map(String::as_str),
        Some("one, two")
    );
}

/// A HEAD response has no body, although the upstream announces a length.
#[tokio::test]
async fn head_has_no_body() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let response = call(&relay, request(Method::Head, "/netbackup/echo", &[])).await;
    assert_eq!(response.status_code, 200);
    assert_eq!(response.body, None);
}

/// A 204 response has no body.
#[tokio::test]
async fn empty_response_has_no_body() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/empty", &[])).await;
    assert_eq!(response.status_code, 204);
    assert_eq!(response.body, None);
}

/// A body that is not UTF-8 is sent as base64 and decodes to the same bytes.
#[tokio::test]
async fn binary_body_is_base64() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/binary", &[])).await;
    assert!(response.body_base64);
    assert_eq!(
        response.body_bytes().expect("valid base64"),
        BINARY_BODY.to_vec()
    );
}

/// Upstream error statuses and bodies are passed through unchanged.
#[tokio::test]
async fn passes_upstream_errors_through() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    for code in [404_u16, 500] {
        let uri = format!("/netbackup/status/{code}");
        let response = call(&relay, request(Method::Get, &uri, &[])).await;
        assert_eq!(response.status_code, code);
        assert_eq!(body_json(&response)["errorMessage"], "from upstream");
        assert_eq!(response.error_code(), None, "status {code}");
    }
}

/// Uris that break a rule get 403 and never reach the upstream.
#[tokio::test]
async fn rejects_bad_uri_without_calling_upstream() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let bad_uris = [
        "/admin/secret",
        "netbackup/echo",
        "//evil.example/netbackup/echo",
        "https://evil.example/netbackup/echo",
        "/netbackup/../admin",
        "/netbackup/%2e%2e/admin",
        "/netbackup/@evil.example",
        "/netbackup\\echo",
    ];
    for uri in bad_uris {
        let response = call(&relay, request(Method::Get, uri, &[])).await;
        assert_eq!(response.status_code, 403, "{uri}");
        assert_eq!(response.error_code(), Some(ErrorCode::UriRejected), "{uri}");
        let message = error_message(&response);
        assert!(message.contains(&format!("{uri:?}")), "{uri}: {message}");
    }
    assert_eq!(upstream.calls(), 0);
}

/// Invalid headers get 400 naming the header, never quoting its value, and
/// never reach the upstream.
#[tokio::test]
async fn rejects_bad_header_without_calling_upstream() {
    let upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let bad_headers = [
        ("Bad Name", "value"),
        ("X-Injected", "secret-value\r\nX-Evil: 1"),
        ("Authorization", "Bearer secret-value\u{0}"),
    ];
    for (name, value) in bad_headers {
        let uri = "/netbackup/echo";
        let response = call(&relay, request(Method::Get, uri, &[(name, value)])).await;
        assert_eq!(response.status_code, 400, "{name}");
        assert_eq!(
            response.error_code(),
            Some(ErrorCode::HeaderRejected),
            "{name}"
        );
        let message = error_message(&response);
        assert!(message.contains(name), "{message}");
        assert!(!message.contains("secret-value"), "{message}");
    }
    assert_eq!(upstream.calls(), 0);
}

/// A closed port gets 502 UPSTREAM_UNREACHABLE saying the connection was
/// refused.
#[tokio::test]
async fn closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    let relay = Relay::new(RelaySettings {
        upstream_url: format!("https://127.0.0.1:{port}"),
        upstream_ca_file: None,
        allowed_path_prefixes: vec!["/netbackup/".to_owned()],
        max_concurrent: 4,
        timeout: WAIT,
        max_response_bytes: 1024,
    })
    .expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/echo", &[])).await;
    assert_eq!(response.status_code, 502);
    assert_eq!(response.error_code(), Some(ErrorCode::UpstreamUnreachable));
    let message = error_message(&response);
    assert!(message.contains("refused the connection"), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
}

/// Without the CA file the upstream certificate is not trusted, and the
/// 502 names the TLS failure.
#[tokio::test]
async fn untrusted_certificate_is_unreachable() {
    let upstream = start_upstream().await;
    let mut untrusted = settings(&upstream);
    untrusted.upstream_ca_file = None;
    let relay = Relay::new(untrusted).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/echo", &[])).await;
    assert_eq!(response.status_code, 502);
    assert_eq!(response.error_code(), Some(ErrorCode::UpstreamUnreachable));
    let message = error_message(&response);
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
}

/// A handler that never responds gets 504 once the timeout expires.
#[tokio::test]
async fn silent_upstream_times_out() {
    let upstream = start_upstream().await;
    let mut short = settings(&upstream);
    short.timeout = Duration::from_secs(1);
    let relay = Relay::new(short).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/hang", &[])).await;
    assert_eq!(response.status_code, 504);
    assert_eq!(response.error_code(), Some(ErrorCode::UpstreamTimeout));
    let message = error_message(&response);
    assert!(message.contains("timed out after 1 s"), "{message}");
}

/// A streamed body over the limit gets 502 RESPONSE_TOO_LARGE, and the
/// upstream stream is dropped before it is sent in full.
#[tokio::test]
async fn streamed_body_over_limit_is_too_large() {
    let mut upstream = start_upstream().await;
    let mut small = settings(&upstream);
    small.max_response_bytes = 100 * 1024;
    let relay = Relay::new(small).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/stream", &[])).await;
    assert_eq!(response.status_code, 502);
    assert_eq!(response.error_code(), Some(ErrorCode::ResponseTooLarge));
    assert_eq!(upstream.next_event().await, Event::StreamDropped);
    let sent = upstream.state.chunks_sent.load(Ordering::SeqCst);
    assert!(sent < STREAM_CHUNKS, "all {sent} chunks were sent");
}

/// A Content-Length over the limit gets 502 RESPONSE_TOO_LARGE.
#[tokio::test]
async fn announced_body_over_limit_is_too_large() {
    let upstream = start_upstream().await;
    let mut small = settings(&upstream);
    small.max_response_bytes = SIZED_BODY_BYTES - 1;
    let relay = Relay::new(small).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/sized", &[])).await;
    assert_eq!(response.status_code, 502);
    assert_eq!(response.error_code(), Some(ErrorCode::ResponseTooLarge));
}

/// A body exactly at the limit is relayed.
#[tokio::test]
async fn body_at_limit_is_relayed() {
    let upstream = start_upstream().await;
    let mut exact = settings(&upstream);
    exact.max_response_bytes = SIZED_BODY_BYTES;
    let relay = Relay::new(exact).expect("relay builds");
    let response = call(&relay, request(Method::Get, "/netbackup/sized", &[])).await;
    assert_eq!(response.status_code, 200);
    assert_eq!(
        response.body.as_ref().map(String::len),
        Some(SIZED_BODY_BYTES)
    );
}

/// Dropping the relay future drops the upstream handler's request future.
#[tokio::test]
async fn dropped_relay_cancels_upstream_request() {
    let mut upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let task = tokio::spawn(async move {
        relay
            .relay(request(Method::Get, "/netbackup/hang", &[]), &context())
            .await
    });
    assert_eq!(upstream.next_event().await, Event::HangStarted);
    task.abort();
    assert_eq!(upstream.next_event().await, Event::HangDropped);
}

/// With max_concurrent 2, two commands run, eight wait, the eleventh is
/// rejected, and a finished command makes room again.
#[tokio::test]
async fn admission_limits_running_and_waiting() {
    let admission = Admission::new(2);
    let admitted = 2 * (QUEUE_FACTOR + 1);
    assert_eq!(admitted, 10);
    let mut tickets: Vec<_> = (0..admitted)
        .map(|n| {
            admission
                .try_admit()
                .unwrap_or_else(|| panic!("ticket {n} rejected"))
        })
        .collect();
    assert!(admission.try_admit().is_none());

    let mut waiting = tickets.split_off(2);
    let mut permits = Vec::new();
    for ticket in tickets {
        permits.push(ticket.run().await);
    }
    assert_eq!(admission.running(), 2);
    let third = waiting.remove(0);
    let (sender, mut receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let permit = third.run().await;
        let _ = sender.send(permit);
    });
    assert_eq!(admission.in_flight(), 10);

    drop(permits.remove(0));
    let third_permit = tokio::time::timeout(WAIT, receiver.recv())
        .await
        .expect("third command gets a slot within the wait bound")
        .expect("permit sent");
    assert_eq!(admission.running(), 2);
    assert_eq!(admission.in_flight(), 9);
    assert!(admission.try_admit().is_some());
    drop(third_permit);
    drop(waiting);
}
