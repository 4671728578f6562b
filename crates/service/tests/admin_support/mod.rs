//! Shared helpers for the admin API tests. They start a real service on a
//! temporary data directory, with the admin API on 127.0.0.1 port 0, and
//! an HTTP client for it. They also run a plain TLS listener with a
//! generated certificate, a TLS WebSocket endpoint that accepts CONNECT,
//! and an HTTPS server that returns a details document.
//!
//! Each test binary uses a different subset, hence the `dead_code` allow.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nbwss_protocol::{Body, ConnectResponse, Message};
use nbwss_service::admin::LogLevelHook;
use nbwss_service::config::Config;
use nbwss_service::{Service, ServiceOptions};
use nbwss_tls::GeneratedCert;
use reqwest::{Method, StatusCode};
use rustls::ServerConfig;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite;

/// Upper bound on any wait; never reached when the code works.
pub const WAIT: Duration = Duration::from_secs(30);

/// Properties every test service starts with: the admin API on an
/// ephemeral port and quick retries.
pub const BASE_PROPERTIES: &str = "admin.listen=127.0.0.1:0\n\
    connection.retryDelay=1\n\
    connectionInfo.period=2\n\
    connect.responseTimeout=10\n";

/// A token with a pattern found nowhere else, to search for leaks.
pub const TOKEN: &str = "Tok3n-\u{e9}-5f1c2a9b-never-shown";

/// A running service and a client for its admin API.
pub struct TestService {
    pub service: Service,
    pub data: TempDir,
    pub config_dir: TempDir,
    pub base: String,
    pub admin_key: String,
    pub http: reqwest::Client,
    /// Levels the reload hook received.
    pub levels: Arc<Mutex<Vec<String>>>,
}

impl TestService {
    /// Starts a service with [`BASE_PROPERTIES`].
    pub async fn start() -> TestService {
        Self::start_with("", None).await
    }

