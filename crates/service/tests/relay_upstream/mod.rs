//! A real HTTPS upstream for the relay tests: an axum router served through
//! tokio-rustls and hyper on 127.0.0.1, port 0, with a certificate from a CA
//! generated for each upstream and written to a temporary CA file.
//!
//! The upstream echoes what it receives, counts calls and reports through a
//! channel when a handler starts or is dropped, so tests wait on events
//! rather than on time.

// Each test binary that includes this module uses a different subset.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use nbwss_protocol::{CommandRequest, CommandResponse, Method};
use nbwss_service::relay::{CallContext, Relay, RelaySettings};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::TlsAcceptor;

/// Upper bound on any single wait in these tests. Working code never
/// reaches it.
pub const WAIT: Duration = Duration::from_secs(30);

/// Chunks in the streamed body, 64 KiB each: 64 MiB, far more than socket
/// buffers hold, so the relay must stop reading before the end.
pub const STREAM_CHUNKS: usize = 1024;
pub const STREAM_CHUNK_BYTES: usize = 64 * 1024;

/// The body sent with a `Content-Length` by `/netbackup/sized`.
pub const SIZED_BODY_BYTES: usize = 1024 * 1024;

pub const BINARY_BODY: [u8; 6] = [0xff, 0x00, 0xfe, 0x80, b'a', 0xc3];

/// What the upstream reports to the test.
#[derive(Debug, PartialEq)]
pub enum Event {
    HangStarted,
    HangDropped,
    StreamDropped,
}

pub struct UpstreamState {
    pub calls: AtomicUsize,
    pub chunks_sent: AtomicUsize,
    events: mpsc::UnboundedSender<Event>,
    /// Senders for the hanging handlers, kept so that their receivers never
    /// complete.
    hanging: Mutex<Vec<oneshot::Sender<()>>>,
}

/// A running HTTPS upstream and the CA file that trusts it.
pub struct Upstream {
    pub addr: SocketAddr,
    pub ca_file: PathBuf,
    pub state: Arc<UpstreamState>,
    events: mpsc::UnboundedReceiver<Event>,
    _dir: TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Upstream {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    pub async fn next_event(&mut self) -> Event {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("upstream event within the wait bound")
            .expect("upstream event channel open")
    }
}

/// Sends a drop event when the handler or stream holding it is dropped.
struct DropSignal {
    event: Option<Event>,
    events: mpsc::UnboundedSender<Event>,
}

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(event) = self.event.take() {
            let _ = self.events.send(event);
        }
    }
}

fn router(state: Arc<UpstreamState>) -> Router {
    Router::new()
        .route("/netbackup/echo", any(echo))
        .route("/netbackup/repeated", get(repeated))
        .route("/netbackup/binary", get(binary))
        .route("/netbackup/empty", get(|| async { StatusCode::NO_CONTENT }))
        .route("/netbackup/hang", get(hang))
        .route("/netbackup/stream", get(stream))
        .route(
            "/netbackup/sized",
            get(|| async { vec![b'x'; SIZED_BODY_BYTES] }),
        )
        .route("/netbackup/status/{code}", get(status))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            count_call,
        ))
        .with_state(state)
}

