//! Crash safety of notification delivery: `nbwss serve` is killed with
//! SIGKILL while a batch waits for its acknowledgement, then started again
//! on the same data directory. The endpoint is the real endpoint library
//! over TLS on 127.0.0.1.

mod notify_support;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use nbwss_endpoint::{EndpointConfig, EndpointServer, Notifications, ReceivedNotification};
use nbwss_protocol::notification::Records;
use notify_support::{Install, TOKEN, WAIT, job_item, stderr};
use serde_json::Value;

const GROUP: &str = "group-a";
const ITEMS: i64 = 2_000;
const PER_CALL: i64 = 500;
const MAX_BATCH: usize = 50;
/// The batch that the endpoint leaves unacknowledged when the service is
/// killed. The batches before it are acknowledged.
const HELD_BATCH: usize = 5;

/// One NOTIFICATION REQUEST as the endpoint application saw it.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    job_ids: Vec<i64>,
}

fn seen(notification: &ReceivedNotification) -> Seen {
    let job_ids = notification
        .items
        .iter()
        .flat_map(|item| match &item.records {
            Records::Jobs(records) => records.iter().map(|r| r.job_id).collect(),
            Records::Images(_) => Vec::new(),
        })
        .collect();
    Seen {
        id: notification.id.clone(),
        job_ids,
    }
}

async fn next(notifications: &mut Notifications) -> ReceivedNotification {
    tokio::time::timeout(WAIT, notifications.recv())
        .await
        .expect("a notification within the wait bound")
        .expect("endpoint still running")
}

/// Runs `nbwss notify --file` with jobs `first..first + PER_CALL`.
async fn ingest(install: &Install, first: i64) {
    let items: Vec<Value> = (first..first + PER_CALL).map(job_item).collect();
    let path = install.items_file(&format!("items-{first}.json"), &items);
    let config_dir = install.config_dir.clone();
    let data_dir = install.data_dir.clone();
    let output = tokio::process::Command::new(notify_support::binary())
        .arg("notify")
        .arg("--config-dir")
        .arg(config_dir)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--file")
        .arg(path)
        .output()
        .await
        .expect("run nbwss notify");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Every item acknowledged at ingest is delivered at least once after a
/// SIGKILL and restart. A repeat only resends a batch with its id and items
/// unchanged, and the batch held at the crash is resent after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_every_ingested_item_after_kill() {
    nbwss_tls::install_default_provider();
    let install = Install::new();
    let cert = nbwss_tls::generate_self_signed(&["localhost".to_owned()]).expect("certificate");
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config");
    let tokens: HashSet<String> = [TOKEN.to_owned()].into();
    let config = EndpointConfig {
        path: Some("/nbwss".to_owned()),
        ..EndpointConfig::default()
    };
    let endpoint = EndpointServer::bind(
        "127.0.0.1:0".parse().expect("address"),
        Arc::clone(&tls),
        tokens,
        config,
    )
    .await
    .expect("bind endpoint");
    let mut notifications = endpoint.notifications().expect("notification stream");
    install.register(
        "endpoint-a.test",
        GROUP,
        endpoint.local_addr().port(),
        &cert.fingerprint,
    );

    let batch = MAX_BATCH.to_string();
    let properties = [
        ("notification.maxBatch", batch.as_str()),
        ("notification.scheduledRate", "1"),
    ];
    let mut serve = install.serve(&properties, 1);
    ingest(&install, 0).await;

    // Acknowledge the first batches, then hold one unacknowledged.
    let mut history = Vec::new();
    for _ in 1..HELD_BATCH {
        let notification = next(&mut notifications).await;
        history.push(seen(&notification));
        notification.ack().expect("acknowledge");
    }
    let held = next(&mut notifications).await;
    history.push(seen(&held));
    let held_id = held.id.clone();
    for first in (PER_CALL..ITEMS).step_by(PER_CALL as usize) {
        ingest(&install, first).await;
    }
    serve.kill();
    drop(held);

    let restart = history.len();
    let _serve = install.serve(&properties, 2);
    let mut delivered = HashSet::new();
    for entry in &history[..restart - 1] {
        delivered.extend(entry.job_ids.iter().copied());
    }
    while delivered.len() < ITEMS as usize {
        let notification = next(&mut notifications).await;
        let entry = seen(&notification);
        delivered.extend(entry.job_ids.iter().copied());
        history.push(entry);
        notification.ack().expect("acknowledge");
    }

    let after_restart: Vec<&str> = history[restart..].iter().map(|s| s.id.as_str()).collect();
    assert!(
        after_restart.contains(&held_id.as_str()),
        "held batch {held_id} was not resent after the restart"
    );
    let mut items_by_id: BTreeMap<&str, &Vec<i64>> = BTreeMap::new();
    let mut in_order = Vec::new();
    for entry in &history {
        match items_by_id.get(entry.id.as_str()) {
            Some(first_seen) => assert_eq!(
                *first_seen, &entry.job_ids,
                "batch {} was resent with other items",
                entry.id
            ),
            None => {
                items_by_id.insert(&entry.id, &entry.job_ids);
                in_order.extend(entry.job_ids.iter().copied());
            }
        }
    }
    let expected: Vec<i64> = (0..ITEMS).collect();
    assert_eq!(
        in_order, expected,
        "distinct batches must carry each item once, in order"
    );
}
