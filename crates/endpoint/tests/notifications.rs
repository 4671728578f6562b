//! NOTIFICATION REQUESTs: delivery to the application, acknowledgement
//! after handling, and resends with the same id.

mod common;

use common::{job_item, start, within};
use nbwss_endpoint::EndpointConfig;
use nbwss_protocol::{Body, CommandRequest, Method};

/// The acknowledgement is sent only when the application acks, and a
/// resend of the same id is acknowledged again without a second delivery.
#[tokio::test]
async fn ack_follows_handler_and_resend_is_not_redelivered() {
    let mut test = start(EndpointConfig::default()).await;
    let mut notifications = test.server.notifications().unwrap();
    let (mut client, server) = test.connect().await;

    client.notify("NOTE-1", 144).await;
    let received = within(notifications.recv()).await.unwrap();
    assert_eq!(received.id, "NOTE-1");
    assert_eq!(received.items, vec![job_item(144)]);
    assert_eq!(received.server.id(), server.id());

    // Nothing may reach the client before the ack, so a call made now must
    // be the next message it receives.
    let call = tokio::spawn({
        let server = server.clone();
        async move {
            server
                .call(CommandRequest::new(Method::Get, "/netbackup/x"))
                .await
        }
    });
    let (call_id, _) = client.recv_command().await;
    client.respond(&call_id, 200, "").await;
    within(call).await.unwrap().unwrap();

    received.ack().unwrap();
    let ack = client.recv().await;
    assert_eq!(ack.id, "NOTE-1");
    assert_eq!(ack.body, Body::NotificationResponse);

    client.notify("NOTE-1", 144).await;
    let again = client.recv().await;
    assert_eq!(again.id, "NOTE-1");
    assert_eq!(again.body, Body::NotificationResponse);
    assert!(notifications.try_recv().is_none());
}

/// A notification dropped without ack is delivered again on resend.
#[tokio::test]
async fn unacknowledged_notification_is_redelivered() {
    let mut test = start(EndpointConfig::default()).await;
    let mut notifications = test.server.notifications().unwrap();
    let (mut client, _server) = test.connect().await;

    client.notify("NOTE-2", 7).await;
    let first = within(notifications.recv()).await.unwrap();
    drop(first);
    client.notify("NOTE-2", 7).await;
    let second = within(notifications.recv()).await.unwrap();
    assert_eq!(second.id, "NOTE-2");
    second.ack().unwrap();
    let ack = client.recv().await;
    assert_eq!(ack.id, "NOTE-2");
}

/// A resend that arrives while the application still has the first
/// delivery is neither delivered nor acknowledged until the ack.
#[tokio::test]
async fn resend_while_in_progress_waits_for_ack() {
    let mut test = start(EndpointConfig::default()).await;
    let mut notifications = test.server.notifications().unwrap();
    let (mut client, _server) = test.connect().await;

    client.notify("NOTE-3", 1).await;
    let held = within(notifications.recv()).await.unwrap();
    client.notify("NOTE-3", 1).await;
    // A second notification shows that the resend before it was processed.
    client.notify("NOTE-4", 2).await;
    let next = within(notifications.recv()).await.unwrap();
    assert_eq!(next.id, "NOTE-4");

    held.ack().unwrap();
    let ack = client.recv().await;
    assert_eq!(ack.id, "NOTE-3");
    next.ack().unwrap();
    let ack = client.recv().await;
    assert_eq!(ack.id, "NOTE-4");
}

/// Acknowledging after the connection closed reports it.
#[tokio::test]
async fn ack_after_close_fails() {
    let mut test = start(EndpointConfig::default()).await;
    let mut notifications = test.server.notifications().unwrap();
    let (mut client, _server) = test.connect().await;
    client.notify("NOTE-5", 5).await;
    let received = within(notifications.recv()).await.unwrap();
    drop(client);
    test.next_disconnected().await;
    assert_eq!(
        received.ack(),
        Err(nbwss_endpoint::AckError::ConnectionClosed)
    );
}

/// The notification stream can be taken only once.
#[tokio::test]
async fn notification_stream_taken_once() {
    let test = start(EndpointConfig::default()).await;
    assert!(test.server.notifications().is_some());
    assert!(test.server.notifications().is_none());
}

/// A notification that finds the queue full is left unacknowledged and
/// delivered on its resend.
#[tokio::test]
async fn full_queue_leaves_notification_for_resend() {
    let config = EndpointConfig {
        notification_queue: 1,
        ..EndpointConfig::default()
    };
    let mut test = start(config).await;
    let mut notifications = test.server.notifications().unwrap();
    let (mut client, server) = test.connect().await;

    client.notify("FULL-1", 1).await;
    client.notify("FULL-2", 2).await;
    // The reader handles messages in order, so once the call's response is
    // read, FULL-2 has met the full queue.
    let call = tokio::spawn(async move {
        server
            .call(CommandRequest::new(Method::Get, "/netbackup/x"))
            .await
    });
    let (call_id, _) = client.recv_command().await;
    client.respond(&call_id, 200, "").await;
    within(call).await.unwrap().unwrap();

    let first = within(notifications.recv()).await.unwrap();
    assert_eq!(first.id, "FULL-1");
    assert!(notifications.try_recv().is_none());
    first.ack().unwrap();
    assert_eq!(client.recv().await.id, "FULL-1");

    client.notify("FULL-2", 2).await;
    let resent = within(notifications.recv()).await.unwrap();
    assert_eq!(resent.id, "FULL-2");
}
