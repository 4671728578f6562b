//! The reference endpoint server: details file, HTTP API and event stream,
//! driven through a real WebSocket connection from a test client.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::{TestClient, within};
use futures_util::StreamExt;
use nbwss_endpoint::reference::{
    ReferenceError, ReferenceOptions, RunningReference, TlsSource, run_reference_server,
};
use nbwss_protocol::Body;
use nbwss_protocol::details::{DetailsOptions, parse_details};
use serde_json::{Value, json};

const TOKENS: &str = "# accepted tokens\nref-token-1\n\n  ref-token-2  \n";

fn options(dir: &Path) -> ReferenceOptions {
    let tokens_file = dir.join("tokens.txt");
    std::fs::write(&tokens_file, TOKENS).unwrap();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    ReferenceOptions {
        wss_listen: loopback,
        api_listen: loopback,
        details_file: Some(dir.join("details.json")),
        group_id: "cloud-a".to_owned(),
        priority: 3,
        ..ReferenceOptions::new(tokens_file)
    }
}

async fn start(dir: &Path) -> RunningReference {
    nbwss_tls::install_default_provider();
    run_reference_server(options(dir))
        .await
        .expect("reference server started")
}

fn client_tls(running: &RunningReference) -> Arc<rustls::ClientConfig> {
    nbwss_tls::client_config(rustls::RootCertStore::empty(), Some(running.fingerprint()))
}

/// Connects a test service with `ref-token-2`.
async fn connect_service(running: &RunningReference) -> TestClient {
    let mut client = common::dial(running.wss_addr(), &client_tls(running), "/nbwss")
        .await
        .expect("upgrade succeeded");
    assert!(client.send_connect("ref-token-2").await);
    client
}

/// Disconnects the test service, then stops the server. A service that is
/// connected but not reading would hold shutdown for the close timeout.
async fn stop(running: RunningReference, client: TestClient) {
    drop(client);
    running.shutdown().await;
}

fn api_url(running: &RunningReference, path: &str) -> String {
    format!("http://{}{path}", running.api_addr())
}

