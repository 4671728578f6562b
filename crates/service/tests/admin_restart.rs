//! Records, states, pins, secrets and the admin key survive a stop and a
//! start of the service on the same data directory.

mod admin_support;

use admin_support::{TestService, TlsListener, details};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// After a restart the list shows the same records, states and pins, and
/// the admin key still works.
#[tokio::test]
async fn restart_keeps_records_states_and_pins() {
    let first = TestService::start().await;
    let first_endpoint = TlsListener::start().await;
    let second_endpoint = TlsListener::start().await;
    first
        .add_pinned(
            &details("ep1.example", &first_endpoint.url(), "g1"),
            &first_endpoint.cert.fingerprint.to_string(),
        )
        .await;
    first
        .add_pinned(
            &details("ep2.example", &second_endpoint.url(), "g2"),
            &second_endpoint.cert.fingerprint.to_string(),
        )
        .await;
    let (status, _) = first
        .post("/api/v1/servers/ep2.example/deactivate", &Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret = json!({"value": "upstream-key-1"});
    let (status, _) = first
        .send(
            reqwest::Method::PUT,
            "/api/v1/secrets/upstream-api-key",
            Some(&first.admin_key),
            Some(&secret),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let admin_key = first.admin_key.clone();
    let data = first.stop().await;

    let second = TestService::start_with("", Some(data)).await;
    assert_eq!(second.admin_key, admin_key);
    let ep1 = second.server("ep1.example").await;
    let ep2 = second.server("ep2.example").await;
    assert_eq!(ep1["state"], "ACTIVATED", "{ep1}");
    assert_eq!(ep2["state"], "DEACTIVATED", "{ep2}");
    assert_eq!(
        ep1["pinnedFingerprint"],
        first_endpoint.cert.fingerprint.to_string()
    );
    assert_eq!(
        ep2["pinnedFingerprint"],
        second_endpoint.cert.fingerprint.to_string()
    );
    let (status, token) = second.get("/api/v1/servers/ep1.example/token").await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["token"], admin_support::TOKEN);
    let (_, status) = second.get("/api/v1/status").await;
    assert_eq!(status["upstreamApiKeySet"], true, "{status}");
    second.stop().await;
}
