//! Reconnecting without help: an endpoint that crashes and comes back on
//! the same port, and a group that fails over by priority without
//! pre-emption.

mod support;

use nbwss_service::registry::ConnectionState;
use support::harness::{
    FAST_KEEP_ALIVE, GROUP, HOST, PINGS_PER_PASS, connect, register, start_service, wait_for_state,
    wait_for_state_not, wait_until,
};
use support::peer::Peer;

/// Host name of the lower-priority endpoint in the failover test.
const BACKUP_HOST: &str = "ep2.test";

/// An endpoint in a group of its own.
const OTHER_HOST: &str = "ep3.test";
const OTHER_GROUP: &str = "group-2";

/// An endpoint killed and restarted on the same port is connected again.
#[tokio::test]
async fn reconnects_after_endpoint_restart() {
    let mut connected = connect(&[]).await;

    connected.peer.kill().await;
    wait_for_state_not(&connected.service, HOST, ConnectionState::Connected).await;
    connected.peer.restart().await;

    let again = connected.peer.next_conn().await;
    assert!(!again.connect.token.is_empty());
    wait_for_state(&connected.service, HOST, ConnectionState::Connected).await;
}

/// With the priority-0 endpoint down the group connects to priority 1; it
/// stays there when priority 0 comes back, and moves back only when the
/// priority-1 connection closes.
#[tokio::test]
async fn fails_over_by_priority_without_preemption() {
    let (service, _dir) = start_service(&FAST_KEEP_ALIVE).await;
    let mut primary = Peer::start().await;
    let mut backup = Peer::start().await;
    primary.kill().await;
    register(&service, &primary, HOST, GROUP, 0);
    register(&service, &backup, BACKUP_HOST, GROUP, 1);

    let mut on_backup = backup.next_conn().await;
    wait_for_state(&service, BACKUP_HOST, ConnectionState::Connected).await;

    primary.restart().await;
    // Pings on the backup connection show that the service went through
    // more than one periodic pass since the primary came back.
    let pings = on_backup.status().pings;
    on_backup.wait_for_pings(pings + PINGS_PER_PASS).await;
    assert!(!primary.has_pending_conn(), "pre-empted to the primary");
    let session = service.sessions.current(GROUP).expect("group connected");
    assert_eq!(session.host, BACKUP_HOST);

    on_backup.close(1000);

    let _on_primary = primary.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    wait_until("the group's session is on the primary", || {
        service
            .sessions
            .current(GROUP)
            .is_some_and(|session| session.host == HOST)
    })
    .await;
}

/// Each group gets one connection, to its highest-priority endpoint, and
/// the other endpoint of a group gets none.
#[tokio::test]
async fn connects_once_per_group() {
    let (service, _dir) = start_service(&FAST_KEEP_ALIVE).await;
    let mut primary = Peer::start().await;
    let backup = Peer::start().await;
    let mut other_group = Peer::start().await;
    register(&service, &primary, HOST, GROUP, 0);
    register(&service, &backup, BACKUP_HOST, GROUP, 1);
    register(&service, &other_group, OTHER_HOST, OTHER_GROUP, 0);

    let mut on_primary = primary.next_conn().await;
    let _on_other = other_group.next_conn().await;
    wait_for_state(&service, HOST, ConnectionState::Connected).await;
    wait_for_state(&service, OTHER_HOST, ConnectionState::Connected).await;

    on_primary.wait_for_pings(PINGS_PER_PASS).await;
    assert!(!backup.has_pending_conn(), "second connection in {GROUP}");
    assert_eq!(service.sessions.all().len(), 2);
}
