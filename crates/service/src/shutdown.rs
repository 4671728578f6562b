//! Service-wide shutdown signal.
//!
//! One [`Shutdown`] is created at start; every long-lived task keeps a clone
//! and selects on [`Shutdown::wait`]. Triggering it tells tasks to stop;
//! waiting for them to finish is left to their owners.

use tokio::sync::watch;

/// A cloneable signal that tasks should stop.
#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    /// A signal that has not been triggered.
    pub fn new() -> Shutdown {
        Shutdown {
            sender: watch::channel(false).0,
        }
    }

    /// Tells every waiter to stop. Idempotent.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the signal was triggered.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Completes once the signal is triggered.
    pub async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        // An error means the sender is gone, which cannot happen while
        // `self` holds it.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }
}
