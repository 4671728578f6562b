//! The CONNECT exchange and the administrative state of an endpoint, seen
//! from a real TLS WebSocket peer: the token arrives verbatim, a rejected
//! token closes with 1008, and deactivating, removing and activating apply
//! at once.
//!
//! The tests that check "at once" raise `connectionInfo.period` to an hour,
//! so the periodic pass cannot be what applies the change within the wait
//! bound.

mod support;

use nbwss_protocol::details::EndpointDetails;
use nbwss_protocol::{ErrorCode, Method};
use nbwss_service::registry::ConnectionState;
use support::WAIT;
use support::harness::{
    self, GROUP, HOST, SERVER_NAME, assert_service_error, register, request, start_service,
    token_for, wait_for_live, wait_for_state,
};
use support::peer::{Answer, Peer};
use support::upstream::Upstream;

/// No periodic pass within any test's wait bound.
const SLOW_PERIOD: [(&str, &str); 1] = [("connectionInfo.period", "3600")];

/// The peer receives the registered token verbatim and the endpoint is
/// reported connected.
#[tokio::test]
async fn connect_sends_token_verbatim() {
    let (service, _dir) = start_service(&[]).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);

    let conn = peer.next_conn().await;
    assert_eq!(conn.connect.token, token_for(HOST));
    assert_eq!(conn.connect.server_name.as_deref(), Some(SERVER_NAME));

    let live = wait_for_state(&service, HOST, ConnectionState::Connected).await;
    assert_eq!(live.last_error, None);
}

/// The connected session is published for the notification pipeline.
#[tokio::test]
async fn connect_publishes_session() {
    let (service, _dir) = start_service(&[]).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let _conn = peer.next_conn().await;
    let live = wait_for_state(&service, HOST, ConnectionState::Connected).await;

    let session = service
        .sessions
        .current(GROUP)
        .expect("group has a session");
    assert_eq!(session.host, HOST);
    assert_eq!(Some(session.conn_id), live.conn_id);
}

/// `valid: false` makes the service close with 1008 and record the
/// endpoint as rejected.
#[tokio::test]
async fn rejected_token_closes_with_1008() {
    let (service, _dir) = start_service(&[]).await;
    let mut peer = Peer::start().await;
    peer.set_answer(Answer::Reject);
    register(&service, &peer, HOST, GROUP, 0);

    let mut conn = peer.next_conn().await;
    assert_eq!(conn.closed().await, Some(1008));
    let live = wait_for_state(&service, HOST, ConnectionState::Rejected).await;
    let error = live.last_error.unwrap_or_default();
    assert!(error.contains("rejected the token"), "{error}");
    assert!(!error.contains(&token_for(HOST)), "{error}");
}

/// A COMMAND sent before the CONNECT RESPONSE gets 409 NOT_CONNECTED, and
/// commands work once the peer sends its CONNECT RESPONSE.
#[tokio::test]
async fn command_before_connect_is_not_connected() {
    let upstream = Upstream::start().await;
    let (url, ca_file) = (upstream.url(), upstream.ca_file());
    let (service, _dir) = start_service(&[
        ("command.upstreamUrl", &url),
        ("command.upstreamCaFile", &ca_file),
    ])
    .await;
    let mut peer = Peer::start().await;
    peer.set_answer(Answer::Silent);
    register(&service, &peer, HOST, GROUP, 0);
    let mut conn = peer.next_conn().await;

    let early = conn.call(request(Method::Get, "/netbackup/echo")).await;
    assert_service_error(&early, ErrorCode::NotConnected);

    conn.answer_connect(true);
    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    let later = conn.call(request(Method::Get, "/netbackup/echo")).await;
    assert_eq!(later.status_code, 200);
}

/// Deactivating closes the live connection with 1000 at once.
#[tokio::test]
async fn deactivating_closes_with_1000() {
    let (service, _dir) = start_service(&SLOW_PERIOD).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let mut conn = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;

    service
        .registry
        .set_activated(HOST, false)
        .expect("deactivated");

    assert_eq!(conn.closed().await, Some(1000));
    wait_for_state(&service, HOST, ConnectionState::Disconnected).await;
    assert!(service.sessions.current(GROUP).is_none());
}

