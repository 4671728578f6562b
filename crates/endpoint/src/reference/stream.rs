//! Received notifications as server-sent events, acknowledged once sent.
//!
//! One dispatcher task takes notifications in arrival order and offers each
//! to every open `GET /api/v1/notifications/stream` response. It
//! acknowledges a notification once at least one response stream has taken
//! the event for sending. When no stream takes it within
//! [`DELIVERY_TIMEOUT`], for example because no client is subscribed, the
//! notification is left unacknowledged and the service sends it again later.
//! Each event is named `notification` and its data is
//! `{"serverId", "serverName", "messageId", "items"}`. Replaying events to
//! a client that reconnects is not supported.

use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use nbwss_protocol::NotificationItem;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::notifications::{Notifications, ReceivedNotification};

/// How long the dispatcher waits for a stream to take an event.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Events buffered per subscriber before it counts as too slow.
const SUBSCRIBER_BUFFER: usize = 64;

/// One event on its way to one subscriber.
struct Delivery {
    event: Event,
    /// Signalled when the subscriber's stream yields the event.
    taken: mpsc::Sender<()>,
}

/// The open event streams.
#[derive(Default)]
pub(crate) struct Hub {
    subscribers: Mutex<Vec<mpsc::Sender<Delivery>>>,
}

impl Hub {
    fn subscribe(&self) -> mpsc::Receiver<Delivery> {
        let (sender, receiver) = mpsc::channel(SUBSCRIBER_BUFFER);
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sender);
        receiver
    }

    /// Offers the event to every subscriber and returns a receiver that
    /// yields once a subscriber's stream takes it.
    fn offer(&self, event: &Event) -> mpsc::Receiver<()> {
        let (taken, taken_signal) = mpsc::channel(1);
        let mut subscribers = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        subscribers.retain(|subscriber| {
            let delivery = Delivery {
                event: event.clone(),
                taken: taken.clone(),
            };
            match subscriber.try_send(delivery) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::debug!("notification subscriber too slow; event skipped");
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        taken_signal
    }
}

/// Dispatches notifications until the stream ends or `shutdown`.
pub(crate) async fn dispatch(
    mut notifications: Notifications,
    hub: std::sync::Arc<Hub>,
    shutdown: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => return,
            next = notifications.recv() => next,
        };
        let Some(notification) = next else {
            return;
        };
        let mut taken = hub.offer(&event_for(&notification));
        let delivered = tokio::select! {
            () = shutdown.cancelled() => return,
            result = tokio::time::timeout(DELIVERY_TIMEOUT, taken.recv()) => {
                matches!(result, Ok(Some(())))
            }
        };
        if delivered {
            let id = notification.id.clone();
            if let Err(error) = notification.ack() {
                tracing::debug!(msg_id = %id, %error, "acknowledgement not sent");
            }
        } else {
            tracing::debug!(
                msg_id = %notification.id,
                "no event stream took the notification; left unacknowledged"
            );
        }
    }
}

/// Builds the server-sent event for one notification.
fn event_for(notification: &ReceivedNotification) -> Event {
    let items: Vec<_> = notification
        .items
        .iter()
        .map(NotificationItem::to_value)
        .collect();
    let data = json!({
        "serverId": notification.server.id(),
        "serverName": notification.server.server_name(),
        "messageId": notification.id,
        "items": items,
    });
    let event = Event::default()
        .event("notification")
        .data(data.to_string());
    // The SSE `id` field cannot contain line breaks or NUL, and axum panics
    // on them. Such an id is left out here, but the data carries it too.
    if notification.id.contains(['\r', '\n', '\0']) {
        event
    } else {
        event.id(&notification.id)
    }
}

/// Subscribes to the event stream and builds the response for
/// `GET /api/v1/notifications/stream`, which ends at shutdown.
pub(crate) fn subscribe(
    hub: &Hub,
    shutdown: CancellationToken,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let deliveries = hub.subscribe();
    let events = futures_util::stream::unfold(deliveries, |mut deliveries| async move {
        let delivery = deliveries.recv().await?;
        let _ = delivery.taken.try_send(());
        Some((Ok(delivery.event), deliveries))
    })
    .take_until(shutdown.cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::default())
}
