//! One group's delivery task: sends the group's outbox as NOTIFICATION
//! REQUESTs over the group's live session, one request at a time.
//!
//! Each request is a store batch. The pending batch, if any, is sent again
//! with its id. Otherwise up to `notification.maxBatch` of the oldest items
//! become a new batch, whose id is a new upper-case UUID recorded before
//! the first send. An unacknowledged request is resent with the same id every
//! `notification.scheduledRate`, and right away on a new session (a
//! reconnect or failover to another endpoint of the group). Its items are
//! deleted only when an acknowledgement with that id arrives. Since batches
//! survive restarts and a group has one queue whatever endpoint serves it,
//! order is kept per group and delivery is at least once.
//!
//! Which session carries the group is the connection manager's choice; the
//! task only watches it.

use std::sync::Arc;
use std::time::Duration;

use nbwss_protocol::notification::NotificationItem;
use nbwss_protocol::{Body, Message};
use nbwss_store::{Batch, StoreError};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{Shared, backlog, blocking};
use crate::connection::SessionHandle;
use crate::metrics::metrics;
use crate::ratelimit::LogLimiter;

const ACK_SECONDS: &str = "nbwss_notification_ack_seconds";
const ACK_SECONDS_HELP: &str =
    "Time from the latest send of a NOTIFICATION REQUEST to its acknowledgement.";
const SENT: &str = "nbwss_notification_requests_sent_total";
const SENT_HELP: &str = "NOTIFICATION REQUESTs sent, resends included, per group.";
const RESENT: &str = "nbwss_notification_resends_total";
const RESENT_HELP: &str = "NOTIFICATION REQUESTs sent again with the same id, per group.";

/// Rate limit for repeated store failure logs of one group.
const STORE_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(60);

type SessionWatch = watch::Receiver<Option<SessionHandle>>;

/// The reason that serving one session ended.
enum Outcome {
    /// The task's stop token was cancelled.
    Stopped,
    /// The session ended or was replaced.
    SessionChanged,
    /// A store call failed; retry after a pause.
    StoreFailed(StoreError),
}

/// The state of one group's task.
struct Group {
    shared: Arc<Shared>,
    name: String,
    wake: Arc<Notify>,
    stop: CancellationToken,
}

/// Runs until `stop` is cancelled.
pub(super) async fn run(shared: Arc<Shared>, name: String, stop: CancellationToken) {
    let wake = shared.wakers.get(&name);
    let mut sessions = shared.sessions.watch(&name);
    let group = Group {
        shared,
        name,
        wake,
        stop,
    };
    let mut store_errors = LogLimiter::new(STORE_ERROR_LOG_INTERVAL);
    loop {
        let Some(session) = group.wait_for_session(&mut sessions).await else {
            return;
        };
        match group.serve(&session, &mut sessions).await {
            Outcome::Stopped => return,
            Outcome::SessionChanged => {}
            Outcome::StoreFailed(error) => {
                if let Some(suppressed) = store_errors.allow() {
                    warn!(group = %group.name, error = %error, suppressed, "notification delivery paused after a store failure");
                }
                if !group.pause(group.shared.settings.scheduled_rate).await {
                    return;
                }
            }
        }
    }
}

impl Group {
    /// Waits for an open session; `None` once the stop token is cancelled.
    async fn wait_for_session(&self, sessions: &mut SessionWatch) -> Option<SessionHandle> {
        tokio::select! {
            _ = self.stop.cancelled() => None,
            current = sessions.wait_for(|session| session.as_ref().is_some_and(SessionHandle::is_open)) => {
                // An error means the sender was dropped, which `Sessions`
                // never does while the service runs.
                current.ok().and_then(|session| session.clone())
            }
        }
    }

    /// Sleeps for `delay`; `false` when the stop token is cancelled first.
    async fn pause(&self, delay: Duration) -> bool {
        tokio::select! {
            _ = self.stop.cancelled() => false,
            _ = tokio::time::sleep(delay) => true,
        }
    }

