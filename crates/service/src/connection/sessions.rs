//! The live sessions, one per connected group, as seen by the notification
//! pipeline.
//!
//! A session registers itself when its CONNECT exchange succeeds and removes
//! itself when it ends. Each group has a watch channel, so a delivery task
//! wakes when its group connects, fails over to another endpoint, or drops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use nbwss_protocol::Message;
use tokio::sync::{mpsc, watch};

use super::session::Outbound;

/// A NOTIFICATION RESPONSE received on a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    /// The acknowledged request's id.
    pub id: String,
    /// The connection it arrived on.
    pub conn_id: u64,
}

/// A live, CONNECT-ed session.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    /// The connection's id.
    pub conn_id: u64,
    /// The endpoint's host name.
    pub host: String,
    /// The endpoint's group.
    pub group: String,
    outbound: mpsc::Sender<Outbound>,
    acks: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Acknowledgement>>>,
}

/// The session is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the connection is closed")]
pub struct SessionClosed;

impl SessionHandle {
    pub(crate) fn new(
        conn_id: u64,
        host: String,
        group: String,
        outbound: mpsc::Sender<Outbound>,
    ) -> (SessionHandle, mpsc::UnboundedSender<Acknowledgement>) {
        let (ack_sender, ack_receiver) = mpsc::unbounded_channel();
        let handle = SessionHandle {
            conn_id,
            host,
            group,
            outbound,
            acks: Arc::new(tokio::sync::Mutex::new(ack_receiver)),
        };
        (handle, ack_sender)
    }

    /// Queues a message for sending on this session.
    pub async fn send(&self, message: Message) -> Result<(), SessionClosed> {
        self.outbound
            .send(Outbound::Message(message))
            .await
            .map_err(|_| SessionClosed)
    }

    /// Waits for the next acknowledgement on this session; `None` once the
    /// session has ended. One consumer at a time.
    pub async fn next_ack(&self) -> Option<Acknowledgement> {
        self.acks.lock().await.recv().await
    }

    /// Whether the session is still running.
    pub fn is_open(&self) -> bool {
        !self.outbound.is_closed()
    }
}

/// The live session of every group.
#[derive(Clone, Default)]
pub struct Sessions {
    groups: Arc<Mutex<HashMap<String, watch::Sender<Option<SessionHandle>>>>>,
}

impl Sessions {
    /// Watches one group's session: `Some` while connected.
    pub fn watch(&self, group: &str) -> watch::Receiver<Option<SessionHandle>> {
        self.sender(group).subscribe()
    }

    /// The group's current session.
    pub fn current(&self, group: &str) -> Option<SessionHandle> {
        self.sender(group).borrow().clone()
    }

    /// Every connected session.
    pub fn all(&self) -> Vec<SessionHandle> {
        let groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        groups.values().filter_map(|s| s.borrow().clone()).collect()
    }

    pub(crate) fn publish(&self, handle: SessionHandle) {
        self.sender(&handle.group).send_replace(Some(handle));
    }

    pub(crate) fn withdraw(&self, group: &str, conn_id: u64) {
        self.sender(group).send_if_modified(|current| {
            if current.as_ref().is_some_and(|h| h.conn_id == conn_id) {
                *current = None;
                true
            } else {
                false
            }
        });
    }

    fn sender(&self, group: &str) -> watch::Sender<Option<SessionHandle>> {
        let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        groups
            .entry(group.to_owned())
            .or_insert_with(|| watch::channel(None).0)
            .clone()
    }
}
