//! Ingest: notification items submitted by local scripts, such as backup
//! exit hooks, through the admin API or `nbwss notify`.
//!
//! Items are validated with the same rules the endpoint applies to a
//! NOTIFICATION REQUEST payload. They are then stored in the outbox of every
//! group that has an activated endpoint in one transaction, so either every
//! group gets the items or none does. Mapping the errors to HTTP statuses is left
//! to the admin API.

use std::sync::Arc;

use nbwss_protocol::notification::{ItemError, NotificationItem, parse_items};
use nbwss_store::StoreError;
use serde::Serialize;
use serde_json::Value;

use super::{Shared, backlog, blocking};
use crate::metrics::metrics;

/// The receipt of an accepted ingest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReceipt {
    /// Number of items stored in each group's outbox.
    pub items: usize,
    /// The groups the items were queued for, in name order.
    pub groups: Vec<String>,
}

/// The error of an ingest that stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// An item breaks the payload rules. Fix the named item and key.
    #[error("invalid notification")]
    Invalid(#[source] ItemError),
    /// A group's outbox is full. Retry after the group's endpoint has
    /// acknowledged some of its backlog.
    #[error("outbox of group \"{group}\" is full (limit {limit} items)")]
    QueueFull {
        /// The first full group.
        group: String,
        /// `notification.maxPendingPerGroup`.
        limit: u64,
    },
    /// No group has an activated endpoint, so no outbox would receive the
    /// items. Add or activate an endpoint first.
    #[error("no group has an activated endpoint")]
    NoGroups,
    /// The store failed; see the source.
    #[error("failed to store notifications")]
    Store(#[source] StoreError),
}

const REJECTED: &str = "nbwss_notification_ingest_rejected_total";
const REJECTED_HELP: &str = "Ingest calls rejected, by reason.";
const ENQUEUED: &str = "nbwss_notification_items_enqueued_total";
const ENQUEUED_HELP: &str = "Notification items stored in group outboxes, by source.";

/// Validates `items` and stores them for every activated group.
///
/// Items are stored as normalised JSON (exactly the documented keys), so
/// what is sent later does not depend on the submitter's key order.
/// The largest item accepted, in bytes of JSON, so that every item fits in
/// a NOTIFICATION REQUEST under the endpoints' 2 MiB inbound limit.
pub const MAX_ITEM_BYTES: usize = 1024 * 1024;

pub(super) async fn ingest(
    shared: &Arc<Shared>,
    items: Value,
) -> Result<IngestReceipt, IngestError> {
    let parsed = parse_items(&items).map_err(|error| {
        reject("invalid");
        IngestError::Invalid(error)
    })?;
    let values: Vec<Value> = parsed.iter().map(NotificationItem::to_value).collect();
    if let Some((index, size)) = values
        .iter()
        .map(|value| value.to_string().len())
        .enumerate()
        .find(|(_, size)| *size > MAX_ITEM_BYTES)
    {
        reject("too_large");
        return Err(IngestError::Invalid(ItemError {
            index,
            key: "item".to_owned(),
            problem: format!(
                "is {size} bytes of JSON; at most {MAX_ITEM_BYTES} bytes fit in one notification"
            ),
        }));
    }
    let groups = shared.activated_groups();
    if groups.is_empty() {
        reject("no_groups");
        return Err(IngestError::NoGroups);
    }

    let max_pending = shared.settings.max_pending;
    let stored_groups = groups.clone();
    let result = blocking(shared.store(), move |store| {
        store.enqueue_all(&stored_groups, &values, max_pending)
    })
    .await;
    match result {
        Ok(_) => {}
        Err(StoreError::QueueFull { group, limit }) => {
            reject("queue_full");
            return Err(IngestError::QueueFull { group, limit });
        }
        Err(error) => {
            reject("store");
            return Err(IngestError::Store(error));
        }
    }

    count_enqueued("ingest", parsed.len() * groups.len());
    for group in &groups {
        shared.wakers.wake(group);
        backlog::publish_group(shared, group);
    }
    tracing::debug!(
        items = parsed.len(),
        groups = groups.len(),
        "notifications ingested"
    );
    Ok(IngestReceipt {
        items: parsed.len(),
        groups,
    })
}

/// Counts items stored in outboxes, summed over groups.
pub(super) fn count_enqueued(source: &str, count: usize) {
    metrics().increment(ENQUEUED, ENQUEUED_HELP, &[("source", source)], count as u64);
}

fn reject(reason: &str) {
    metrics().increment(REJECTED, REJECTED_HELP, &[("reason", reason)], 1);
}
