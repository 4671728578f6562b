//! The REST API stand-in that both paths call: an axum router served over
//! tokio-rustls and hyper on 127.0.0.1, port 0, with a certificate issued
//! by a CA generated for the run.
//!
//! `GET /netbackup/bench/bytes/{size}` returns `size` bytes of ASCII text.
//! The bodies are built once at start, so a request costs a reference
//! count, not an allocation. Letters and digits only, so that the relay's
//! JSON string needs no escaping and its size stays that of the body.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The repeated pattern of every body.
const PATTERN: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Validity margin of the generated certificate on each side of now.
const CERT_MARGIN: Duration = Duration::from_secs(24 * 60 * 60);

/// Pause after a failed `accept`.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(50);

/// A running upstream; dropping it stops accepting connections.
pub struct Upstream {
    /// The bound address.
    pub addr: SocketAddr,
    /// PEM file of the CA that issued the server certificate.
    pub ca_file: PathBuf,
    accept_loop: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl Upstream {
    /// Starts the upstream with a body for each of `sizes`, writing the CA
    /// file into `dir`.
    pub async fn start(dir: &Path, sizes: &[usize]) -> anyhow::Result<Upstream> {
        let ca = nbwss_tls::generate_ca("nbwss bench upstream CA")?;
        let now = SystemTime::now();
        let names = ["127.0.0.1".to_owned(), "localhost".to_owned()];
        let leaf = ca.issue(&names, now - CERT_MARGIN, now + CERT_MARGIN)?;
        let ca_file = dir.join("upstream-ca.pem");
        std::fs::write(&ca_file, ca.cert_pem())
            .with_context(|| format!("failed to write {}", ca_file.display()))?;
        let tls = nbwss_tls::server_config(&leaf.cert_pem, &leaf.key_pem)?;

        let bodies: HashMap<usize, Bytes> = sizes.iter().map(|&size| (size, body(size))).collect();
        let app = Router::new()
            .route("/netbackup/bench/bytes/{size}", get(bytes_of_size))
            .with_state(Arc::new(bodies));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accept_loop = tokio::spawn(accept(listener, TlsAcceptor::from(tls), app));
        Ok(Upstream {
            addr,
            ca_file,
            accept_loop,
        })
    }

    /// Returns the base URL, `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

/// The request path that returns `size` bytes.
pub fn bytes_path(size: usize) -> String {
    format!("/netbackup/bench/bytes/{size}")
}

/// Builds a body of `size` bytes of [`PATTERN`].
fn body(size: usize) -> Bytes {
    PATTERN.iter().copied().cycle().take(size).collect()
}

async fn bytes_of_size(
    State(bodies): State<Arc<HashMap<usize, Bytes>>>,
    UrlPath(size): UrlPath<usize>,
) -> Response {
    match bodies.get(&size) {
        Some(body) => ([(header::CONTENT_TYPE, "text/plain")], body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn accept(listener: TcpListener, acceptor: TlsAcceptor, app: Router) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _peer)) => tcp,
            Err(_) => {
                // Such as running out of file descriptors: pause so the
                // loop does not spin.
                tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body has the requested size and only letters and digits.
    #[test]
    fn body_is_plain_ascii_of_size() {
        let body = body(1000);
        assert_eq!(body.len(), 1000);
        assert!(body.iter().all(u8::is_ascii_alphanumeric));
    }
}
