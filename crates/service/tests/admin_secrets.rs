//! The upstream API key secret, and the rule that a token appears in no
//! response but show-token, in no log event and not in the store's raw
//! bytes.
//!
//! This binary installs a global subscriber that records every event at
//! TRACE level (tungstenite at DEBUG), so the log check covers what any
//! log level would write.

mod admin_support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use admin_support::{TestService, TlsListener, WsEndpoint, details, self_signed, wait_for};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The ASCII part of [`admin_support::TOKEN`], which JSON and log
/// escaping leave as it is.
const NEEDLE: &str = "5f1c2a9b-never-shown";

/// Everything the subscriber wrote.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        // The service's own filters at `trace`: the level filter, and the
        // cap on libraries that log whole frames and headers.
        let filter = nbwss_service::logging::log_filter("trace").expect("valid level");
        let output = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || Capture(Arc::clone(&writer)))
            .with_filter(nbwss_service::logging::frame_logger_cap());
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(output)
            .try_init();
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Setting, reading through status and deleting the upstream API key
/// never returns its value.
#[tokio::test]
async fn upstream_api_key_set_and_delete() {
    let service = TestService::start().await;
    let body = json!({"value": "upstream-9d3e-value"});
    let (status, response) = service
        .send(
            Method::PUT,
            "/api/v1/secrets/upstream-api-key",
            Some(&service.admin_key),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(response["set"], true, "{response}");
    let (_, status_body) = service.get("/api/v1/status").await;
    assert_eq!(status_body["upstreamApiKeySet"], true, "{status_body}");
    assert!(!status_body.to_string().contains("upstream-9d3e-value"));
    let (status, response) = service.delete("/api/v1/secrets/upstream-api-key").await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let (_, status_body) = service.get("/api/v1/status").await;
    assert_eq!(status_body["upstreamApiKeySet"], false, "{status_body}");
    service.stop().await;
}

/// A padded secret is rejected without quoting it.
#[tokio::test]
async fn upstream_api_key_rejects_padding() {
    let service = TestService::start().await;
    let body = json!({"value": " padded-7c1e "});
    let (status, response) = service
        .send(
            Method::PUT,
            "/api/v1/secrets/upstream-api-key",
            Some(&service.admin_key),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("whitespace"), "{message}");
    assert!(!message.contains("padded-7c1e"), "{message}");
    service.stop().await;
}

/// A wrongly typed secret body is rejected without echoing the value.
#[tokio::test]
async fn upstream_api_key_error_hides_value() {
    let service = TestService::start().await;
    let body = json!({"value": 12345678, "other": "typo-4b2a"});
    let (status, response) = service
        .send(
            Method::PUT,
            "/api/v1/secrets/upstream-api-key",
            Some(&service.admin_key),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
    assert!(!response.to_string().contains("12345678"), "{response}");
    service.stop().await;
}

/// Through validate, add, connect, list, status, deactivate and remove,
/// the token shows up in no response but show-token, in no log event and
/// not in the store file.
#[tokio::test]
async fn token_absent_from_responses_logs_and_store() {
    let buffer = captured();
    let service = TestService::start().await;
    let cert = self_signed();
    let endpoint = WsEndpoint::start(&cert).await;
    let listener = TlsListener::start().await;
    let document = details("leak.example", &endpoint.url(), "g1");
    let mut responses: Vec<Value> = Vec::new();
    responses.push(service.post("/api/v1/servers/validate", &document).await.1);
    responses.push(
        service
            .post("/api/v1/servers", &json!({"details": document}))
            .await
            .1,
    );
    responses.push(
        service
            .add_pinned(&document, &cert.fingerprint.to_string())
            .await,
    );
    let mut padded = details("pad.example", &listener.url(), "g1");
    padded["token"] = json!(format!("{} ", admin_support::TOKEN));
    responses.push(service.post("/api/v1/servers/validate", &padded).await.1);
    wait_for("the connection", || async {
        let server = service.server("leak.example").await;
        (server["connection"]["state"] == "CONNECTED").then_some(())
    })
    .await;
    responses.push(service.get("/api/v1/servers").await.1);
    responses.push(service.get("/api/v1/status").await.1);
    let metrics = service.send(Method::GET, "/metrics", None, None).await.1;
    responses.push(metrics);
    responses.push(
        service
            .post("/api/v1/servers/leak.example/deactivate", &Value::Null)
            .await
            .1,
    );
    let (_, shown) = service.get("/api/v1/servers/leak.example/token").await;
    assert_eq!(shown["token"], admin_support::TOKEN);
    responses.push(service.delete("/api/v1/servers/leak.example").await.1);
    let data = service.stop().await;

    for response in &responses {
        assert!(!response.to_string().contains(NEEDLE), "{response}");
    }
    let logs = String::from_utf8_lossy(&buffer.lock().unwrap()).into_owned();
    assert!(logs.contains("endpoint added"), "the capture saw no event");
    let leaks: Vec<&str> = logs.lines().filter(|line| line.contains(NEEDLE)).collect();
    assert!(leaks.is_empty(), "log events contain the token: {leaks:#?}");
    let store = std::fs::read(data.path().join(nbwss_store::DATABASE_FILE)).unwrap();
    let found = store
        .windows(NEEDLE.len())
        .any(|window| window == NEEDLE.as_bytes());
    assert!(!found, "the store file contains the token in clear");
}
