//! Test fixtures: certificates, a TLS server and an HTTP CONNECT proxy,
//! all on 127.0.0.1 with ports chosen by the system.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nbwss_tls::{CertAuthority, GeneratedCert};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Upper bound for any single wait in a test.
pub const WAIT: Duration = Duration::from_secs(20);

/// Bytes the test TLS server writes after each handshake.
pub const GREETING: &[u8] = b"hello from the test server";

pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);

pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

/// Issues a certificate from `ca` for `list`, valid from yesterday to
/// tomorrow.
pub fn issue_current(ca: &CertAuthority, list: &[&str]) -> GeneratedCert {
    let now = SystemTime::now();
    ca.issue(&names(list), now - DAY, now + DAY).unwrap()
}

/// Builds a root store that trusts only `ca`.
pub fn roots_for(ca: &CertAuthority) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(ca.cert_der())).unwrap();
    roots
}

/// Starts a TLS server that serves `cert` and writes [`GREETING`] after
/// each handshake. Handshake failures are ignored.
pub async fn start_tls_server(cert: &GeneratedCert) -> SocketAddr {
    let config = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let _ = tls.write_all(GREETING).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    address
}

/// Reads the greeting from a connected stream, bounded by [`WAIT`].
pub async fn read_greeting<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Vec<u8> {
    let mut buffer = vec![0u8; GREETING.len()];
    tokio::time::timeout(WAIT, stream.read_exact(&mut buffer))
        .await
        .expect("greeting timed out")
        .expect("greeting read failed");
    buffer
}

/// What the test proxy does with a CONNECT request.
#[derive(Clone)]
pub enum ProxyMode {
    /// Tunnel when the `Proxy-Authorization` header equals this value, or
    /// always when `None`. Otherwise respond with 407.
    Tunnel { required_auth: Option<String> },
    /// Respond with this raw response and close.
    Respond(&'static str),
    /// Accept the connection and never respond.
    Silent,
}

/// A running test proxy.
pub struct TestProxy {
    pub address: SocketAddr,
    /// The `Proxy-Authorization` value of each request, in arrival order.
    pub auth_headers: mpsc::UnboundedReceiver<Option<String>>,
    /// The request target (`host:port`) of each request.
    pub targets: mpsc::UnboundedReceiver<String>,
}

/// Starts an HTTP CONNECT proxy on 127.0.0.1. It only tunnels to
/// loopback targets.
pub async fn start_proxy(mode: ProxyMode) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (auth_sender, auth_headers) = mpsc::unbounded_channel();
    let (target_sender, targets) = mpsc::unbounded_channel();
    let mode = Arc::new(mode);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let mode = mode.clone();
            let auth_sender = auth_sender.clone();
            let target_sender = target_sender.clone();
            tokio::spawn(async move {
                serve_proxy_client(stream, &mode, auth_sender, target_sender).await;
            });
        }
    });
    TestProxy {
        address,
        auth_headers,
        targets,
    }
}

/// Handles one proxy client according to `mode`.
async fn serve_proxy_client(
    mut client: TcpStream,
    mode: &ProxyMode,
    auth_sender: mpsc::UnboundedSender<Option<String>>,
    target_sender: mpsc::UnboundedSender<String>,
) {
    let required_auth = match mode {
        ProxyMode::Silent => {
            let mut sink = Vec::new();
            let _ = client.read_to_end(&mut sink).await;
            return;
        }
        ProxyMode::Respond(response) => {
            let _ = read_request_head(&mut client).await;
            let _ = client.write_all(response.as_bytes()).await;
            return;
        }
        ProxyMode::Tunnel { required_auth } => required_auth,
    };

    let Some(head) = read_request_head(&mut client).await else {
        return;
    };
    let (target, auth) = parse_connect(&head);
    let _ = target_sender.send(target.clone());
    let _ = auth_sender.send(auth.clone());

    if required_auth.is_some() && auth != *required_auth {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\n\r\n",
            )
            .await;
        return;
    }
    tunnel_to_loopback(client, &target).await;
}

/// Returns the CONNECT target and the `Proxy-Authorization` value.
fn parse_connect(head: &str) -> (String, Option<String>) {
    let target = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("CONNECT "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    let auth = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    (target, auth)
}

/// Connects to a loopback `target` and relays bytes both ways. Any other
/// target gets 502, so the test proxy never reaches beyond this machine.
async fn tunnel_to_loopback(mut client: TcpStream, target: &str) {
    let loopback = target
        .parse::<SocketAddr>()
        .is_ok_and(|address| address.ip().is_loopback());
    let upstream = if loopback {
        TcpStream::connect(target).await.ok()
    } else {
        None
    };
    let Some(mut upstream) = upstream else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };

    let established = client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await;
    if established.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

/// Reads a request head of at most 16 KiB, or `None` if the client closes
/// first.
async fn read_request_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}

/// Receives the next value from a test channel, bounded by [`WAIT`].
pub async fn next<T>(receiver: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(WAIT, receiver.recv())
        .await
        .expect("timed out waiting for the test proxy")
        .expect("test proxy channel closed")
}
