//! Login, logout, tokens and API keys, over HTTPS.

mod common;

use std::time::Duration;

use common::{API_KEY, PASSWORD, USERNAME, config, start};
use reqwest::Method;
use serde_json::json;

const JOBS: &str = "/netbackup/admin/jobs";

/// Correct credentials get a 201 with a bearer token.
#[tokio::test]
async fn login_returns_bearer_token() {
    let server = start(config()).await;
    let body = json!({"userName": USERNAME, "password": PASSWORD});
    let reply = server
        .send(Method::POST, "/netbackup/login", None, Some(&body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["tokenType"], "BEARER");
    let token = reply.json["token"].as_str().expect("token is a string");
    assert_eq!(
        token.split('.').count(),
        3,
        "token looks like a JWT: {token}"
    );
}

/// `domainType` and `domainName` are accepted and ignored.
#[tokio::test]
async fn login_ignores_domain_keys() {
    let server = start(config()).await;
    let body = json!({"userName": USERNAME, "password": PASSWORD,
        "domainType": "unixpwd", "domainName": "example.com"});
    let reply = server
        .send(Method::POST, "/netbackup/login", None, Some(&body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

/// A wrong password gets a 401 with the login error code.
#[tokio::test]
async fn login_rejects_wrong_password() {
    let server = start(config()).await;
    let body = json!({"userName": USERNAME, "password": "wrong"});
    let reply = server
        .send(Method::POST, "/netbackup/login", None, Some(&body))
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["errorCode"], 8002);
    assert_eq!(reply.json["errorMessage"], "invalid user name or password");
}

/// A wrong user name gets a 401 as well.
#[tokio::test]
async fn login_rejects_wrong_user() {
    let server = start(config()).await;
    let body = json!({"userName": "root", "password": PASSWORD});
    let reply = server
        .send(Method::POST, "/netbackup/login", None, Some(&body))
        .await;
    assert_eq!(reply.status, 401);
}

/// An unexpected key in the login body is a 400 that names it.
#[tokio::test]
async fn login_rejects_unknown_key() {
    let server = start(config()).await;
    let body = json!({"userName": USERNAME, "password": PASSWORD, "otp": "1"});
    let reply = server
        .send(Method::POST, "/netbackup/login", None, Some(&body))
        .await;
    assert_eq!(reply.status, 400);
    let message = reply.json["errorMessage"].as_str().expect("message");
    assert!(message.contains("otp"), "{message}");
}

/// A request without `Authorization` gets a 401 with error code 8000.
#[tokio::test]
async fn missing_authorization_is_rejected() {
    let server = start(config()).await;
    let reply = server.send(Method::GET, JOBS, None, None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["errorCode"], 8000);
}

/// A login token works both raw and with a `Bearer ` prefix.
#[tokio::test]
async fn token_authorizes_raw_and_bearer() {
    let server = start(config()).await;
    let token = server.login().await;
    let raw = server.send(Method::GET, JOBS, Some(&token), None).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    let bearer = format!("Bearer {token}");
    let prefixed = server.send(Method::GET, JOBS, Some(&bearer), None).await;
    assert_eq!(prefixed.status, 200, "{}", prefixed.text);
}

/// The configured API key authorizes requests.
#[tokio::test]
async fn api_key_authorizes_requests() {
    let server = start(config()).await;
    let reply = server.send(Method::GET, JOBS, Some(API_KEY), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// A token that was never issued gets a 401 with error code 8001.
#[tokio::test]
async fn unknown_token_is_rejected() {
    let server = start(config()).await;
    let reply = server
        .send(Method::GET, JOBS, Some("not-a-token"), None)
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["errorCode"], 8001);
}

/// With the API key setting empty, an empty-looking key does not authorize.
#[tokio::test]
async fn empty_api_key_setting_disables_keys() {
    let mut settings = config();
    settings.api_key = String::new();
    let server = start(settings).await;
    let reply = server.send(Method::GET, JOBS, Some("Bearer "), None).await;
    assert_eq!(reply.status, 401);
}

/// A token stops working 24 hours of simulator time after login.
#[tokio::test]
async fn token_expires_after_a_day() {
    let server = start(config()).await;
    let token = server.login().await;
    server.sim.advance_by(Duration::from_secs(24 * 60 * 60));
    let reply = server.send(Method::GET, JOBS, Some(&token), None).await;
    assert_eq!(reply.status, 401);
}

/// After logout the token is rejected.
#[tokio::test]
async fn logout_revokes_token() {
    let server = start(config()).await;
    let token = server.login().await;
    let logout = server
        .send(Method::POST, "/netbackup/logout", Some(&token), None)
        .await;
    assert_eq!(logout.status, 204);
    let reply = server.send(Method::GET, JOBS, Some(&token), None).await;
    assert_eq!(reply.status, 401);
}

/// A password that is not a JSON string is rejected without echoing it.
#[tokio::test]
async fn login_rejects_numeric_password() {
    let server = start(config()).await;
    let body = json!({"userName": USERNAME, "password": 987654321});
    let reply = server
        .send(Method::POST, "/netbackup/login", None, Some(&body))
        .await;
    assert_eq!(reply.status, 400);
    assert!(!reply.text.contains("987654321"), "{}", reply.text);
}
