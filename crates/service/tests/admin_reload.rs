//! `POST /api/v1/reload` against a real service: live `log.level`, keys
//! that need a restart, and an invalid file that changes nothing.

mod admin_support;

use admin_support::{BASE_PROPERTIES, TestService};
use nbwss_service::config::Config;
use nbwss_service::{Service, ServiceOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn write_properties(service: &TestService, extra: &str) {
    std::fs::write(
        service.config_dir.path().join("nbwss.properties"),
        format!("{BASE_PROPERTIES}{extra}"),
    )
    .unwrap();
}

fn config_value(status: &Value, key: &str) -> Value {
    status["configuration"]
        .as_array()
        .and_then(|entries| entries.iter().find(|entry| entry["key"] == key))
        .map(|entry| entry["value"].clone())
        .unwrap_or(Value::Null)
}

/// A new log.level is applied through the hook and shown by status.
#[tokio::test]
async fn reload_applies_log_level() {
    let service = TestService::start().await;
    write_properties(&service, "log.level=debug\n");
    let (status, body) = service.post("/api/v1/reload", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], json!(["log.level"]), "{body}");
    assert_eq!(body["applied"], json!(["log.level"]), "{body}");
    assert_eq!(*service.levels.lock().unwrap(), vec!["debug".to_owned()]);
    let (_, status) = service.get("/api/v1/status").await;
    assert_eq!(config_value(&status, "log.level"), "debug", "{status}");
    service.stop().await;
}

/// Connection and relay keys are applied live and shown by status.
#[tokio::test]
async fn reload_applies_connection_keys() {
    let service = TestService::start().await;
    write_properties(&service, "keepAlive.scheduledRate=10\ncommand.timeout=30\n");
    let (status, body) = service.post("/api/v1/reload", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["applied"],
        json!(["keepAlive.scheduledRate", "command.timeout"]),
        "{body}"
    );
    assert_eq!(body["restartRequired"], json!([]), "{body}");
    let (_, status) = service.get("/api/v1/status").await;
    assert_eq!(
        config_value(&status, "keepAlive.scheduledRate"),
        "10",
        "{status}"
    );
    service.stop().await;
}

/// Other changed keys are reported as needing a restart and the status
/// keeps the value in effect.
#[tokio::test]
async fn reload_reports_restart_keys() {
    let service = TestService::start().await;
    write_properties(&service, "notification.maxBatch=50\n");
    let (status, body) = service.post("/api/v1/reload", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["restartRequired"],
        json!(["notification.maxBatch"]),
        "{body}"
    );
    assert_eq!(body["applied"], json!([]), "{body}");
    let (_, status) = service.get("/api/v1/status").await;
    assert_eq!(
        config_value(&status, "notification.maxBatch"),
        "100",
        "{status}"
    );
    service.stop().await;
}

/// A CA file that does not load is refused and nothing is applied.
#[tokio::test]
async fn reload_rejects_unloadable_ca_file() {
    let service = TestService::start().await;
    write_properties(
        &service,
        "command.upstreamCaFile=/nonexistent/nbwss-ca.pem\ncommand.timeout=30\n",
    );
    let (status, body) = service.post("/api/v1/reload", &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "RELOAD_NOT_APPLIED", "{body}");
    let (_, status) = service.get("/api/v1/status").await;
    assert_eq!(config_value(&status, "command.timeout"), "120", "{status}");
    service.stop().await;
}

/// An unchanged file reports no change.
#[tokio::test]
async fn reload_without_changes() {
    let service = TestService::start().await;
    let (status, body) = service.post("/api/v1/reload", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], json!([]), "{body}");
    service.stop().await;
}

/// An invalid value is a 400 naming the key, and nothing is applied.
#[tokio::test]
async fn reload_rejects_invalid_file() {
    let service = TestService::start().await;
    write_properties(&service, "log.level=debug\nkeepAlive.scheduledRate=0\n");
    let (status, body) = service.post("/api/v1/reload", &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_CONFIGURATION", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("keepAlive.scheduledRate"), "{message}");
    assert!(service.levels.lock().unwrap().is_empty());
    service.stop().await;
}

/// A service started without a configuration folder responds 409.
#[tokio::test]
async fn reload_without_config_dir_is_409() {
    nbwss_tls::install_default_provider();
    let data = tempfile::TempDir::new().unwrap();
    let config = Config::from_pairs(&[("admin.listen", "127.0.0.1:0")]).unwrap();
    let options = ServiceOptions {
        data_dir: data.path().to_owned(),
        allow_insecure_loopback: false,
        server_name: "test".to_owned(),
        config_dir: None,
        config_overrides: Vec::new(),
        on_log_level: None,
    };
    let service = Service::start(config, options).await.unwrap();
    let key = std::fs::read_to_string(data.path().join("admin.key")).unwrap();
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("http://{}/api/v1/reload", service.admin_addr()))
        .bearer_auth(key.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    service.stop().await;
}