/// Removing closes the live connection with 1000 at once.
#[tokio::test]
async fn removing_closes_with_1000() {
    let (service, _dir) = start_service(&SLOW_PERIOD).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let mut conn = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;

    service.registry.remove(HOST).expect("removed");

    assert_eq!(conn.closed().await, Some(1000));
    harness::wait_until("session withdrawn", || {
        service.sessions.current(GROUP).is_none()
    })
    .await;
}

/// Activating a deactivated endpoint connects at once.
#[tokio::test]
async fn activating_connects_at_once() {
    let (service, _dir) = start_service(&SLOW_PERIOD).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let mut first = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    service
        .registry
        .set_activated(HOST, false)
        .expect("deactivated");
    assert_eq!(first.closed().await, Some(1000));

    service
        .registry
        .set_activated(HOST, true)
        .expect("activated");

    let second = peer.next_conn().await;
    assert_eq!(second.connect.token, token_for(HOST));
    wait_for_state(&service, HOST, ConnectionState::Connected).await;
}

/// Stopping the service closes the connection with 1000.
#[tokio::test]
async fn stopping_closes_with_1000() {
    let (service, _dir) = start_service(&[]).await;
    let mut peer = Peer::start().await;
    register(&service, &peer, HOST, GROUP, 0);
    let mut conn = peer.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;

    service.stop().await;

    assert_eq!(conn.closed().await, Some(1000));
}

/// A peer that never sends a CONNECT RESPONSE is closed with 1008 once
/// `connect.responseTimeout` expires, and the service tries again.
#[tokio::test]
async fn unanswered_connect_times_out_with_1008() {
    let (service, _dir) = start_service(&[("connect.responseTimeout", "1")]).await;
    let mut peer = Peer::start().await;
    peer.set_answer(Answer::Silent);
    register(&service, &peer, HOST, GROUP, 0);

    let mut conn = peer.next_conn().await;
    assert_eq!(conn.closed().await, Some(1008));

    let _again = peer.next_conn().await;
    let live = service.registry.live(HOST);
    assert_ne!(live.state, ConnectionState::Connected);
}

/// A certificate that does not match the pin fails TLS, so the token is
/// never sent, and the mismatch is the last error.
#[tokio::test]
async fn pin_mismatch_sends_no_token() {
    let (service, _dir) = start_service(&[]).await;
    let peer = Peer::start().await;
    let other = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()])
        .expect("second self-signed certificate");
    let details = EndpointDetails {
        host_name: HOST.to_owned(),
        url: peer.url(),
        group_id: GROUP.to_owned(),
        priority: 0,
        token: token_for(HOST),
    };
    service
        .registry
        .add(details, Some(other.fingerprint))
        .expect("endpoint registered");

    let live = wait_for_live(&service, HOST, "a failed attempt", |live| {
        live.state == ConnectionState::Disconnected && live.last_error.is_some()
    })
    .await;

    let error = live.last_error.unwrap_or_default();
    assert!(
        error.contains("does not match the pinned fingerprint"),
        "{error}"
    );
    assert!(!peer.has_pending_conn(), "a CONNECT reached the peer");
}

/// Stopping the service while it waits for a CONNECT RESPONSE does not
/// wait for `connect.responseTimeout`.
#[tokio::test]
async fn stop_during_connect_is_prompt() {
    let (service, _dir) = start_service(&[("connect.responseTimeout", "600")]).await;
    let mut peer = Peer::start().await;
    peer.set_answer(Answer::Silent);
    register(&service, &peer, HOST, GROUP, 0);
    let _conn = peer.next_conn().await;

    let stopped = tokio::time::timeout(WAIT, service.stop()).await;

    assert!(stopped.is_ok(), "stop still waiting after {WAIT:?}");
}

/// An endpoint deactivated while the service waits for its CONNECT
/// RESPONSE is closed with 1000 once the exchange completes.
#[tokio::test]
async fn deactivating_during_connect_closes_with_1000() {
    let (service, _dir) = start_service(&SLOW_PERIOD).await;
    let mut peer = Peer::start().await;
    peer.set_answer(Answer::Silent);
    register(&service, &peer, HOST, GROUP, 0);
    let mut conn = peer.next_conn().await;

    service
        .registry
        .set_activated(HOST, false)
        .expect("deactivated");
    conn.answer_connect(true);

    assert_eq!(conn.closed().await, Some(1000));
}