    /// Delivers batches on `session` until it changes or a call fails.
    async fn serve(&self, session: &SessionHandle, sessions: &mut SessionWatch) -> Outcome {
        debug!(group = %self.name, conn_id = session.conn_id, host = %session.host, "notification delivery on session");
        loop {
            let batch = match self.next_batch().await {
                Ok(Some(batch)) => batch,
                Ok(None) => {
                    tokio::select! {
                        _ = self.stop.cancelled() => return Outcome::Stopped,
                        _ = sessions.changed() => return Outcome::SessionChanged,
                        _ = self.wake.notified() => continue,
                    }
                }
                Err(error) => return Outcome::StoreFailed(error),
            };
            let Some(items) = self.decode(&batch).await else {
                continue;
            };
            let message = Message::new(batch.id.clone(), Body::NotificationRequest(items));
            match self.deliver(session, sessions, &message).await {
                Ok(()) => {}
                Err(outcome) => return outcome,
            }
        }
    }

    /// Returns the pending batch, or begins one from the oldest items, at
    /// most `notification.maxBatch` of them and [`MAX_BATCH_BYTES`] in all;
    /// `None` when the outbox is empty.
    async fn next_batch(&self) -> Result<Option<Batch>, StoreError> {
        let group = self.name.clone();
        let max_batch = self.shared.settings.max_batch;
        blocking(self.shared.store(), move |store| {
            if let Some(batch) = store.pending_batch(&group)? {
                return Ok(Some(batch));
            }
            let items = store.peek(&group, max_batch)?;
            if items.is_empty() {
                return Ok(None);
            }
            let seqs = seqs_within(&items, MAX_BATCH_BYTES);
            let id = uuid::Uuid::new_v4().to_string().to_uppercase();
            store.begin_batch(&group, &id, &seqs).map(Some)
        })
        .await
    }

    /// Parses the batch's stored items. Items were validated before they
    /// were stored, so one that no longer parses was changed outside the
    /// service. Such an item is deleted with an error log so that it cannot
    /// block the queue, and `None` makes the caller build the batch again.
    async fn decode(&self, batch: &Batch) -> Option<Vec<NotificationItem>> {
        let mut items = Vec::with_capacity(batch.items.len());
        let mut broken = Vec::new();
        for (seq, value) in &batch.items {
            match NotificationItem::from_value(value) {
                Ok(item) => items.push(item),
                Err(error) => {
                    tracing::error!(group = %self.name, seq, error = %error, "dropping stored notification item that is not valid");
                    broken.push(*seq);
                }
            }
        }
        if broken.is_empty() {
            return Some(items);
        }
        let group = self.name.clone();
        // Deleting an item of the pending batch also drops the batch, so the
        // next round begins a new one from the remaining items.
        if let Err(error) = blocking(self.shared.store(), move |store| {
            store.acknowledge(&group, &broken)
        })
        .await
        {
            warn!(group = %self.name, error = %error, "failed to delete invalid notification items");
            let _ = self.pause(self.shared.settings.scheduled_rate).await;
        }
        None
    }

    /// Sends `message` until it is acknowledged, resending every
    /// `notification.scheduledRate`. `Err` carries why delivery on this
    /// session ended first.
    async fn deliver(
        &self,
        session: &SessionHandle,
        sessions: &mut SessionWatch,
        message: &Message,
    ) -> Result<(), Outcome> {
        let labels = [("group", self.name.as_str())];
        let mut attempt: u64 = 0;
        loop {
            attempt += 1;
            if attempt > 1 {
                metrics().increment(RESENT, RESENT_HELP, &labels, 1);
            }
            self.send(session, sessions, message, attempt).await?;
            metrics().increment(SENT, SENT_HELP, &labels, 1);
            let sent_at = Instant::now();
            let deadline = sent_at + self.shared.settings.scheduled_rate;
            if self
                .await_ack(session, sessions, &message.id, deadline)
                .await?
            {
                metrics().observe(ACK_SECONDS, ACK_SECONDS_HELP, &labels, sent_at.elapsed());
                return self.complete(&message.id).await;
            }
            debug!(group = %self.name, conn_id = session.conn_id, msg_id = %message.id, attempt, "notification not acknowledged in time; resending");
        }
    }

