//! Starting a service for a test, registering peers with it, waiting on
//! its live state, and checking the error responses it generates.
//!
//! The service gets fast timings unless a test overrides them:
//! `connection.retryDelay=1` and `connectionInfo.period=2`, so a reconnect
//! comes within about two seconds. Tests that must show a change applies
//! at once raise `connectionInfo.period` so the periodic pass cannot be
//! what applies it.

use nbwss_protocol::details::EndpointDetails;
use nbwss_protocol::{CommandRequest, CommandResponse, ErrorCode, Method};
use nbwss_service::config::Config;
use nbwss_service::registry::{ConnectionState, LiveStatus};
use nbwss_service::{Service, ServiceOptions};
use serde_json::Value;
use tempfile::TempDir;

use super::peer::{Peer, PeerConn};
use super::upstream::Upstream;
use super::{POLL, WAIT};

/// Host name of the endpoint most tests register.
pub const HOST: &str = "ep1.test";

/// Group of the endpoint most tests register.
pub const GROUP: &str = "group-1";

/// Server name the service sends in CONNECT.
pub const SERVER_NAME: &str = "backup.test";

/// Properties every test service starts with; the test's own pairs win.
const DEFAULT_PAIRS: [(&str, &str); 3] = [
    ("admin.listen", "127.0.0.1:0"),
    ("connection.retryDelay", "1"),
    ("connectionInfo.period", "2"),
];

/// Starts a service on a new temporary data directory with the default
/// pairs overridden by `pairs`.
pub async fn start_service(pairs: &[(&str, &str)]) -> (Service, TempDir) {
    init_logging();
    let mut merged: Vec<(&str, &str)> = DEFAULT_PAIRS.to_vec();
    for (key, value) in pairs {
        merged.retain(|(existing, _)| existing != key);
        merged.push((key, value));
    }
    let config = Config::from_pairs(&merged).expect("test properties are valid");
    let data_dir = tempfile::tempdir().expect("temporary data directory");
    let options = ServiceOptions {
        data_dir: data_dir.path().to_path_buf(),
        allow_insecure_loopback: false,
        server_name: SERVER_NAME.to_owned(),
        config_dir: None,
        config_overrides: Vec::new(),
        on_log_level: None,
    };
    let service = Service::start(config, options)
        .await
        .expect("service starts");
    (service, data_dir)
}

/// Sends logs to the test output when `RUST_LOG` is set.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    // A second test in the same binary finds the subscriber installed.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Returns the token registered for `host`. It is not ASCII and contains
/// quotes and a backslash, so a token that is not passed verbatim shows.
/// It ends with [`token_marker`].
pub fn token_for(host: &str) -> String {
    format!("tök€n \"{host}\" \\ {}", token_marker(host))
}

/// Returns the ASCII end of `host`'s token, which survives any escaping,
/// for searching logs.
pub fn token_marker(host: &str) -> String {
    format!("token-secret-{host}")
}

/// Registers `peer` as `host` in `group` with `priority`, pinned to the
/// peer's certificate.
pub fn register(service: &Service, peer: &Peer, host: &str, group: &str, priority: u32) {
    let details = EndpointDetails {
        host_name: host.to_owned(),
        url: peer.url(),
        group_id: group.to_owned(),
        priority,
        token: token_for(host),
    };
    service
        .registry
        .add(details, Some(peer.fingerprint()))
        .expect("endpoint registered");
}

/// Polls the live state of `host` until `condition` holds.
pub async fn wait_for_live(
    service: &Service,
    host: &str,
    goal: &str,
    condition: impl Fn(&LiveStatus) -> bool,
) -> LiveStatus {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let live = service.registry.live(host);
        if condition(&live) {
            return live;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{host}: {goal} not reached within {WAIT:?}, last live state {live:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Polls until `host` is in `state`.
pub async fn wait_for_state(service: &Service, host: &str, state: ConnectionState) -> LiveStatus {
    let goal = format!("state {state:?}");
    wait_for_live(service, host, &goal, |live| live.state == state).await
}

/// Polls until `host` is in any state but `state`.
pub async fn wait_for_state_not(
    service: &Service,
    host: &str,
    state: ConnectionState,
) -> LiveStatus {
    let goal = format!("a state other than {state:?}");
    wait_for_live(service, host, &goal, |live| live.state != state).await
}

/// A service with one endpoint connected, and the upstream it relays to.
pub struct Connected {
    /// The running service.
    pub service: Service,
    /// Its data directory, removed on drop.
    pub data_dir: TempDir,
    /// The REST API stand-in.
    pub upstream: Upstream,
    /// The endpoint, registered as [`HOST`] in [`GROUP`].
    pub peer: Peer,
    /// The connection the service opened to the peer.
    pub conn: PeerConn,
}

/// Starts an upstream, a peer and a service relaying to the upstream with
/// `pairs` on top, registers the peer and waits until it is connected.
pub async fn connect(pairs: &[(&str, &str)]) -> Connected {
    let upstream = Upstream::start().await;
    let url = upstream.url();
    let ca_file = upstream.ca_file();
    let mut all = vec![
        ("command.upstreamUrl", url.as_str()),
        ("command.upstreamCaFile", ca_file.as_str()),
    ];
    all.extend_from_slice(pairs);
    let (service, data_dir) = start_service(&all).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let conn = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    Connected {
        service,
        data_dir,
        upstream,
        peer,
        conn,
    }
}

/// Builds a request for `uri` with no headers and no body.
pub fn request(method: Method, uri: &str) -> CommandRequest {
    CommandRequest::new(method, uri)
}

/// Checks that `response` is the service's own error `code`: status,
/// `x-nbwss-error` header and the `errorCode` / `errorMessage` body.
/// Returns the error message.
pub fn assert_service_error(response: &CommandResponse, code: ErrorCode) -> String {
    assert_eq!(response.status_code, code.status(), "status of {code}");
    let header = response.headers.get("x-nbwss-error").map(String::as_str);
    assert_eq!(header, Some(code.as_str()), "x-nbwss-error header");
    let content_type = response.headers.get("content-type").map(String::as_str);
    assert_eq!(
        content_type,
        Some("application/json"),
        "content-type header"
    );
    let body = body_json(response);
    assert_eq!(
        body["errorCode"].as_u64(),
        Some(u64::from(code.status())),
        "errorCode in {body}"
    );
    let message = body["errorMessage"].as_str().unwrap_or_default().to_owned();
    assert!(!message.is_empty(), "errorMessage missing in {body}");
    message
}

/// Parses the response body as JSON.
pub fn body_json(response: &CommandResponse) -> Value {
    let body = response.body.as_deref().unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|error| panic!("body {body:?} is not JSON: {error}"))
}

/// Polls until `condition` holds. `goal` names the condition in the
/// panic message.
pub async fn wait_until(goal: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{goal} not reached within {WAIT:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Keep-alive and period settings under which a few pings seen by the peer
/// span more than one periodic pass of the connection manager.
pub const FAST_KEEP_ALIVE: [(&str, &str); 2] = [
    ("keepAlive.scheduledRate", "1"),
    ("connectionInfo.period", "2"),
];

/// Pings the peer must see to know that a periodic pass has gone by.
pub const PINGS_PER_PASS: u64 = 3;
