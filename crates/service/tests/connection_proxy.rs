//! Connecting through an HTTP CONNECT proxy set with `connection.proxy`,
//! with and without Basic credentials, and the error a 407 leaves in the
//! live state.
//!
//! `NO_PROXY` in the environment still applies with the property set: if
//! it lists 127.0.0.1 these tests fail, because the service dials the peer
//! directly and the proxy counts no tunnel.

mod support;

use nbwss_service::registry::ConnectionState;
use support::harness::{
    GROUP, HOST, register, start_service, wait_for_live, wait_for_state, wait_until,
};
use support::peer::Peer;
use support::proxy::Proxy;

const USER: &str = "nbwss";
const PASSWORD: &str = "pr0xy-pass";

/// Hint for a failure caused by the environment rather than the code.
const NO_PROXY_HINT: &str = "no tunnel: does NO_PROXY in the environment list 127.0.0.1?";

/// The service reaches the endpoint through a proxy that needs no
/// credentials.
#[tokio::test]
async fn connects_through_proxy() {
    let proxy = Proxy::start(None).await;
    let (service, _dir) = start_service(&[("connection.proxy", &proxy.url(None))]).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);

    let _conn = peer.next_conn().await;

    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    assert_eq!(proxy.tunnels(), 1, "{NO_PROXY_HINT}");
}

/// The service sends the proxy's Basic credentials and gets through.
#[tokio::test]
async fn connects_through_proxy_with_credentials() {
    let credentials = Some((USER, PASSWORD));
    let proxy = Proxy::start(credentials).await;
    let (service, _dir) = start_service(&[("connection.proxy", &proxy.url(credentials))]).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);

    let _conn = peer.next_conn().await;

    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    assert_eq!(proxy.tunnels(), 1, "{NO_PROXY_HINT}");
    assert_eq!(proxy.auth_required(), 0);
}

/// Wrong credentials leave "proxy authentication required" as the last
/// error, without the password, and no connection reaches the endpoint.
#[tokio::test]
async fn wrong_proxy_credentials_need_authentication() {
    let proxy = Proxy::start(Some((USER, PASSWORD))).await;
    let wrong = proxy.url(Some((USER, "wrong-pass")));
    let (service, _dir) = start_service(&[("connection.proxy", &wrong)]).await;
    let peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);

    let live = wait_for_live(&service, HOST, "a failed attempt", |live| {
        live.state == ConnectionState::Disconnected && live.last_error.is_some()
    })
    .await;

    let error = live.last_error.unwrap_or_default();
    assert!(error.contains("proxy authentication required"), "{error}");
    assert!(!error.contains("wrong-pass"), "{error}");
    assert!(!peer.has_pending_conn());
}

/// Missing credentials for a proxy that needs them are reported the same
/// way.
#[tokio::test]
async fn missing_proxy_credentials_need_authentication() {
    let proxy = Proxy::start(Some((USER, PASSWORD))).await;
    let (service, _dir) = start_service(&[("connection.proxy", &proxy.url(None))]).await;
    let peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);

    wait_until("the proxy answers 407", || proxy.auth_required() > 0).await;
    let live = wait_for_live(&service, HOST, "a proxy error", |live| {
        live.last_error.is_some()
    })
    .await;

    let error = live.last_error.unwrap_or_default();
    assert!(error.contains("proxy authentication required"), "{error}");
}
