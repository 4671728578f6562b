//! Notification delivery from a real service to a real WebSocket endpoint
//! peer over TLS on 127.0.0.1: order, resends with the same id, duplicate
//! and unknown acknowledgements, and a full outbox.

mod notify_support;

use std::collections::HashSet;

use nbwss_service::notify::IngestError;
use notify_support::{
    AckPolicy, Peer, config, job_item, job_records, pending, start_service, wait_until,
};
use serde_json::Value;
use tempfile::TempDir;

const GROUP: &str = "group-a";

/// Items ingested while the endpoint is down all arrive, once each and in
/// order, after it comes up, and every batch is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_backlog_in_order_after_endpoint_comes_up() {
    const ITEMS: i64 = 10_000;
    const PER_CALL: i64 = 1_000;
    let dir = TempDir::new().expect("temp dir");
    let mut peer = Peer::start(AckPolicy::Ack, false).await;
    let service = start_service(config(&[]), dir.path()).await;
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");

    for first in (0..ITEMS).step_by(PER_CALL as usize) {
        let items: Vec<Value> = (first..first + PER_CALL).map(job_item).collect();
        let receipt = service
            .notifier()
            .ingest(Value::Array(items))
            .await
            .expect("ingest accepted");
        assert_eq!(receipt.groups, vec![GROUP.to_owned()]);
    }
    assert_eq!(pending(&service, GROUP), ITEMS as u64);

    peer.set_up(true);
    let mut seen_ids = HashSet::new();
    let mut job_ids = Vec::new();
    while job_ids.len() < ITEMS as usize {
        let request = peer.next_request().await;
        // A resend after a slow acknowledgement repeats an id; the endpoint
        // drops it, and so does this check.
        if seen_ids.insert(request.id.clone()) {
            job_ids.extend(job_records(&request.items).iter().map(|r| r.job_id));
        }
    }
    let expected: Vec<i64> = (0..ITEMS).collect();
    assert_eq!(job_ids, expected);
    wait_until("every batch is acknowledged", || {
        pending(&service, GROUP) == 0
    })
    .await;
    service.stop().await;
}

/// An endpoint that never acknowledges gets the same request again, with
/// the same id and items, after notification.scheduledRate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_unacknowledged_request_with_same_id() {
    let dir = TempDir::new().expect("temp dir");
    let mut peer = Peer::start(AckPolicy::Ignore, true).await;
    let service = start_service(config(&[("notification.scheduledRate", "1")]), dir.path()).await;
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");
    service
        .notifier()
        .ingest(Value::Array(vec![job_item(7)]))
        .await
        .expect("ingest accepted");

    let first = peer.next_request().await;
    let second = peer.next_request().await;
    assert_eq!(second.id, first.id);
    assert_eq!(second.items, first.items);
    assert!(
        first.id.chars().all(|c| !c.is_ascii_lowercase()),
        "id {:?} is not upper case",
        first.id
    );
    assert_eq!(pending(&service, GROUP), 1);
    service.stop().await;
}

/// Acknowledging twice and acknowledging an unknown id complete the batch
/// once and leave delivery running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignores_duplicate_and_unknown_acknowledgements() {
    let dir = TempDir::new().expect("temp dir");
    let mut peer = Peer::start(AckPolicy::AckUnknownAndTwice, true).await;
    // A long resend interval, so that every request seen is a first send.
    let service = start_service(config(&[("notification.scheduledRate", "600")]), dir.path()).await;
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");

    let notifier = service.notifier();
    notifier
        .ingest(Value::Array(vec![job_item(1)]))
        .await
        .expect("first ingest accepted");
    let first = peer.next_request().await;
    wait_until("the first batch is acknowledged", || {
        pending(&service, GROUP) == 0
    })
    .await;

    notifier
        .ingest(Value::Array(vec![job_item(2)]))
        .await
        .expect("second ingest accepted");
    let second = peer.next_request().await;
    assert_ne!(second.id, first.id);
    let second_jobs: Vec<i64> = job_records(&second.items)
        .iter()
        .map(|r| r.job_id)
        .collect();
    assert_eq!(second_jobs, vec![2]);
    wait_until("the second batch is acknowledged", || {
        pending(&service, GROUP) == 0
    })
    .await;
    service.stop().await;
}