    /// Queues the message on the session, waiting at most
    /// `notification.sendTimeout` for room. A send that times out counts as
    /// sent: the resend timer covers it.
    async fn send(
        &self,
        session: &SessionHandle,
        sessions: &mut SessionWatch,
        message: &Message,
        attempt: u64,
    ) -> Result<(), Outcome> {
        let count = match &message.body {
            Body::NotificationRequest(items) => items.len(),
            _ => 0,
        };
        let send = tokio::time::timeout(
            self.shared.settings.send_timeout,
            session.send(message.clone()),
        );
        tokio::select! {
            _ = self.stop.cancelled() => Err(Outcome::Stopped),
            sent = send => match sent {
                Ok(Ok(())) => {
                    debug!(group = %self.name, conn_id = session.conn_id, msg_id = %message.id, items = count, attempt, "notification request sent");
                    Ok(())
                }
                Ok(Err(_closed)) => Err(self.session_gone(sessions).await),
                Err(_elapsed) => {
                    warn!(group = %self.name, conn_id = session.conn_id, msg_id = %message.id, timeout_ms = self.shared.settings.send_timeout.as_millis() as u64, "notification send timed out; will resend");
                    Ok(())
                }
            }
        }
    }

    /// Waits for the acknowledgement of `id` until `deadline`. Returns
    /// `Ok(true)` when it arrived and `Ok(false)` at the deadline.
    /// Acknowledgements of other ids (late duplicates of completed batches,
    /// or ids never sent) are dropped with a debug log.
    async fn await_ack(
        &self,
        session: &SessionHandle,
        sessions: &mut SessionWatch,
        id: &str,
        deadline: Instant,
    ) -> Result<bool, Outcome> {
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return Err(Outcome::Stopped),
                _ = sessions.changed() => return Err(Outcome::SessionChanged),
                _ = tokio::time::sleep_until(deadline) => return Ok(false),
                ack = session.next_ack() => match ack {
                    Some(ack) if ack.id == id => return Ok(true),
                    Some(ack) => {
                        debug!(group = %self.name, conn_id = ack.conn_id, msg_id = %ack.id, "ignored acknowledgement of an unknown or completed request");
                    }
                    None => return Err(self.session_gone(sessions).await),
                }
            }
        }
    }

    /// Deletes the acknowledged batch and its items.
    async fn complete(&self, id: &str) -> Result<(), Outcome> {
        let group = self.name.clone();
        let batch_id = id.to_owned();
        let completed = blocking(self.shared.store(), move |store| {
            store.complete_batch(&group, &batch_id)
        })
        .await
        .map_err(Outcome::StoreFailed)?;
        if !completed {
            debug!(group = %self.name, msg_id = %id, "acknowledged batch was no longer pending");
        }
        backlog::publish_group(&self.shared, &self.name);
        Ok(())
    }

    /// Waits until the watch reports the ended session's replacement or
    /// withdrawal.
    async fn session_gone(&self, sessions: &mut SessionWatch) -> Outcome {
        tokio::select! {
            _ = self.stop.cancelled() => Outcome::Stopped,
            _ = sessions.changed() => Outcome::SessionChanged,
        }
    }
}

/// The largest NOTIFICATION REQUEST payload built, in bytes of JSON, so a
/// batch stays under the 2 MiB inbound limit that NBWSS endpoints apply.
pub(crate) const MAX_BATCH_BYTES: usize = 1536 * 1024;

/// The seqs of the leading items that fit in `limit` bytes; always at least
/// one, since ingest keeps every item under the limit.
fn seqs_within(items: &[(u64, serde_json::Value)], limit: usize) -> Vec<u64> {
    let mut total = 0;
    let mut seqs = Vec::new();
    for (seq, item) in items {
        let size = item.to_string().len() + 1;
        if !seqs.is_empty() && total + size > limit {
            break;
        }
        total += size;
        seqs.push(*seq);
    }
    seqs
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A batch stops before the item that would take it over the limit.
    #[test]
    fn batch_stops_at_byte_limit() {
        let item = serde_json::json!({"text": "x".repeat(100)});
        let items: Vec<(u64, serde_json::Value)> =
            (1..=10).map(|seq| (seq, item.clone())).collect();
        let one = item.to_string().len() + 1;
        assert_eq!(seqs_within(&items, one * 3), vec![1, 2, 3]);
        assert_eq!(seqs_within(&items, 1), vec![1]);
    }
}
