//! `POST /api/v1/notifications` against a real service and its
//! notification pipeline.

mod admin_support;

use admin_support::{TestService, TlsListener, details};
use reqwest::StatusCode;
use serde_json::json;

fn job_item() -> serde_json::Value {
    json!([{
        "notificationType": "INFO",
        "object": "JOB",
        "data": [{
            "jobId": 144,
            "parentJobId": 144,
            "jobType": "BACKUP",
            "state": "DONE",
            "status": 0,
            "startTime": 1700000000,
            "policyName": "vmware2",
            "policyType": "VMWARE",
            "scheduleType": "ST_FULL",
            "clientName": "client1.example",
        }],
    }])
}

/// Without an activated endpoint no outbox would receive items: 409.
#[tokio::test]
async fn ingest_without_groups_is_409() {
    let service = TestService::start().await;
    let (status, body) = service.post("/api/v1/notifications", &job_item()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "NO_ACTIVATED_GROUP", "{body}");
    service.stop().await;
}

/// An invalid item is a 400 naming it.
#[tokio::test]
async fn ingest_rejects_invalid_item() {
    let service = TestService::start().await;
    let (status, body) = service
        .post("/api/v1/notifications", &json!([{"notificationType": 5}]))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_NOTIFICATION", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("item 0"), "{message}");
    service.stop().await;
}

/// Items are stored for the activated group and counted in its backlog.
#[tokio::test]
async fn ingest_queues_for_activated_group() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    service
        .add_pinned(
            &details("ep1.example", &listener.url(), "g1"),
            &listener.cert.fingerprint.to_string(),
        )
        .await;
    let (status, body) = service.post("/api/v1/notifications", &job_item()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["groups"], json!(["g1"]), "{body}");
    let (_, status) = service.get("/api/v1/status").await;
    assert_eq!(status["groups"][0]["backlog"], 1, "{status}");
    service.stop().await;
}
