//! Authentication and permissions of the admin API, and API key
//! management, against a real service.

mod admin_support;

use admin_support::{TestService, TlsListener, details};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A request without a key gets 401 in the API's error shape.
#[tokio::test]
async fn missing_key_is_401() {
    let service = TestService::start().await;
    let (status, body) = service
        .send(Method::GET, "/api/v1/servers", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{body}");
    service.stop().await;
}

/// A well-formed but unknown key gets 401.
#[tokio::test]
async fn unknown_key_is_401() {
    let service = TestService::start().await;
    let key = format!("nbwss_{}_{}", "0".repeat(16), "0".repeat(64));
    let (status, body) = service
        .send(Method::GET, "/api/v1/servers", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    service.stop().await;
}

/// A View-only key can list and validate but cannot add, naming CREATE.
#[tokio::test]
async fn view_key_cannot_add() {
    let service = TestService::start().await;
    let key = service.create_key(&["VIEW"]).await;
    let (status, _) = service
        .send(Method::GET, "/api/v1/servers", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let listener = TlsListener::start().await;
    let document = details("ep1.example", &listener.url(), "g1");
    let (status, _) = service
        .send(
            Method::POST,
            "/api/v1/servers/validate",
            Some(&key),
            Some(&document),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({
        "details": document,
        "acceptFingerprint": listener.cert.fingerprint.to_string(),
    });
    let (status, body) = service
        .send(Method::POST, "/api/v1/servers", Some(&key), Some(&body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("CREATE"), "{message}");
    assert!(service.server("ep1.example").await.is_null());
    service.stop().await;
}

/// A View-only key cannot show a token, naming UPDATE.
#[tokio::test]
async fn view_key_cannot_show_token() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let fingerprint = listener.cert.fingerprint.to_string();
    service
        .add_pinned(&details("ep1.example", &listener.url(), "g1"), &fingerprint)
        .await;
    let key = service.create_key(&["VIEW"]).await;
    let (status, body) = service
        .send(
            Method::GET,
            "/api/v1/servers/ep1.example/token",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("UPDATE"), "{message}");
    service.stop().await;
}

/// A key with Delete but not View cannot list.
#[tokio::test]
async fn delete_key_cannot_list() {
    let service = TestService::start().await;
    let key = service.create_key(&["DELETE"]).await;
    let (status, body) = service
        .send(Method::GET, "/api/v1/servers", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    service.stop().await;
}

/// Managing keys needs all four permissions.
#[tokio::test]
async fn key_management_needs_all_permissions() {
    let service = TestService::start().await;
    let key = service.create_key(&["VIEW", "CREATE", "UPDATE"]).await;
    let (status, body) = service
        .send(Method::GET, "/api/v1/api-keys", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    service.stop().await;
}

/// The key list has every key and no secret; a deleted key stops working.
#[tokio::test]
async fn deleted_key_stops_working() {
    let service = TestService::start().await;
    let key = service.create_key(&["VIEW"]).await;
    let (status, list) = service.get("/api/v1/api-keys").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let keys = list["apiKeys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 2, "{list}");
    assert!(!list.to_string().contains(&key), "{list}");
    let id = keys
        .iter()
        .find(|record| record["name"] == "test")
        .and_then(|record| record["id"].as_str())
        .expect("the new key is listed")
        .to_owned();
    let (status, body) = service.delete(&format!("/api/v1/api-keys/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = service
        .send(Method::GET, "/api/v1/servers", Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = service.delete(&format!("/api/v1/api-keys/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    service.stop().await;
}

/// An unknown permission name is a 400 listing the accepted ones.
#[tokio::test]
async fn create_key_rejects_unknown_permission() {
    let service = TestService::start().await;
    let body = json!({"name": "bad", "permissions": ["VIEW", "ADMIN"]});
    let (status, body) = service.post("/api/v1/api-keys", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("\"ADMIN\""), "{message}");
    assert!(
        message.contains("VIEW, CREATE, UPDATE and DELETE"),
        "{message}"
    );
    service.stop().await;
}

/// An empty permission list is rejected.
#[tokio::test]
async fn create_key_rejects_empty_permissions() {
    let service = TestService::start().await;
    let body = json!({"name": "none", "permissions": []});
    let (status, body) = service.post("/api/v1/api-keys", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    service.stop().await;
}

/// Health, readiness, metrics and the document need no key.
#[tokio::test]
async fn public_routes_need_no_key() {
    let service = TestService::start().await;
    for path in ["/healthz", "/ready", "/metrics", "/api/v1/openapi.json"] {
        let (status, body) = service.send(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    service.stop().await;
}