    /// Starts a service with extra properties, on `data` when given.
    pub async fn start_with(extra: &str, data: Option<TempDir>) -> TestService {
        nbwss_tls::install_default_provider();
        let data = data.unwrap_or_else(|| TempDir::new().expect("temporary data dir"));
        let config_dir = TempDir::new().expect("temporary config dir");
        std::fs::write(
            config_dir.path().join("nbwss.properties"),
            format!("{BASE_PROPERTIES}{extra}"),
        )
        .expect("write nbwss.properties");
        let config = Config::load(config_dir.path(), &[]).expect("valid test configuration");
        let levels = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&levels);
        let options = ServiceOptions {
            data_dir: data.path().to_owned(),
            allow_insecure_loopback: false,
            server_name: "test-backup-server".to_owned(),
            config_dir: Some(config_dir.path().to_owned()),
            config_overrides: Vec::new(),
            on_log_level: Some(LogLevelHook::new(move |level| {
                recorded.lock().unwrap().push(level.to_owned());
                Ok(())
            })),
        };
        let service = Service::start(config, options)
            .await
            .expect("service starts");
        let admin_key = std::fs::read_to_string(data.path().join("admin.key"))
            .expect("admin.key written")
            .trim()
            .to_owned();
        let base = format!("http://{}", service.admin_addr());
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        TestService {
            service,
            data,
            config_dir,
            base,
            admin_key,
            http,
            levels,
        }
    }

    /// Stops the service and returns its data directory.
    pub async fn stop(self) -> TempDir {
        self.service.stop().await;
        self.data
    }

    /// Sends a request with `key` (or none) and returns the status and the
    /// body, parsed as JSON when it is JSON and as a string otherwise.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("admin API responds");
        let status = response.status();
        let text = response.text().await.expect("response body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// GET with the admin key.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(&self.admin_key), None)
            .await
    }

    /// POST with the admin key.
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(&self.admin_key), Some(body))
            .await
    }

    /// DELETE with the admin key.
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(&self.admin_key), None)
            .await
    }

    /// Creates an API key with `permissions` and returns it.
    pub async fn create_key(&self, permissions: &[&str]) -> String {
        let (status, body) = self
            .post(
                "/api/v1/api-keys",
                &json!({"name": "test", "permissions": permissions}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["key"].as_str().expect("key in response").to_owned()
    }

    /// Adds `details` accepting `fingerprint`, asserting success.
    pub async fn add_pinned(&self, details: &Value, fingerprint: &str) -> Value {
        let body = json!({"details": details, "acceptFingerprint": fingerprint});
        let (status, body) = self.post("/api/v1/servers", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Returns the record of `host` from the servers list, or null.
    pub async fn server(&self, host: &str) -> Value {
        let (_, body) = self.get("/api/v1/servers").await;
        body["servers"]
            .as_array()
            .and_then(|servers| servers.iter().find(|s| s["hostName"] == host))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// Endpoint details for `host` at `url`.
pub fn details(host: &str, url: &str, group: &str) -> Value {
    json!({
        "hostName": host,
        "url": url,
        "groupId": group,
        "priority": 0,
        "token": TOKEN,
    })
}

/// Polls `probe` every 50 ms until it returns `Some`, for at most [`WAIT`].
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Generates a self-signed certificate for 127.0.0.1 and localhost.
pub fn self_signed() -> GeneratedCert {
    nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("generate certificate")
}

fn server_config(cert: &GeneratedCert) -> Arc<ServerConfig> {
    nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config")
}

/// A TLS listener that completes handshakes and then closes.
pub struct TlsListener {
    pub addr: SocketAddr,
    pub cert: GeneratedCert,
    task: JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsListener {
    /// Listens on 127.0.0.1 port 0 with a new self-signed certificate.
    pub async fn start() -> TlsListener {
        let cert = self_signed();
        let acceptor = TlsAcceptor::from(server_config(&cert));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        TlsListener { addr, cert, task }
    }

    /// `wss://127.0.0.1:<port>/nbwss`.
    pub fn url(&self) -> String {
        format!("wss://127.0.0.1:{}/nbwss", self.addr.port())
    }
}

/// A TLS WebSocket endpoint that responds to every CONNECT with `valid: true`.
/// Its certificate can be replaced and its connections dropped.
pub struct WsEndpoint {
    pub addr: SocketAddr,
    config: Arc<Mutex<Arc<ServerConfig>>>,
    drop_all: watch::Sender<u64>,
    task: JoinHandle<()>,
}

impl Drop for WsEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WsEndpoint {
    /// Listens on 127.0.0.1 port 0 with `cert`.
    pub async fn start(cert: &GeneratedCert) -> WsEndpoint {
        let config = Arc::new(Mutex::new(server_config(cert)));
        let (drop_all, _) = watch::channel(0u64);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::clone(&config);
        let drops = drop_all.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let current = Arc::clone(&shared.lock().unwrap());
                let drops = drops.subscribe();
                tokio::spawn(serve_websocket(TlsAcceptor::from(current), stream, drops));
            }
        });
        WsEndpoint {
            addr,
            config,
            drop_all,
            task,
        }
    }

    /// `wss://127.0.0.1:<port>/nbwss`.
    pub fn url(&self) -> String {
        format!("wss://127.0.0.1:{}/nbwss", self.addr.port())
    }

    /// Serves `cert` to new connections.
    pub fn replace_certificate(&self, cert: &GeneratedCert) {
        *self.config.lock().unwrap() = server_config(cert);
    }

    /// Closes every open connection.
    pub fn drop_connections(&self) {
        self.drop_all.send_modify(|generation| *generation += 1);
    }
}

async fn serve_websocket(
    acceptor: TlsAcceptor,
    stream: tokio::net::TcpStream,
    mut drops: watch::Receiver<u64>,
) {
    let Ok(tls) = acceptor.accept(stream).await else {
        return;
    };
    let Ok(mut socket) = tokio_tungstenite::accept_async(tls).await else {
        return;
    };
    loop {
        tokio::select! {
            frame = socket.next() => {
                let Some(Ok(frame)) = frame else { return };
                let tungstenite::Message::Text(text) = frame else { continue };
                let Ok(message) = Message::parse(text.as_str()) else { continue };
                if let Body::ConnectRequest(_) = message.body {
                    let response = Message::new(
                        message.id,
                        Body::ConnectResponse(ConnectResponse { valid: true }),
                    );
                    if socket.send(tungstenite::Message::text(response.to_json())).await.is_err() {
                        return;
                    }
                }
            }
            _ = drops.changed() => {
                let _ = socket.close(None).await;
                return;
            }
        }
    }
}

/// An HTTPS server with a certificate from a generated CA that responds to
/// every request with `document` as JSON.
pub struct DetailsServer {
    pub addr: SocketAddr,
    pub ca_file: PathBuf,
    _dir: TempDir,
    task: JoinHandle<()>,
}

impl Drop for DetailsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DetailsServer {
    /// Listens on 127.0.0.1 port 0.
    pub async fn start(document: &Value) -> DetailsServer {
        let ca = nbwss_tls::generate_ca("Details Test CA").expect("generate CA");
        let now = std::time::SystemTime::now();
        let day = Duration::from_secs(86_400);
        let cert = ca
            .issue(&["127.0.0.1".to_owned()], now - day, now + day)
            .expect("issue certificate");
        let dir = TempDir::new().expect("temporary dir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.cert_pem()).expect("write CA file");
        let acceptor = TlsAcceptor::from(server_config(&cert));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let body = document.to_string();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    read_request_head(&mut tls).await;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        DetailsServer {
            addr,
            ca_file,
            _dir: dir,
            task,
        }
    }

    /// `https://127.0.0.1:<port>/details?sig=...`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/details?sig=s3cr3t", self.addr.port())
    }
}

/// Reads until the blank line that ends an HTTP request head, or 64 KiB.
async fn read_request_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
}
