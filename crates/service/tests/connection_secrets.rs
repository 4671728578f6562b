//! Secrets stay out of the logs while the service connects, relays, is
//! rejected and reconnects: the endpoint token, the proxy password and a
//! relayed Authorization value.
//!
//! This is a binary of its own with one test, because tracing caches per
//! process whether a callsite is enabled, and a test running in parallel
//! under another subscriber could leave callsites cached as disabled.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

use nbwss_protocol::Method;
use nbwss_service::registry::ConnectionState;
use support::harness::{
    GROUP, HOST, register, request, start_service, token_marker, wait_for_state,
};
use support::peer::{Answer, Peer};
use support::proxy::Proxy;
use support::upstream::Upstream;

const PROXY_USER: &str = "nbwss";
const PROXY_PASSWORD: &str = "proxy-secret-password";
const AUTHORIZATION_SECRET: &str = "relayed-secret-jwt";

/// Log output captured by the test's subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// No log line at any level contains the token, the proxy password or a
/// relayed Authorization value.
#[tokio::test(flavor = "current_thread")]
async fn logs_contain_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The service's own filters at `trace`: the level filter, and the cap
    // on libraries that log whole frames and headers.
    let filter = nbwss_service::logging::log_filter("trace").expect("valid level");
    let output = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_filter(nbwss_service::logging::frame_logger_cap());
    let subscriber = tracing_subscriber::registry().with(filter).with(output);
    let _guard = tracing::subscriber::set_default(subscriber);

    let upstream = Upstream::start().await;
    let credentials = Some((PROXY_USER, PROXY_PASSWORD));
    let proxy = Proxy::start(credentials).await;
    let (url, ca_file, proxy_url) = (upstream.url(), upstream.ca_file(), proxy.url(credentials));
    let (service, _dir) = start_service(&[
        ("command.upstreamUrl", &url),
        ("command.upstreamCaFile", &ca_file),
        ("connection.proxy", &proxy_url),
    ])
    .await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let mut conn = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;

    let mut get = request(Method::Get, "/netbackup/echo");
    let authorization = format!("Bearer {AUTHORIZATION_SECRET}");
    get.headers
        .insert("Authorization".to_owned(), authorization);
    let response = conn.call(get).await;
    assert_eq!(response.status_code, 200);

    peer.set_answer(Answer::Reject);
    conn.close(1000);
    let _rejected = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Rejected).await;
    service.stop().await;

    let logs = captured.text();
    assert!(
        logs.contains("CONNECT accepted"),
        "nothing captured: {logs}"
    );
    assert_eq!(lines_with(&logs, &token_marker(HOST)), "", "token logged");
    assert_eq!(
        lines_with(&logs, PROXY_PASSWORD),
        "",
        "proxy password logged"
    );
    assert_eq!(
        lines_with(&logs, AUTHORIZATION_SECRET),
        "",
        "Authorization logged"
    );
}

/// Returns the lines of `logs` that contain `secret`, joined.
fn lines_with(logs: &str, secret: &str) -> String {
    let lines: Vec<&str> = logs.lines().filter(|line| line.contains(secret)).collect();
    lines.join("\n")
}
