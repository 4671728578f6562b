//! Received NOTIFICATION REQUESTs, their acknowledgement and the duplicate
//! check.
//!
//! Design: every connection pushes each new notification into one queue per
//! endpoint server, which the application takes with
//! [`EndpointServer::notifications`](crate::EndpointServer::notifications).
//! The NOTIFICATION RESPONSE goes out only when the application calls
//! [`ReceivedNotification::ack`]. Each connection remembers the ids it has
//! handed out and the last acknowledged ones. A resend of an acknowledged id
//! is acknowledged again at once without reaching the application. A resend
//! of an id still with the application is dropped. A notification
//! dropped without `ack` is forgotten, so the service's next resend is
//! delivered again. Ids are remembered per connection only, so a resend that
//! arrives on a new connection reaches the application a second time.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use nbwss_protocol::{Body, Message, NotificationItem};
use tokio::sync::mpsc;

use crate::handle::{BackupServer, Outbound};

/// One NOTIFICATION REQUEST, waiting for the application to handle it.
///
/// Call [`ack`](ReceivedNotification::ack) once it is handled. Dropping it
/// without `ack` leaves it unacknowledged, so the service sends it again.
#[derive(Debug)]
pub struct ReceivedNotification {
    /// The backup server that sent it.
    pub server: BackupServer,
    /// The message id; a resend carries the same id.
    pub id: String,
    /// The notification items, in the order the service sent them.
    pub items: Vec<NotificationItem>,
    acknowledged: bool,
}

/// Failure to send an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// The connection closed first. The service keeps the notification and
    /// sends it again, possibly to another endpoint.
    #[error("backup server connection is closed; the notification will be sent again")]
    ConnectionClosed,
}

impl ReceivedNotification {
    pub(crate) fn new(server: BackupServer, id: String, items: Vec<NotificationItem>) -> Self {
        ReceivedNotification {
            server,
            id,
            items,
            acknowledged: false,
        }
    }

    /// Queues the NOTIFICATION RESPONSE and remembers the id, so that later
    /// resends are acknowledged without reaching the application.
    pub fn ack(mut self) -> Result<(), AckError> {
        self.acknowledged = true;
        let shared = &self.server.shared;
        shared.notification_ids().complete(&self.id);
        let text = acknowledgement(&self.id);
        shared
            .outbound
            .send(Outbound::Text(text))
            .map_err(|_| AckError::ConnectionClosed)?;
        tracing::debug!(conn_id = shared.id, msg_id = %self.id, "notification acknowledged");
        Ok(())
    }
}

impl Drop for ReceivedNotification {
    fn drop(&mut self) {
        if !self.acknowledged {
            self.server.shared.notification_ids().forget(&self.id);
            tracing::debug!(
                conn_id = self.server.id(),
                msg_id = %self.id,
                "notification dropped without acknowledgement"
            );
        }
    }
}

/// Builds the NOTIFICATION RESPONSE for `id`, with payload `[]`.
pub(crate) fn acknowledgement(id: &str) -> String {
    Message::new(id, Body::NotificationResponse).to_json()
}

/// The stream of notifications from every connection of one endpoint
/// server. It ends when the server has shut down and every connection has
/// ended.
#[derive(Debug)]
pub struct Notifications {
    receiver: mpsc::Receiver<ReceivedNotification>,
}

impl Notifications {
    pub(crate) fn new(receiver: mpsc::Receiver<ReceivedNotification>) -> Self {
        Notifications { receiver }
    }

    /// Waits for the next notification; `None` once the stream has ended.
    pub async fn recv(&mut self) -> Option<ReceivedNotification> {
        self.receiver.recv().await
    }

    /// Takes the next notification if one is waiting.
    pub fn try_recv(&mut self) -> Option<ReceivedNotification> {
        self.receiver.try_recv().ok()
    }
}

impl Stream for Notifications {
    type Item = ReceivedNotification;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

/// Classification of an incoming NOTIFICATION REQUEST id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// A new id: hand the notification to the application.
    New,
    /// Already acknowledged: acknowledge again.
    Acknowledged,
    /// Still with the application: ignore, the ack follows when it is done.
    InProgress,
}

/// Per-connection ids: the notifications with the application, and the
/// last acknowledged ones, oldest first.
#[derive(Debug)]
pub(crate) struct NotificationIds {
    in_progress: HashSet<String>,
    recent: HashSet<String>,
    recent_order: VecDeque<String>,
    capacity: usize,
}

impl NotificationIds {
    /// Empty sets that remember at most `capacity` acknowledged ids.
    pub(crate) fn new(capacity: usize) -> Self {
        NotificationIds {
            in_progress: HashSet::new(),
            recent: HashSet::new(),
            recent_order: VecDeque::new(),
            capacity,
        }
    }

    /// Classifies `id` and, when it is new, marks it in progress.
    pub(crate) fn arrive(&mut self, id: &str) -> Arrival {
        if self.recent.contains(id) {
            Arrival::Acknowledged
        } else if !self.in_progress.insert(id.to_owned()) {
            Arrival::InProgress
        } else {
            Arrival::New
        }
    }

    /// Moves `id` from in progress to the acknowledged ids.
    pub(crate) fn complete(&mut self, id: &str) {
        self.in_progress.remove(id);
        if self.capacity == 0 || !self.recent.insert(id.to_owned()) {
            return;
        }
        self.recent_order.push_back(id.to_owned());
        while self.recent_order.len() > self.capacity {
            if let Some(oldest) = self.recent_order.pop_front() {
                self.recent.remove(&oldest);
            }
        }
    }

    /// Forgets an id that was never acknowledged.
    pub(crate) fn forget(&mut self, id: &str) {
        self.in_progress.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id seen for the first time is new, then in progress.
    #[test]
    fn repeated_arrival_is_in_progress() {
        let mut ids = NotificationIds::new(4);
        assert_eq!(ids.arrive("a"), Arrival::New);
        assert_eq!(ids.arrive("a"), Arrival::InProgress);
    }

    /// After completion the id is recognised as acknowledged.
    #[test]
    fn completed_id_is_acknowledged() {
        let mut ids = NotificationIds::new(4);
        ids.arrive("a");
        ids.complete("a");
        assert_eq!(ids.arrive("a"), Arrival::Acknowledged);
    }

    /// A forgotten id is new again.
    #[test]
    fn forgotten_id_is_new_again() {
        let mut ids = NotificationIds::new(4);
        ids.arrive("a");
        ids.forget("a");
        assert_eq!(ids.arrive("a"), Arrival::New);
    }

    /// The oldest acknowledged id is dropped when the capacity is exceeded.
    #[test]
    fn oldest_acknowledged_id_is_evicted() {
        let mut ids = NotificationIds::new(2);
        for id in ["a", "b", "c"] {
            ids.arrive(id);
            ids.complete(id);
        }
        assert_eq!(ids.arrive("a"), Arrival::New);
        assert_eq!(ids.arrive("c"), Arrival::Acknowledged);
    }
}
