//! The WebSocket servers resource of the admin API against a real service:
//! validate, add (with and without an accepted fingerprint), list,
//! activate, deactivate, remove, show token, and every bad-details case.

mod admin_support;

use admin_support::{DetailsServer, TOKEN, TestService, TlsListener, details};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Asserts a JSON error response with `status` and `code`, and returns
/// its message.
fn error_message(status: StatusCode, body: &Value, expected: StatusCode, code: &str) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"]
        .as_str()
        .expect("error message")
        .to_owned()
}

/// Validate reports a self-signed chain with its fingerprint and marks
/// the pin as required.
#[tokio::test]
async fn validate_reports_self_signed_chain() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let document = details("ep1.example", &listener.url(), "g1");
    let (status, body) = service.post("/api/v1/servers/validate", &document).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let check = &body["endpoints"][0];
    assert_eq!(check["pinRequired"], true, "{body}");
    assert_eq!(check["report"]["trusted"], false, "{body}");
    assert_eq!(
        check["report"]["leafFingerprint"],
        listener.cert.fingerprint.to_string()
    );
    assert_eq!(
        check["report"]["problems"][0]["kind"], "selfSigned",
        "{body}"
    );
    assert_eq!(check["details"]["token"], "***", "{body}");
    service.stop().await;
}

/// Validate of a closed port reports the dial error for that entry
/// instead of failing the request.
#[tokio::test]
async fn validate_reports_unreachable_endpoint() {
    let service = TestService::start().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("wss://127.0.0.1:{port}/nbwss");
    let (status, body) = service
        .post(
            "/api/v1/servers/validate",
            &details("gone.example", &url, "g1"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let error = body["endpoints"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("refused"), "{body}");
    assert!(body["endpoints"][0]["report"].is_null(), "{body}");
    service.stop().await;
}

/// Adding a self-signed endpoint without acceptFingerprint is rejected
/// with the fingerprint and how to accept it, and nothing is stored.
#[tokio::test]
async fn add_rejects_self_signed_without_fingerprint() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let document = json!({"details": details("ep1.example", &listener.url(), "g1")});
    let (status, body) = service.post("/api/v1/servers", &document).await;
    let fingerprint = listener.cert.fingerprint.to_string();
    let message = error_message(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "CERTIFICATE_NOT_TRUSTED",
    );
    assert!(message.contains(&fingerprint), "{message}");
    assert!(message.contains("acceptFingerprint"), "{message}");
    assert_eq!(body["error"]["details"]["fingerprint"], fingerprint);
    assert!(service.server("ep1.example").await.is_null());
    service.stop().await;
}

/// Adding with the leaf's fingerprint pins it and activates the record.
#[tokio::test]
async fn add_pins_accepted_fingerprint() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let fingerprint = listener.cert.fingerprint.to_string();
    let body = service
        .add_pinned(&details("ep1.example", &listener.url(), "g1"), &fingerprint)
        .await;
    let added = &body["added"][0]["server"];
    assert_eq!(added["pinnedFingerprint"], fingerprint, "{body}");
    assert_eq!(added["state"], "ACTIVATED", "{body}");
    let listed = service.server("ep1.example").await;
    assert_eq!(listed["pinnedFingerprint"], fingerprint, "{listed}");
    service.stop().await;
}

/// An accepted fingerprint that is not the leaf's is rejected.
#[tokio::test]
async fn add_rejects_wrong_fingerprint() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let other = admin_support::self_signed().fingerprint.to_string();
    let document = json!({
        "details": details("ep1.example", &listener.url(), "g1"),
        "acceptFingerprint": other,
    });
    let (status, body) = service.post("/api/v1/servers", &document).await;
    let message = error_message(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "CERTIFICATE_NOT_TRUSTED",
    );
    assert!(
        message.contains(&format!("the accepted fingerprint {other} does not match")),
        "{message}"
    );
    assert!(
        message.contains(&listener.cert.fingerprint.to_string()),
        "{message}"
    );
    service.stop().await;
}

/// A malformed acceptFingerprint is a 400 naming the accepted form.
#[tokio::test]
async fn add_rejects_malformed_fingerprint() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let document = json!({
        "details": details("ep1.example", &listener.url(), "g1"),
        "acceptFingerprint": "AB:CD",
    });
    let (status, body) = service.post("/api/v1/servers", &document).await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    assert!(message.contains("\"AB:CD\""), "{message}");
    service.stop().await;
}

