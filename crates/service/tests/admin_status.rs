//! Status, health, readiness and metrics of a real service connected to a
//! real TLS WebSocket endpoint, and the pin check when the endpoint's
//! certificate changes.

mod admin_support;

use admin_support::{TestService, TlsListener, WsEndpoint, details, self_signed, wait_for};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// `/healthz` responds "ok" as text.
#[tokio::test]
async fn healthz_responds_ok() {
    let service = TestService::start().await;
    let (status, body) = service.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::String("ok".to_owned()));
    service.stop().await;
}

/// With no endpoint, the service is ready.
#[tokio::test]
async fn ready_without_endpoints() {
    let service = TestService::start().await;
    let (status, body) = service.send(Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ready"], true, "{body}");
    service.stop().await;
}

/// `/ready` is 503 naming the group while its only endpoint cannot
/// complete CONNECT. It is 200 once a second endpoint of the group accepted
/// CONNECT, and status then shows that connection.
#[tokio::test]
async fn ready_turns_200_when_connected() {
    let service = TestService::start().await;
    // A plain TLS listener never upgrades to WebSocket, so the group
    // cannot connect through it.
    let dead_end = TlsListener::start().await;
    service
        .add_pinned(
            &details("ep1.example", &dead_end.url(), "g1"),
            &dead_end.cert.fingerprint.to_string(),
        )
        .await;
    let (status, body) = service.send(Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["groupsNotConnected"][0], "g1", "{body}");
    let cert = self_signed();
    let endpoint = WsEndpoint::start(&cert).await;
    let mut second = details("ep2.example", &endpoint.url(), "g1");
    second["priority"] = 1.into();
    service
        .add_pinned(&second, &cert.fingerprint.to_string())
        .await;
    wait_for("the service to be ready", || async {
        let (status, _) = service.send(Method::GET, "/ready", None, None).await;
        (status == StatusCode::OK).then_some(())
    })
    .await;
    let (_, status) = service.get("/api/v1/status").await;
    let group = &status["groups"][0];
    assert_eq!(group["groupId"], "g1", "{status}");
    assert_eq!(group["connected"]["hostName"], "ep2.example", "{status}");
    assert_eq!(
        group["endpoints"][1]["connection"]["state"], "CONNECTED",
        "{status}"
    );
    service.stop().await;
}

/// `/metrics` shows the connection gauges of each endpoint and drops them
/// when the endpoint is removed. The registry is process-wide, so the host
/// name is used by no other test in this file.
#[tokio::test]
async fn metrics_show_endpoint_state() {
    let service = TestService::start().await;
    let cert = self_signed();
    let endpoint = WsEndpoint::start(&cert).await;
    service
        .add_pinned(
            &details("metrics.example", &endpoint.url(), "g1"),
            &cert.fingerprint.to_string(),
        )
        .await;
    let connected = "nbwss_endpoint_connected{host=\"metrics.example\",group=\"g1\"} 1";
    let text = wait_for("the connected gauge", || async {
        let (_, body) = service.send(Method::GET, "/metrics", None, None).await;
        let text = body.as_str().unwrap_or_default().to_owned();
        text.contains(connected).then_some(text)
    })
    .await;
    assert!(text.contains("# TYPE nbwss_endpoint_state gauge"), "{text}");
    assert!(
        text.contains(
            "nbwss_endpoint_state{host=\"metrics.example\",group=\"g1\",state=\"CONNECTED\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "nbwss_endpoint_state{host=\"metrics.example\",group=\"g1\",state=\"REJECTED\"} 0"
        ),
        "{text}"
    );
    let (status, _) = service.delete("/api/v1/servers/metrics.example").await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = service.send(Method::GET, "/metrics", None, None).await;
    let text = body.as_str().unwrap_or_default();
    assert!(
        !text.contains("nbwss_endpoint_connected{host=\"metrics.example\""),
        "{text}"
    );
    assert!(
        !text.contains("nbwss_endpoint_state{host=\"metrics.example\""),
        "{text}"
    );
    service.stop().await;
}

/// Status reports the version, the configuration in effect and whether
/// the upstream API key is set.
#[tokio::test]
async fn status_reports_configuration() {
    let service = TestService::start().await;
    let (status, body) = service.get("/api/v1/status").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"), "{body}");
    assert_eq!(body["upstreamApiKeySet"], false, "{body}");
    let period = body["configuration"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|entry| entry["key"] == "connectionInfo.period")
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(period["value"], "2", "{body}");
    service.stop().await;
}

/// When a pinned endpoint's certificate changes, the reconnect is refused
/// and lastError names both fingerprints.
#[tokio::test]
async fn changed_certificate_is_refused_with_both_fingerprints() {
    let service = TestService::start().await;
    let cert = self_signed();
    let endpoint = WsEndpoint::start(&cert).await;
    service
        .add_pinned(
            &details("ep1.example", &endpoint.url(), "g1"),
            &cert.fingerprint.to_string(),
        )
        .await;
    wait_for("the first connection", || async {
        let server = service.server("ep1.example").await;
        (server["connection"]["state"] == "CONNECTED").then_some(())
    })
    .await;
    let replacement = self_signed();
    endpoint.replace_certificate(&replacement);
    endpoint.drop_connections();
    let pinned = cert.fingerprint.to_string();
    let presented = replacement.fingerprint.to_string();
    let last_error = wait_for("the pin mismatch", || async {
        let server = service.server("ep1.example").await;
        let error = server["connection"]["lastError"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        error.contains(&presented).then_some(error)
    })
    .await;
    assert!(last_error.contains(&pinned), "{last_error}");
    let server = service.server("ep1.example").await;
    assert_ne!(server["connection"]["state"], "CONNECTED", "{server}");
    service.stop().await;
}
