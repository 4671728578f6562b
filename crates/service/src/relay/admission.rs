//! Per-connection admission of commands: at most `max_concurrent` run at
//! once, up to [`QUEUE_FACTOR`] times as many more wait for a running slot,
//! and any command beyond that is rejected at once with 429
//! `TOO_MANY_REQUESTS`.
//!
//! Slots are released when the [`Ticket`] or [`RunPermit`] that owns them is
//! dropped, so a cancelled command frees its place. Sending the 429 response
//! is left to the caller.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many commands may wait per running slot: with `max_concurrent` of
/// 32, up to 128 more commands wait before new ones are rejected.
pub const QUEUE_FACTOR: usize = 4;

/// Admission control for the commands of one connection.
///
/// Clones share the same slots.
#[derive(Debug, Clone)]
pub struct Admission {
    /// One permit per command admitted, running or waiting.
    admitted: Arc<Semaphore>,
    /// One permit per running command.
    running: Arc<Semaphore>,
    max_admitted: usize,
    max_running: usize,
}

/// An admitted command waiting for a running slot.
#[derive(Debug)]
pub struct Ticket {
    admitted: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

/// A running slot. Dropping it frees the slot for a waiting command.
#[derive(Debug)]
pub struct RunPermit {
    _running: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
}

impl Admission {
    /// Creates admission control with `max_concurrent` running slots and
    /// [`QUEUE_FACTOR`] times as many waiting places. A `max_concurrent` of
    /// 0 is treated as 1, so that commands can run at all.
    pub fn new(max_concurrent: usize) -> Self {
        // Semaphore::new panics above MAX_PERMITS.
        let max_running = max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        let max_admitted = max_running
            .saturating_mul(QUEUE_FACTOR + 1)
            .min(Semaphore::MAX_PERMITS);
        Admission {
            admitted: Arc::new(Semaphore::new(max_admitted)),
            running: Arc::new(Semaphore::new(max_running)),
            max_admitted,
            max_running,
        }
    }

    /// Admits one command, or returns `None` when the running slots and the
    /// queue are all taken, so the caller responds with 429.
    pub fn try_admit(&self) -> Option<Ticket> {
        let admitted = Arc::clone(&self.admitted).try_acquire_owned().ok()?;
        Some(Ticket {
            admitted,
            running: Arc::clone(&self.running),
        })
    }

    /// Commands admitted and not yet finished, running or waiting.
    pub fn in_flight(&self) -> usize {
        self.max_admitted - self.admitted.available_permits()
    }

    /// Commands holding a running slot.
    pub fn running(&self) -> usize {
        self.max_running - self.running.available_permits()
    }
}

impl Ticket {
    /// Waits for a running slot. Waiting commands get slots in the order
    /// they started waiting.
    pub async fn run(self) -> RunPermit {
        let running = self
            .running
            .acquire_owned()
            .await
            // Admission never closes its semaphores.
            .expect("the running-slot semaphore is never closed");
        RunPermit {
            _running: running,
            _admitted: self.admitted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue has QUEUE_FACTOR places per running slot.
    #[test]
    fn admits_running_and_queued_commands() {
        let admission = Admission::new(1);
        let tickets: Vec<Ticket> = (0..=QUEUE_FACTOR)
            .map(|_| admission.try_admit().expect("within the limit"))
            .collect();
        assert_eq!(admission.in_flight(), tickets.len());
        assert!(admission.try_admit().is_none());
    }

    /// A dropped ticket frees its place in the queue.
    #[test]
    fn dropped_ticket_frees_place() {
        let admission = Admission::new(1);
        let mut tickets: Vec<Ticket> = (0..=QUEUE_FACTOR)
            .map(|_| admission.try_admit().expect("within the limit"))
            .collect();
        tickets.pop();
        assert!(admission.try_admit().is_some());
    }

    /// A max_concurrent of 0 still lets one command run.
    #[tokio::test]
    async fn zero_max_concurrent_runs_one() {
        let admission = Admission::new(0);
        let ticket = admission.try_admit().expect("one slot exists");
        let _permit = ticket.run().await;
        assert_eq!(admission.running(), 1);
    }
}