/// A second record with the same host name is rejected with 409.
#[tokio::test]
async fn add_rejects_duplicate_host() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let fingerprint = listener.cert.fingerprint.to_string();
    let document = details("ep1.example", &listener.url(), "g1");
    service.add_pinned(&document, &fingerprint).await;
    let body = json!({"details": document, "acceptFingerprint": fingerprint});
    let (status, body) = service.post("/api/v1/servers", &body).await;
    let message = error_message(status, &body, StatusCode::CONFLICT, "DUPLICATE_HOST");
    assert!(message.contains("\"ep1.example\""), "{message}");
    service.stop().await;
}

/// A document that repeats a host name adds nothing.
#[tokio::test]
async fn add_rejects_host_repeated_in_document() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let entry = details("ep1.example", &listener.url(), "g1");
    let body = json!({
        "details": [entry, entry],
        "acceptFingerprint": listener.cert.fingerprint.to_string(),
    });
    let (status, body) = service.post("/api/v1/servers", &body).await;
    error_message(status, &body, StatusCode::CONFLICT, "DUPLICATE_HOST");
    assert!(service.server("ep1.example").await.is_null());
    service.stop().await;
}

/// Every bad-details case is a 400 naming the key, on validate and on add.
#[tokio::test]
async fn rejects_bad_details() {
    let service = TestService::start().await;
    let good = details("ep1.example", "wss://127.0.0.1:9/nbwss", "g1");
    let with = |key: &str, value: Value| {
        let mut entry = good.clone();
        entry[key] = value;
        entry
    };
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("groupId");
    let cases = [
        ("missing key", missing, "groupId"),
        (
            "ws url",
            with("url", json!("ws://cloud.example/nbwss")),
            "url",
        ),
        ("negative priority", with("priority", json!(-1)), "priority"),
        ("empty token", with("token", json!("")), "token"),
        ("padded token", with("token", json!(" abc ")), "token"),
        (
            "priority as string",
            with("priority", json!("1")),
            "priority",
        ),
        ("host as number", with("hostName", json!(5)), "hostName"),
        ("empty group", with("groupId", json!("")), "groupId"),
    ];
    for (case, entry, key) in cases {
        for (path, body) in [
            ("/api/v1/servers/validate", entry.clone()),
            ("/api/v1/servers", json!({"details": entry})),
        ] {
            let (status, body) = service.post(path, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{case} on {path}: {body}");
            assert_eq!(body["error"]["code"], "INVALID_DETAILS", "{case}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(&format!("\"{key}\"")), "{case}: {message}");
        }
    }
    service.stop().await;
}

/// A padded token is rejected with a message that names the whitespace
/// and does not quote the token.
#[tokio::test]
async fn padded_token_message_hides_value() {
    let service = TestService::start().await;
    let mut entry = details("ep1.example", "wss://127.0.0.1:9/nbwss", "g1");
    entry["token"] = json!(format!(" {TOKEN}"));
    let (status, body) = service.post("/api/v1/servers/validate", &entry).await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "INVALID_DETAILS");
    assert!(message.contains("whitespace"), "{message}");
    assert!(!message.contains(TOKEN), "{message}");
    service.stop().await;
}

/// A body that is not JSON is a 400 in the API's error shape.
#[tokio::test]
async fn add_rejects_non_json_body() {
    let service = TestService::start().await;
    let (status, body) = service
        .send(
            reqwest::Method::POST,
            "/api/v1/servers",
            Some(&service.admin_key),
            None,
        )
        .await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "INVALID_REQUEST");
    service.stop().await;
}

