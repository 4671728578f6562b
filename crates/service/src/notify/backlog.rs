//! Outbox backlog per group: the number of items not yet acknowledged and
//! the age of the oldest one, for status output and the metrics
//! `nbwss_notification_backlog` and `nbwss_notification_oldest_pending_seconds`.
//!
//! Values are read from the store when asked for; the gauges are refreshed
//! after each enqueue and acknowledgement and every
//! `notification.scheduledRate` by the supervisor, so the age gauge lags by
//! at most that period.

use std::time::{SystemTime, UNIX_EPOCH};

use nbwss_store::{Store, StoreError};
use serde::Serialize;

use super::Shared;
use crate::metrics::metrics;

/// One group's outbox backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupBacklog {
    /// The group.
    pub group: String,
    /// Items not yet acknowledged.
    pub pending: u64,
    /// Age of the oldest pending item, in whole seconds; `None` when the
    /// outbox is empty.
    pub oldest_age_seconds: Option<u64>,
}

const BACKLOG: &str = "nbwss_notification_backlog";
const BACKLOG_HELP: &str = "Notification items waiting for acknowledgement, per group.";
const OLDEST: &str = "nbwss_notification_oldest_pending_seconds";
const OLDEST_HELP: &str =
    "Age of the oldest unacknowledged notification item, per group; 0 when none.";

/// Reads the backlog of `group` from `store`.
pub(crate) fn read(store: &Store, group: &str) -> Result<GroupBacklog, StoreError> {
    let pending = store.backlog(group)?;
    let oldest = store.oldest_enqueued_at(group)?;
    let oldest_age_seconds = oldest.map(|enqueued_at| {
        let age_millis = now_millis().saturating_sub(enqueued_at).max(0);
        u64::try_from(age_millis / 1000).unwrap_or(0)
    });
    Ok(GroupBacklog {
        group: group.to_owned(),
        pending,
        oldest_age_seconds,
    })
}

/// Returns the backlog of every group that has an activated endpoint or
/// stored items, in name order, and refreshes their gauges.
pub(crate) fn all_groups(shared: &Shared) -> Vec<GroupBacklog> {
    let mut groups = shared.activated_groups();
    match shared.store().groups_with_backlog() {
        Ok(with_items) => groups.extend(with_items),
        Err(error) => {
            tracing::warn!(error = %error, "failed to list groups with notification backlog")
        }
    }
    groups.sort();
    groups.dedup();
    groups
        .iter()
        .filter_map(|group| read_and_publish(shared.store(), group))
        .collect()
}

/// Refreshes the gauges of one group.
pub(crate) fn publish_group(shared: &Shared, group: &str) {
    let _ = read_and_publish(shared.store(), group);
}

fn read_and_publish(store: &Store, group: &str) -> Option<GroupBacklog> {
    match read(store, group) {
        Ok(backlog) => {
            publish(&backlog);
            Some(backlog)
        }
        Err(error) => {
            tracing::warn!(%group, error = %error, "failed to read notification backlog");
            None
        }
    }
}

fn publish(backlog: &GroupBacklog) {
    let labels = [("group", backlog.group.as_str())];
    metrics().set(BACKLOG, BACKLOG_HELP, &labels, backlog.pending as f64);
    let age = backlog.oldest_age_seconds.unwrap_or(0);
    metrics().set(OLDEST, OLDEST_HELP, &labels, age as f64);
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