/// When the connected endpoint goes away unacknowledged, the other
/// endpoint of the group gets the same request id first, then the rest in
/// order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_over_with_same_id_and_order() {
    let dir = TempDir::new().expect("temp dir");
    let mut first_peer = Peer::start(AckPolicy::Ignore, true).await;
    let mut second_peer = Peer::start(AckPolicy::Ack, true).await;
    let service = start_service(config(&[("notification.maxBatch", "2")]), dir.path()).await;
    service
        .registry
        .add(
            first_peer.details_with_priority("endpoint-a.test", GROUP, 0),
            Some(first_peer.pin),
        )
        .expect("register first endpoint");
    let notifier = service.notifier();
    let items: Vec<Value> = (0..5).map(job_item).collect();
    notifier
        .ingest(Value::Array(items))
        .await
        .expect("ingest accepted");
    let unacknowledged = first_peer.next_request().await;

    service
        .registry
        .add(
            second_peer.details_with_priority("endpoint-b.test", GROUP, 1),
            Some(second_peer.pin),
        )
        .expect("register second endpoint");
    first_peer.set_up(false);

    let resent = second_peer.next_request().await;
    assert_eq!(resent.id, unacknowledged.id);
    let mut job_ids: Vec<i64> = job_records(&resent.items)
        .iter()
        .map(|r| r.job_id)
        .collect();
    let mut seen_ids = HashSet::from([resent.id]);
    while job_ids.len() < 5 {
        let request = second_peer.next_request().await;
        if seen_ids.insert(request.id.clone()) {
            job_ids.extend(job_records(&request.items).iter().map(|r| r.job_id));
        }
    }
    assert_eq!(job_ids, vec![0, 1, 2, 3, 4]);
    wait_until("every batch is acknowledged", || {
        pending(&service, GROUP) == 0
    })
    .await;
    service.stop().await;
}

/// A full outbox rejects ingest naming the group and limit, and accepts
/// again once the endpoint has acknowledged the backlog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_ingest_while_outbox_full() {
    let dir = TempDir::new().expect("temp dir");
    let mut peer = Peer::start(AckPolicy::Ignore, true).await;
    let service = start_service(
        config(&[
            ("notification.scheduledRate", "1"),
            ("notification.maxPendingPerGroup", "3"),
        ]),
        dir.path(),
    )
    .await;
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");
    let notifier = service.notifier();
    let items: Vec<Value> = (0..3).map(job_item).collect();
    notifier
        .ingest(Value::Array(items))
        .await
        .expect("ingest up to the limit accepted");

    let error = notifier
        .ingest(Value::Array(vec![job_item(3)]))
        .await
        .expect_err("ingest past the limit rejected");
    match error {
        IngestError::QueueFull { group, limit } => {
            assert_eq!(group, GROUP);
            assert_eq!(limit, 3);
        }
        other => panic!("expected QueueFull, got {other:?}"),
    }

    let _ = peer.next_request().await;
    peer.set_policy(AckPolicy::Ack);
    wait_until("the backlog is acknowledged", || {
        pending(&service, GROUP) == 0
    })
    .await;
    let receipt = notifier
        .ingest(Value::Array(vec![job_item(3)]))
        .await
        .expect("ingest accepted after delivery resumed");
    assert_eq!(receipt.items, 1);
    service.stop().await;
}

/// Ingest without an activated endpoint stores nothing and returns NoGroups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_ingest_without_activated_group() {
    let dir = TempDir::new().expect("temp dir");
    let service = start_service(config(&[]), dir.path()).await;
    let error = service
        .notifier()
        .ingest(Value::Array(vec![job_item(1)]))
        .await
        .expect_err("no group to deliver to");
    assert!(matches!(error, IngestError::NoGroups), "{error:?}");
    service.stop().await;
}

/// An invalid item is rejected with its index and key, and nothing is
/// stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_invalid_item_naming_index_and_key() {
    let dir = TempDir::new().expect("temp dir");
    let peer = Peer::start(AckPolicy::Ignore, false).await;
    let service = start_service(config(&[]), dir.path()).await;
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");
    let mut bad = job_item(2);
    bad["data"][0]["state"] = Value::from("FINISHED");
    let error = service
        .notifier()
        .ingest(Value::Array(vec![job_item(1), bad]))
        .await
        .expect_err("invalid item rejected");
    match error {
        IngestError::Invalid(item) => {
            assert_eq!(item.index, 1);
            assert_eq!(item.key, "data[0].state");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(pending(&service, GROUP), 0);
    service.stop().await;
}