async fn get_json(url: &str) -> (u16, Value) {
    let response = within(reqwest::get(url)).await.unwrap();
    let status = response.status().as_u16();
    let body = within(response.text()).await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

async fn post_json(url: &str, body: Value) -> (u16, Value) {
    let response = within(reqwest::Client::new().post(url).json_body(body).send())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = within(response.text()).await.unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

/// Sends JSON without reqwest's `json` feature.
trait JsonBody {
    fn json_body(self, body: Value) -> reqwest::RequestBuilder;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, body: Value) -> reqwest::RequestBuilder {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }
}

/// Polls the server list until `count` servers are connected.
async fn wait_for_servers(running: &RunningReference, count: usize) -> Vec<Value> {
    within(async {
        loop {
            let (_, body) = get_json(&api_url(running, "/api/v1/servers")).await;
            let servers = body["servers"].as_array().cloned().unwrap_or_default();
            if servers.len() == count {
                return servers;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
}

/// The details file is accepted by the service's parser as is.
#[tokio::test]
async fn details_file_parses_with_parse_details() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let text = std::fs::read_to_string(dir.path().join("details.json")).unwrap();
    let details = parse_details(&text, DetailsOptions::default()).unwrap();
    assert_eq!(details.len(), 1);
    let expected_url = format!("wss://localhost:{}/nbwss", running.wss_addr().port());
    assert_eq!(details[0].url, expected_url);
    assert_eq!(details[0].host_name, "localhost");
    assert_eq!(details[0].group_id, "cloud-a");
    assert_eq!(details[0].priority, 3);
    assert_eq!(details[0].token, "ref-token-1");
    assert_eq!(&details[0], running.details());
    running.shutdown().await;
}

/// `GET /api/v1/servers` lists a connected backup server.
#[tokio::test]
async fn lists_connected_servers() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let client = connect_service(&running).await;
    let servers = wait_for_servers(&running, 1).await;
    assert_eq!(servers[0]["serverName"], "backup-1");
    assert!(servers[0]["id"].is_u64(), "{}", servers[0]);
    assert!(servers[0]["connectedAt"].as_u64().unwrap() > 0);
    stop(running, client).await;
}

/// A command posted to the API reaches the service and its response
/// comes back as JSON.
#[tokio::test]
async fn runs_command_through_connection() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let mut client = connect_service(&running).await;
    let servers = wait_for_servers(&running, 1).await;
    let url = api_url(
        &running,
        &format!("/api/v1/servers/{}/commands", servers[0]["id"]),
    );
    let body = json!({
        "method": "POST",
        "uri": "/netbackup/config/servers/vmservers",
        "headers": {"content-type": "application/vnd.netbackup+json;version=4.0"},
        "parameters": {"vmServer": {"serverName": "vc1"}},
    });
    let post = tokio::spawn(async move { post_json(&url, body).await });
    let (id, request) = client.recv_command().await;
    assert_eq!(request.uri, "/netbackup/config/servers/vmservers");
    assert_eq!(
        request.parameters.as_deref(),
        Some(r#"{"vmServer":{"serverName":"vc1"}}"#)
    );
    client.respond(&id, 201, r#"{"ok":true}"#).await;
    let (status, response) = within(post).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(response["statusCode"], 201);
    assert_eq!(response["body"], r#"{"ok":true}"#);
    stop(running, client).await;
}

/// A command for an unknown server id is a 404 with a JSON error.
#[tokio::test]
async fn unknown_server_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let url = api_url(&running, "/api/v1/servers/999/commands");
    let (status, body) = post_json(&url, json!({"method": "GET", "uri": "/netbackup/x"})).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "SERVER_NOT_FOUND");
    running.shutdown().await;
}

/// A command that gets no response in `timeoutSeconds` is a 504.
#[tokio::test]
async fn command_timeout_is_504() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let mut client = connect_service(&running).await;
    let servers = wait_for_servers(&running, 1).await;
    let url = api_url(
        &running,
        &format!("/api/v1/servers/{}/commands", servers[0]["id"]),
    );
    let body = json!({"method": "GET", "uri": "/netbackup/x", "timeoutSeconds": 0.2});
    let post = tokio::spawn(async move { post_json(&url, body).await });
    client.recv_command().await;
    let (status, response) = within(post).await.unwrap();
    assert_eq!(status, 504);
    assert_eq!(response["code"], "CALL_TIMED_OUT");
    stop(running, client).await;
}

/// A command whose connection drops is a 502.
#[tokio::test]
async fn closed_connection_is_502() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let mut client = connect_service(&running).await;
    let servers = wait_for_servers(&running, 1).await;
    let url = api_url(
        &running,
        &format!("/api/v1/servers/{}/commands", servers[0]["id"]),
    );
    let body = json!({"method": "GET", "uri": "/netbackup/x"});
    let post = tokio::spawn(async move { post_json(&url, body).await });
    client.recv_command().await;
    drop(client);
    let (status, response) = within(post).await.unwrap();
    assert_eq!(status, 502);
    assert_eq!(response["code"], "CONNECTION_CLOSED");
    running.shutdown().await;
}

/// A bad method or timeout is a 400 naming the value.
#[tokio::test]
async fn invalid_command_body_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let client = connect_service(&running).await;
    let servers = wait_for_servers(&running, 1).await;
    let url = api_url(
        &running,
        &format!("/api/v1/servers/{}/commands", servers[0]["id"]),
    );
    let cases = [
        (json!({"method": "FETCH", "uri": "/netbackup/x"}), "FETCH"),
        (
            json!({"method": "GET", "uri": "/netbackup/x", "timeoutSeconds": -1}),
            "-1",
        ),
        (json!({"method": "GET"}), "uri"),
        (json!({"method": "GET", "uri": "/x", "extra": 1}), "extra"),
    ];
    for (body, named) in cases {
        let (status, response) = post_json(&url, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        let message = response["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{body}: {message}");
    }
    stop(running, client).await;
}

/// A notification is streamed as an event and then acknowledged.
#[tokio::test]
async fn streams_notification_then_acknowledges() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let mut client = connect_service(&running).await;
    let servers = wait_for_servers(&running, 1).await;
    let response = within(reqwest::get(api_url(
        &running,
        "/api/v1/notifications/stream",
    )))
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut body = response.bytes_stream();

    client.notify("SSE-1", 144).await;
    let mut text = String::new();
    let event = within(async {
        loop {
            let chunk = body.next().await.expect("stream open").expect("chunk read");
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(end) = text.find("\n\n") {
                let event = text[..end].to_owned();
                text.drain(..end + 2);
                if event.contains("event: notification") {
                    return event;
                }
            }
        }
    })
    .await;
    let data = event
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .expect("event has data");
    let data: Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["messageId"], "SSE-1");
    assert_eq!(data["serverId"], servers[0]["id"]);
    assert_eq!(data["items"][0]["data"][0]["jobId"], 144);
    assert!(event.contains("id: SSE-1"), "{event}");

    let ack = client.recv().await;
    assert_eq!(ack.id, "SSE-1");
    assert_eq!(ack.body, Body::NotificationResponse);
    stop(running, client).await;
}

/// `GET /healthz` returns ok.
#[tokio::test]
async fn health_is_ok() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let (status, body) = get_json(&api_url(&running, "/healthz")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    running.shutdown().await;
}

/// An unknown API path is a JSON 404.
#[tokio::test]
async fn unknown_api_path_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path()).await;
    let (status, body) = get_json(&api_url(&running, "/api/v2/nothing")).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "NOT_FOUND");
    running.shutdown().await;
}

/// A missing tokens file stops start-up with an error naming it.
#[tokio::test]
async fn missing_tokens_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.tokens_file = dir.path().join("no-such-tokens.txt");
    let error = run_reference_server(options).await.unwrap_err();
    assert!(
        matches!(error, ReferenceError::TokensRead { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("no-such-tokens.txt"), "{error}");
}

/// A certificate given as files is served and fingerprinted.
#[tokio::test]
async fn serves_certificate_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let generated = nbwss_tls::generate_self_signed(&["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, &generated.cert_pem).unwrap();
    std::fs::write(&key, &generated.key_pem).unwrap();
    let options = ReferenceOptions {
        tls: TlsSource::Files { cert, key },
        ..options(dir.path())
    };
    let running = run_reference_server(options).await.unwrap();
    assert_eq!(running.fingerprint(), generated.fingerprint);
    let client = connect_service(&running).await;
    stop(running, client).await;
}
