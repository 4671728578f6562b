//! A minimal HTTP CONNECT proxy on 127.0.0.1 for the proxy tests.
//!
//! It reads one request head, checks `Proxy-Authorization` against Basic
//! credentials when it was started with some, responds 407 on a mismatch,
//! and otherwise opens the tunnel and copies bytes both ways. It tunnels
//! only to loopback targets and answers 403 for any other. It counts
//! tunnels and 407 answers so tests can tell the service went through it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::POLL;

/// Largest request head the proxy reads.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Hosts the proxy tunnels to.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

const AUTH_REQUIRED: &[u8] = b"HTTP/1.1 407 Proxy Authentication Required\r\n\
    Proxy-Authenticate: Basic realm=\"nbwss-test\"\r\nContent-Length: 0\r\n\r\n";
const FORBIDDEN: &[u8] = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
const BAD_GATEWAY: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
const ESTABLISHED: &[u8] = b"HTTP/1.1 200 Connection Established\r\n\r\n";

#[derive(Default)]
struct Counters {
    tunnels: AtomicUsize,
    auth_required: AtomicUsize,
}

/// A running proxy.
pub struct Proxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy that requires `credentials` (user, password) when
    /// given.
    pub async fn start(credentials: Option<(&str, &str)>) -> Proxy {
        let expected = credentials.map(|(user, password)| {
            format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(accept_loop(listener, expected, counters.clone()));
        Proxy {
            addr,
            counters,
            task,
        }
    }

    /// Returns the `connection.proxy` value, with `credentials` in it when
    /// given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// Tunnels opened so far.
    pub fn tunnels(&self) -> usize {
        self.counters.tunnels.load(Ordering::SeqCst)
    }

    /// 407 responses sent so far.
    pub fn auth_required(&self) -> usize {
        self.counters.auth_required.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Tunnel tasks, aborted when the accept loop is dropped so the tunnels end
/// with the proxy.
struct Tunnels(Vec<JoinHandle<()>>);

impl Drop for Tunnels {
    fn drop(&mut self) {
        for tunnel in &self.0 {
            tunnel.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, expected: Option<String>, counters: Arc<Counters>) {
    let mut tunnels = Tunnels(Vec::new());
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Such as too many open files: wait instead of spinning.
            tokio::time::sleep(POLL).await;
            continue;
        };
        tunnels.0.retain(|tunnel| !tunnel.is_finished());
        let task = tokio::spawn(handle(client, expected.clone(), counters.clone()));
        tunnels.0.push(task);
    }
}

/// Serves one CONNECT request and, when it is allowed, the tunnel.
async fn handle(mut client: TcpStream, expected: Option<String>, counters: Arc<Counters>) {
    let Some(head) = read_head(&mut client).await else {
        let _ = client.write_all(BAD_REQUEST).await;
        return;
    };
    let Some(target) = connect_target(&head) else {
        let _ = client.write_all(BAD_REQUEST).await;
        return;
    };
    if let Some(expected) = expected {
        if header_value(&head, "proxy-authorization") != Some(expected.as_str()) {
            counters.auth_required.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(AUTH_REQUIRED).await;
            return;
        }
    }
    let host = target.rsplit_once(':').map_or("", |(host, _)| host);
    if !LOOPBACK_HOSTS.contains(&host) {
        let _ = client.write_all(FORBIDDEN).await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(target.as_str()).await else {
        let _ = client.write_all(BAD_GATEWAY).await;
        return;
    };
    if client.write_all(ESTABLISHED).await.is_err() {
        return;
    }
    counters.tunnels.fetch_add(1, Ordering::SeqCst);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// Reads up to the blank line that ends the request head. The client sends
/// nothing after the head until the proxy responds, so nothing is lost.
async fn read_head(client: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        if head.len() > MAX_HEAD_BYTES {
            return None;
        }
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8(head).ok()
}

/// Returns the `host:port` of a `CONNECT host:port HTTP/1.1` request line.
fn connect_target(head: &str) -> Option<String> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    (method == "CONNECT").then(|| target.to_owned())
}

/// Returns the trimmed value of the header `name` (lower case).
fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}