/// Deactivate and activate change the state the list shows.
#[tokio::test]
async fn deactivate_and_activate_change_state() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let fingerprint = listener.cert.fingerprint.to_string();
    service
        .add_pinned(&details("ep1.example", &listener.url(), "g1"), &fingerprint)
        .await;
    let (status, body) = service
        .post("/api/v1/servers/ep1.example/deactivate", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(service.server("ep1.example").await["state"], "DEACTIVATED");
    let (status, body) = service
        .post("/api/v1/servers/ep1.example/activate", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(service.server("ep1.example").await["state"], "ACTIVATED");
    service.stop().await;
}

/// Remove deletes the record; a second remove is a 404 naming the host.
#[tokio::test]
async fn remove_deletes_record_then_404() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let fingerprint = listener.cert.fingerprint.to_string();
    service
        .add_pinned(&details("ep1.example", &listener.url(), "g1"), &fingerprint)
        .await;
    let (status, body) = service.delete("/api/v1/servers/ep1.example").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(service.server("ep1.example").await.is_null());
    let (status, body) = service.delete("/api/v1/servers/ep1.example").await;
    let message = error_message(status, &body, StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND");
    assert!(message.contains("\"ep1.example\""), "{message}");
    service.stop().await;
}

/// Activate, deactivate and show token of an unknown host are 404s.
#[tokio::test]
async fn unknown_host_is_404() {
    let service = TestService::start().await;
    for path in [
        "/api/v1/servers/nobody.example/activate",
        "/api/v1/servers/nobody.example/deactivate",
    ] {
        let (status, body) = service.post(path, &json!({})).await;
        error_message(status, &body, StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND");
    }
    let (status, body) = service.get("/api/v1/servers/nobody.example/token").await;
    error_message(status, &body, StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND");
    service.stop().await;
}

/// Show token returns the token; list, add and validate never do.
#[tokio::test]
async fn token_only_in_show_token() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let fingerprint = listener.cert.fingerprint.to_string();
    let document = details("ep1.example", &listener.url(), "g1");
    let (_, validated) = service.post("/api/v1/servers/validate", &document).await;
    assert!(!validated.to_string().contains(TOKEN), "{validated}");
    let added = service.add_pinned(&document, &fingerprint).await;
    assert!(!added.to_string().contains(TOKEN), "{added}");
    let (_, listed) = service.get("/api/v1/servers").await;
    assert!(!listed.to_string().contains(TOKEN), "{listed}");
    let (_, status) = service.get("/api/v1/status").await;
    assert!(!status.to_string().contains(TOKEN), "{status}");
    let (status, body) = service.get("/api/v1/servers/ep1.example/token").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token"], TOKEN);
    service.stop().await;
}

/// Validate-url fetches the document over https with a CA file, reports
/// the chain and returns the details with the token masked.
#[tokio::test]
async fn validate_url_fetches_details() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let details_server =
        DetailsServer::start(&json!([details("ep1.example", &listener.url(), "g1")])).await;
    let request = json!({"url": details_server.url(), "caFile": details_server.ca_file});
    let (status, body) = service.post("/api/v1/servers/validate-url", &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let check = &body["endpoints"][0];
    assert_eq!(check["details"]["hostName"], "ep1.example", "{body}");
    assert_eq!(check["details"]["token"], "***", "{body}");
    assert_eq!(
        check["report"]["leafFingerprint"],
        listener.cert.fingerprint.to_string()
    );
    assert!(!body.to_string().contains(TOKEN), "{body}");
    service.stop().await;
}

/// Without the CA file the details server is not trusted and the fetch
/// fails with 502, the URL's query left out of the message.
#[tokio::test]
async fn validate_url_rejects_untrusted_server() {
    let service = TestService::start().await;
    let details_server = DetailsServer::start(&json!([])).await;
    let request = json!({"url": details_server.url()});
    let (status, body) = service.post("/api/v1/servers/validate-url", &request).await;
    let message = error_message(status, &body, StatusCode::BAD_GATEWAY, "DETAILS_URL_FAILED");
    assert!(!message.contains("s3cr3t"), "{message}");
    service.stop().await;
}

/// An http:// details URL is rejected before anything is fetched.
#[tokio::test]
async fn validate_url_rejects_http() {
    let service = TestService::start().await;
    let request = json!({"url": "http://127.0.0.1:9/details"});
    let (status, body) = service.post("/api/v1/servers/validate-url", &request).await;
    error_message(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "INSECURE_DETAILS_URL",
    );
    service.stop().await;
}

/// Add accepts a detailsUrl in place of details.
#[tokio::test]
async fn add_accepts_details_url() {
    let service = TestService::start().await;
    let listener = TlsListener::start().await;
    let details_server = DetailsServer::start(&details("ep1.example", &listener.url(), "g1")).await;
    let request = json!({
        "detailsUrl": details_server.url(),
        "caFile": details_server.ca_file,
        "acceptFingerprint": listener.cert.fingerprint.to_string(),
    });
    let (status, body) = service.post("/api/v1/servers", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(service.server("ep1.example").await["groupId"], "g1");
    service.stop().await;
}
