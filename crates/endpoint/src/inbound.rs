//! Handling of each text message an established connection receives from
//! the service.
//!
//! COMMAND RESPONSEs complete the waiting call with the same id, and
//! NOTIFICATION REQUESTs go through the duplicate check to the application's
//! queue. Messages that travel in the wrong direction are ignored with a
//! debug log. Text that is not a protocol message at all ends the connection
//! with 1007. Reading the socket is left to
//! [`connection`](crate::connection).

use std::sync::atomic::Ordering;

use nbwss_protocol::{Body, DecodeError, Message, MessageType, NotificationItem, SubType};
use tokio::sync::mpsc::error::TrySendError;

use crate::closing::{CloseRequest, INVALID_PAYLOAD};
use crate::connection::RunEnv;
use crate::event::DisconnectReason;
use crate::handle::{BackupServer, CallError, CallResult, Outbound};
use crate::notifications::{self, Arrival, ReceivedNotification};

/// Handles one text message. Returns the close to perform when the message
/// cannot be decoded at all.
pub(crate) fn on_text(text: &str, server: &BackupServer, env: &RunEnv) -> Option<CloseRequest> {
    match Message::parse(text) {
        Ok(message) => on_message(message, server, env),
        Err(DecodeError::Unanswerable { .. }) => {
            // Only the size is logged, because the text may contain anything.
            tracing::debug!(bytes = text.len(), "undecodable message");
            return Some(CloseRequest::intact(
                INVALID_PAYLOAD,
                "undecodable message",
                DisconnectReason::UndecodableMessage,
            ));
        }
        Err(DecodeError::Invalid {
            id,
            message_type: Some(MessageType::Command),
            sub_type: Some(SubType::Response),
            reason,
            ..
        }) => complete_call(server, &id, Err(CallError::InvalidResponse { reason })),
        Err(DecodeError::Invalid {
            id,
            message_type,
            sub_type,
            reason,
            ..
        }) => {
            tracing::debug!(
                msg_id = %id,
                message_type = message_type.map(MessageType::as_str),
                sub_type = sub_type.map(SubType::as_str),
                %reason,
                "invalid message ignored"
            );
        }
    }
    None
}

fn on_message(message: Message, server: &BackupServer, env: &RunEnv) {
    let Message { id, body, .. } = message;
    match body {
        Body::CommandResponse(response) => complete_call(server, &id, Ok(response)),
        Body::NotificationRequest(items) => on_notification(server, id, items, env),
        Body::CommandRequest(_) => {
            tracing::debug!(msg_id = %id, "COMMAND REQUEST from the service ignored");
        }
        Body::ConnectRequest(_) => {
            tracing::debug!(msg_id = %id, "repeated CONNECT REQUEST ignored");
        }
        Body::ConnectResponse(_) | Body::NotificationResponse => {
            tracing::debug!(msg_id = %id, "unexpected response from the service ignored");
        }
    }
}

/// Hands a response to the call waiting for `id`, if it is still waiting.
fn complete_call(server: &BackupServer, id: &str, result: CallResult) {
    let slot = server.shared.pending().remove(id);
    match slot {
        Some(slot) => {
            tracing::debug!(msg_id = %id, "command response received");
            let _ = slot.send(result);
        }
        None => tracing::debug!(msg_id = %id, "response to an unknown or cancelled call ignored"),
    }
}

/// Acknowledges a resend of a handled id, or queues a new notification for
/// the application.
fn on_notification(server: &BackupServer, id: String, items: Vec<NotificationItem>, env: &RunEnv) {
    let arrival = server.shared.notification_ids().arrive(&id);
    match arrival {
        Arrival::Acknowledged => {
            tracing::debug!(msg_id = %id, "resent notification acknowledged again");
            let text = notifications::acknowledgement(&id);
            let _ = server.shared.outbound.send(Outbound::Text(text));
        }
        Arrival::InProgress => {
            tracing::debug!(msg_id = %id, "resent notification is still being handled");
        }
        Arrival::New => {
            let notification = ReceivedNotification::new(server.clone(), id, items);
            // A notification that cannot be queued is dropped unacknowledged.
            // Dropping it removes its id, so the service's resend is delivered.
            match env.notifications.try_send(notification) {
                Ok(()) => {
                    env.queue_full_reported.store(false, Ordering::Relaxed);
                    tracing::debug!("notification queued");
                }
                // Only the first rejection in a row is a warning, so a full
                // queue does not log once per resend.
                Err(TrySendError::Full(_)) => {
                    if env.queue_full_reported.swap(true, Ordering::Relaxed) {
                        tracing::debug!(
                            "notification queue full; notification left unacknowledged"
                        );
                    } else {
                        tracing::warn!(
                            conn_id = server.id(),
                            "notification queue full; notification left unacknowledged"
                        );
                    }
                }
                Err(TrySendError::Closed(_)) => {
                    tracing::debug!("notification stream closed; notification left unacknowledged");
                }
            }
        }
    }
}
