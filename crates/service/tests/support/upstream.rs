//! An HTTPS stand-in for the backup server's REST API on 127.0.0.1: an
//! axum router served through tokio-rustls and hyper, with a certificate
//! for `localhost` and `127.0.0.1` issued by a CA generated for each test.
//! The CA's PEM file is what `command.upstreamCaFile` points at.
//!
//! Routes:
//! - `/netbackup/echo` (any method): the method, `uri`, headers and body
//!   received, as JSON.
//! - `/netbackup/slow` (any method): reports [`SlowEvent::Started`], then
//!   waits until the test calls [`Upstream::release`]. A guard reports
//!   [`SlowEvent::Dropped`] if hyper drops the handler before it finishes.
//! - `/netbackup/large/{bytes}`: a body of `bytes` bytes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::{any, get};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::{POLL, WAIT};

/// What the slow handler reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlowEvent {
    /// A request reached the handler.
    Started,
    /// The handler was dropped before it was released.
    Dropped,
    /// The handler was released and returned its response.
    Finished,
}

#[derive(Clone)]
struct AppState {
    released: watch::Receiver<bool>,
    events: mpsc::UnboundedSender<SlowEvent>,
}

/// A running upstream.
pub struct Upstream {
    addr: SocketAddr,
    ca_file: PathBuf,
    _dir: TempDir,
    release: watch::Sender<bool>,
    events: mpsc::UnboundedReceiver<SlowEvent>,
    server: JoinHandle<()>,
}

impl Upstream {
    /// Starts the upstream on 127.0.0.1, port 0.
    pub async fn start() -> Upstream {
        let dir = tempfile::tempdir().expect("temporary CA directory");
        let (acceptor, ca_pem) = tls_acceptor();
        let ca_file = dir.path().join("upstream-ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("write the CA file");
        let (release, released) = watch::channel(false);
        let (events_sender, events) = mpsc::unbounded_channel();
        let state = AppState {
            released,
            events: events_sender,
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        let addr = listener.local_addr().expect("upstream address");
        let server = tokio::spawn(serve(listener, acceptor, router(state)));
        Upstream {
            addr,
            ca_file,
            _dir: dir,
            release,
            events,
            server,
        }
    }

    /// Returns the base URL for `command.upstreamUrl`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// Returns the CA file path for `command.upstreamCaFile`.
    pub fn ca_file(&self) -> String {
        self.ca_file.display().to_string()
    }

    /// Lets every slow handler, waiting now or later, respond.
    pub fn release(&self) {
        self.release.send_replace(true);
    }

    /// Waits for the next event of a slow handler.
    pub async fn next_event(&mut self) -> SlowEvent {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .unwrap_or_else(|_| panic!("no slow handler event within {WAIT:?}"))
            .expect("the upstream's event channel stays open")
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A CA, and a server config with a leaf it issued for `localhost` and
/// `127.0.0.1`; returns the acceptor and the CA's PEM.
fn tls_acceptor() -> (TlsAcceptor, String) {
    let ca = nbwss_tls::generate_ca("nbwss test upstream CA").expect("test CA");
    let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
    let now = SystemTime::now();
    let day = Duration::from_secs(24 * 60 * 60);
    let leaf = ca
        .issue(&names, now - day, now + day)
        .expect("upstream leaf");
    let config = nbwss_tls::server_config(&leaf.cert_pem, &leaf.key_pem).expect("upstream config");
    (TlsAcceptor::from(config), ca.cert_pem())
}

async fn serve(listener: TcpListener, acceptor: TlsAcceptor, app: Router) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Such as too many open files: wait instead of spinning.
            tokio::time::sleep(POLL).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = TowerToHyperService::new(app);
            // A connection the service drops ends here with an error.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/netbackup/echo", any(echo))
        .route("/netbackup/slow", any(slow))
        .route("/netbackup/large/{bytes}", get(large))
        .with_state(state)
}

/// Returns what the upstream received as JSON.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let mut received = BTreeMap::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        received.insert(name.as_str().to_owned(), values.join(", "));
    }
    axum::Json(json!({
        "method": method.as_str(),
        "uri": uri.to_string(),
        "headers": received,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// Reports [`SlowEvent::Dropped`] or [`SlowEvent::Finished`] when dropped.
struct SlowGuard {
    events: mpsc::UnboundedSender<SlowEvent>,
    finished: bool,
}

impl Drop for SlowGuard {
    fn drop(&mut self) {
        let event = if self.finished {
            SlowEvent::Finished
        } else {
            SlowEvent::Dropped
        };
        let _ = self.events.send(event);
    }
}

async fn slow(State(mut state): State<AppState>) -> &'static str {
    let _ = state.events.send(SlowEvent::Started);
    let mut guard = SlowGuard {
        events: state.events.clone(),
        finished: false,
    };
    // The sender lives as long as the upstream, so this only fails when the
    // whole upstream is going away.
    let _ = state.released.wait_for(|released| *released).await;
    guard.finished = true;
    "released"
}

async fn large(Path(bytes): Path<usize>) -> Vec<u8> {
    vec![b'x'; bytes]
}