async fn count_call(
    State(state): State<Arc<UpstreamState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    state.calls.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

/// Returns the method, uri, headers and body it received as JSON.
async fn echo(method: HttpMethod, uri: Uri, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let mut received = BTreeMap::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().unwrap_or("<non-ascii>"))
            .collect();
        received.insert(name.as_str().to_owned(), values.join(", "));
    }
    Json(json!({
        "method": method.as_str(),
        "uri": uri.to_string(),
        "headers": received,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn repeated() -> Response {
    let mut response = "repeated".into_response();
    let headers = response.headers_mut();
    headers.append("x-multi", "one".parse().expect("valid value"));
    headers.append("x-multi", "two".parse().expect("valid value"));
    response
}

async fn binary() -> impl IntoResponse {
    (
        [("content-type", "application/octet-stream")],
        BINARY_BODY.to_vec(),
    )
}

/// Never responds: waits on a oneshot whose sender is kept but never used.
async fn hang(State(state): State<Arc<UpstreamState>>) -> &'static str {
    let _signal = DropSignal {
        event: Some(Event::HangDropped),
        events: state.events.clone(),
    };
    let (sender, receiver) = oneshot::channel::<()>();
    state
        .hanging
        .lock()
        .expect("lock not poisoned")
        .push(sender);
    let _ = state.events.send(Event::HangStarted);
    let _ = receiver.await;
    "unreachable"
}

/// Streams STREAM_CHUNKS chunks without a `Content-Length`, counting them.
async fn stream(State(state): State<Arc<UpstreamState>>) -> Response {
    let signal = DropSignal {
        event: Some(Event::StreamDropped),
        events: state.events.clone(),
    };
    let chunks = futures_util::stream::iter(0..STREAM_CHUNKS).map(move |_| {
        // The signal moves into the stream, so it fires when the stream is
        // dropped, finished or not.
        let _keep = &signal;
        state.chunks_sent.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; STREAM_CHUNK_BYTES]))
    });
    Body::from_stream(chunks).into_response()
}

async fn status(Path(code): Path<u16>) -> Response {
    let status = StatusCode::from_u16(code).expect("test status is valid");
    let body = json!({"errorCode": code, "errorMessage": "from upstream"}).to_string();
    (status, [("content-type", "application/json")], body).into_response()
}

/// Generates a CA and a server certificate for 127.0.0.1 and localhost.
/// Returns the CA in PEM and the server's TLS acceptor.
fn generate_tls() -> (String, TlsAcceptor) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");

    let leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("valid server names");
    let leaf_key = KeyPair::generate().expect("server key");
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .expect("server certificate");

    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("certificate matches key");
    (ca.pem(), TlsAcceptor::from(Arc::new(config)))
}

/// Starts the HTTPS upstream on 127.0.0.1, port 0.
pub async fn start_upstream() -> Upstream {
    let (ca_pem, acceptor) = generate_tls();
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("CA file written");

    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let state = Arc::new(UpstreamState {
        calls: AtomicUsize::new(0),
        chunks_sent: AtomicUsize::new(0),
        events: events_tx,
        hanging: Mutex::new(Vec::new()),
    });
    let app = router(Arc::clone(&state));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let server = tokio::spawn(async move {
        loop {
            let Ok((tcp, _peer)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                    .await;
            });
        }
    });
    Upstream {
        addr,
        ca_file,
        state,
        events: events_rx,
        _dir: dir,
        server,
    }
}

pub fn settings(upstream: &Upstream) -> RelaySettings {
    RelaySettings {
        upstream_url: upstream.url(),
        upstream_ca_file: Some(upstream.ca_file.clone()),
        allowed_path_prefixes: vec!["/netbackup/".to_owned()],
        max_concurrent: 4,
        timeout: WAIT,
        max_response_bytes: 4 * 1024 * 1024,
    }
}

pub fn context() -> CallContext {
    CallContext {
        endpoint: "cloud.example".to_owned(),
        conn_id: 7,
        msg_id: "0F4E2C1A-0000-4000-8000-000000000001".to_owned(),
    }
}

pub fn request(method: Method, uri: &str, headers: &[(&str, &str)]) -> CommandRequest {
    let mut request = CommandRequest::new(method, uri);
    request.headers = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    request
}

/// Relays `request`, bounded by WAIT so a hang fails the test.
pub async fn call(relay: &Relay, request: CommandRequest) -> CommandResponse {
    tokio::time::timeout(WAIT, relay.relay(request, &context()))
        .await
        .expect("relay returned within the wait bound")
}

pub fn body_json(response: &CommandResponse) -> Value {
    let body = response.body.as_deref().expect("response has a body");
    serde_json::from_str(body).expect("body is JSON")
}

pub fn error_message(response: &CommandResponse) -> String {
    body_json(response)["errorMessage"]
        .as_str()
        .expect("error body has errorMessage")
        .to_owned()
}
