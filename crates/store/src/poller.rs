//! Job poller state: named cursors and the last state seen per job id.
//!
//! The poller turns job changes into notifications. Storing its cursor and
//! job states in the same transaction as the outbox enqueue of those
//! notifications means a restart neither repeats nor skips a change: either
//! the notifications and the new cursor are both stored, or neither is.
//! What a cursor means (a time, a page token) is up to the poller.
//!
//! NOTE: the job state map grows by one entry per distinct job. The poller
//! is expected to forget finished jobs with `remove_job_states`.

use std::collections::BTreeMap;

use redb::{ReadableTable, WriteTransaction};
use serde_json::Value;

use crate::error::Result;
use crate::outbox::{encode_items, enqueue_all_in_txn};
use crate::store::Store;
use crate::tables;

impl Store {
    /// Returns the cursor stored under `name`, if any.
    pub fn get_cursor(&self, name: &str) -> Result<Option<String>> {
        self.read(|txn| {
            let table = txn.open_table(tables::POLLER_CURSORS)?;
            let value = table.get(name)?;
            Ok(value.map(|guard| guard.value().to_owned()))
        })
    }

    /// Returns the last state seen for `job_id`, if any.
    pub fn get_job_state(&self, job_id: i64) -> Result<Option<String>> {
        self.read(|txn| {
            let table = txn.open_table(tables::POLLER_JOBS)?;
            let value = table.get(job_id)?;
            Ok(value.map(|guard| guard.value().to_owned()))
        })
    }

    /// Returns every stored job state, by job id.
    pub fn job_states(&self) -> Result<BTreeMap<i64, String>> {
        self.read(|txn| {
            let table = txn.open_table(tables::POLLER_JOBS)?;
            let mut states = BTreeMap::new();
            for entry in table.iter()? {
                let (job_id, state) = entry?;
                states.insert(job_id.value(), state.value().to_owned());
            }
            Ok(states)
        })
    }

    /// Stores the cursor `name` and the given job states in one transaction,
    /// for a poll that produced no notifications.
    pub fn set_cursor_and_jobs(
        &self,
        name: &str,
        cursor: &str,
        job_states: &[(i64, String)],
    ) -> Result<()> {
        self.write(|txn| write_poller_state(txn, name, cursor, job_states))
    }

    /// Enqueues `items` to every group in `groups` and stores the cursor
    /// `cursor_name` and the job states, all in one transaction.
    ///
    /// # Errors
    ///
    /// [`crate::StoreError::QueueFull`] when any group would exceed
    /// `max_pending`. Then nothing is stored: no items and no poller state,
    /// so the next poll retries the same changes.
    pub fn enqueue_with_poller_state(
        &self,
        groups: &[String],
        items: &[Value],
        max_pending: u64,
        cursor_name: &str,
        cursor: &str,
        job_states: &[(i64, String)],
    ) -> Result<BTreeMap<String, Vec<u64>>> {
        let encoded = encode_items(items);
        let seqs = self.write(|txn| {
            let seqs = enqueue_all_in_txn(txn, groups, &encoded, max_pending)?;
            write_poller_state(txn, cursor_name, cursor, job_states)?;
            Ok(seqs)
        })?;
        tracing::debug!(
            groups = seqs.len(),
            count = encoded.len(),
            jobs = job_states.len(),
            "poller notifications enqueued"
        );
        Ok(seqs)
    }

    /// Forgets the states of the listed jobs. Unknown ids are ignored.
    pub fn remove_job_states(&self, job_ids: &[i64]) -> Result<()> {
        self.write(|txn| {
            let mut table = txn.open_table(tables::POLLER_JOBS)?;
            for &job_id in job_ids {
                table.remove(job_id)?;
            }
            Ok(())
        })
    }
}

fn write_poller_state(
    txn: &WriteTransaction,
    name: &str,
    cursor: &str,
    job_states: &[(i64, String)],
) -> Result<()> {
    let mut cursors = txn.open_table(tables::POLLER_CURSORS)?;
    cursors.insert(name, cursor)?;
    let mut jobs = txn.open_table(tables::POLLER_JOBS)?;
    for (job_id, state) in job_states {
        jobs.insert(*job_id, state.as_str())?;
    }
    Ok(())
}
