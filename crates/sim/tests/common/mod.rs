//! Shared helpers for the simulator's behaviour tests: a simulator served
//! over real TLS on 127.0.0.1 port 0 with a certificate made per test, and a
//! reqwest client that trusts only that certificate.
//!
//! The simulator clock is never driven by real time here; tests step it
//! with `Simulator::advance_by`.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use nbwss_sim::{SimConfig, Simulator};
use reqwest::Method;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const USERNAME: &str = "admin";
pub const PASSWORD: &str = "test-password";
pub const API_KEY: &str = "test-api-key-0123456789";

/// Upper bound for any single wait in these tests.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// Returns a configuration with known credentials, one job a minute, 30 s
/// phases and no initial jobs.
pub fn config() -> SimConfig {
    SimConfig {
        job_interval: Duration::from_secs(60),
        phase_duration: Duration::from_secs(30),
        seed: 42,
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        api_key: API_KEY.to_owned(),
        initial_jobs: 0,
        ..SimConfig::default()
    }
}

/// Returns a fixed start time, so that runs with the same seed can be
/// compared.
pub fn start_time() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_000_000).expect("valid time")
}

/// A response, with the body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    pub text: String,
    pub json: Value,
}

/// A running simulator and a client for it.
pub struct TestServer {
    pub sim: Arc<Simulator>,
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Serves a new simulator built from `config`, starting at [`start_time`].
pub async fn start(config: SimConfig) -> TestServer {
    let sim = Simulator::with_start(config, start_time()).expect("valid config");
    serve(sim).await
}

/// Serves `sim` over TLS on 127.0.0.1 port 0.
pub async fn serve(sim: Simulator) -> TestServer {
    let (certificate, key) = make_certificate();
    let server_tls = server_config(certificate.clone(), key);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("local address");
    let sim = Arc::new(sim);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(Arc::clone(&sim).serve(listener, server_tls, async {
        let _ = stopped.await;
    }));
    TestServer {
        sim,
        base: format!("https://{address}"),
        client: client_for(certificate),
        stop: Some(stop),
        task: Some(task),
    }
}

/// Builds a server TLS configuration with a fresh self-signed certificate.
pub fn server_tls() -> Arc<rustls::ServerConfig> {
    let (certificate, key) = make_certificate();
    server_config(certificate, key)
}

fn make_certificate() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("generate certificate");
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    (certified.cert.der().clone(), PrivateKeyDer::Pkcs8(key))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(
    certificate: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Arc<rustls::ServerConfig> {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .expect("server certificate");
    Arc::new(config)
}

fn client_for(certificate: CertificateDer<'static>) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate).expect("trust test certificate");
    let tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(WAIT_LIMIT)
        .build()
        .expect("client")
}

impl TestServer {
    /// Sends a request; `authorization` is the raw header value, if any.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Accept", "application/vnd.netbackup+json;version=8.0");
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/vnd.netbackup+json;version=8.0")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request completes");
        read_reply(response).await
    }

    /// Sends a GET authenticated with the API key.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(API_KEY), None).await
    }

    /// Sends a GET with the API key and returns the JSON body of a 200.
    pub async fn get_ok(&self, path: &str) -> Value {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text);
        reply.json
    }

    /// Logs in with the test credentials and returns the token.
    pub async fn login(&self) -> String {
        let body = serde_json::json!({"userName": USERNAME, "password": PASSWORD});
        let reply = self
            .send(Method::POST, "/netbackup/login", None, Some(&body))
            .await;
        assert_eq!(reply.status, 201, "login: {}", reply.text);
        reply.json["token"]
            .as_str()
            .expect("token is a string")
            .to_owned()
    }

    /// Stops the server and waits for `serve` to return.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT_LIMIT, task)
                .await
                .expect("serve returns after shutdown")
                .expect("serve task does not panic");
        }
    }
}

pub async fn read_reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let location = header("location");
    let text = response.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("body is JSON")
    };
    Reply {
        status,
        content_type,
        location,
        text,
        json,
    }
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Formats a time as the API does: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso(time: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond()
    )
}

/// Returns the `data` array of a list document.
pub fn data(document: &Value) -> &Vec<Value> {
    document["data"].as_array().expect("data is an array")
}

/// Returns one attribute of every item in a list document.
pub fn attribute<'a>(document: &'a Value, name: &str) -> Vec<&'a Value> {
    data(document)
        .iter()
        .map(|item| &item["attributes"][name])
        .collect()
}

/// Fetches every job page by page, oldest first.
pub async fn all_jobs(server: &TestServer) -> Vec<Value> {
    let mut jobs = Vec::new();
    let mut offset = 0;
    loop {
        let document = server
            .get_ok(&format!(
                "/netbackup/admin/jobs?sort=jobId&page[limit]=100&page[offset]={offset}"
            ))
            .await;
        let page = data(&document);
        jobs.extend(page.iter().map(|item| item["attributes"].clone()));
        if document["meta"]["pagination"]["next"].is_null() {
            return jobs;
        }
        offset += 100;
    }
}
