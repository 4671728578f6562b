//! Batches in flight: the persisted link between a NOTIFICATION REQUEST id
//! and the outbox items it carries.
//!
//! The service peeks the oldest items of a group, picks a message id and
//! calls `begin_batch` before sending. Until `complete_batch` is called with
//! that id, `pending_batch` returns the same id and the same items, also
//! after a restart or a `kill -9`. Resending is therefore always "the same id
//! with the same items", which lets the endpoint drop duplicates by id.
//!
//! Rules:
//!
//! - A group has at most one pending batch, because NOTIFICATION REQUESTs of
//!   a group are delivered one at a time to keep their order.
//! - `begin_batch` takes seqs in ascending order, every one of them stored.
//!   Callers pass a prefix of `peek` so that delivery follows enqueue order.
//!   The store checks existence and order, not that it is a prefix.
//! - `complete_batch` deletes the batch's items and the batch in one
//!   transaction. A completion with another id (a late duplicate
//!   acknowledgement) changes nothing.
//! - Acknowledging an item of the pending batch by seq drops the batch
//!   record (see `outbox`), since it could no longer be resent unchanged.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::outbox::{ITEM_WHAT, decode_item, delete_items_in_txn};
use crate::store::Store;
use crate::tables;

/// Record kind used in errors about batches.
const WHAT: &str = "batch";

/// A NOTIFICATION REQUEST in flight: its message id and the outbox items it
/// carries, in seq order.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Message id of the NOTIFICATION REQUEST.
    pub id: String,
    /// The items as (seq, item), in seq order.
    pub items: Vec<(u64, Value)>,
}

impl Batch {
    /// Returns the seqs of the batch's items.
    pub fn seqs(&self) -> Vec<u64> {
        self.items.iter().map(|(seq, _)| *seq).collect()
    }
}

/// The JSON form of a pending batch. The group is the table key.
#[derive(Serialize, Deserialize)]
struct BatchRow {
    id: String,
    seqs: Vec<u64>,
}

impl Store {
    /// Records that the items `seqs` of `group` are being sent as message
    /// `id`, and returns the batch with its items.
    ///
    /// # Errors
    ///
    /// [`StoreError::BatchPending`] when the group already has a pending
    /// batch, and [`StoreError::InvalidBatch`] when `seqs` is empty, not in
    /// ascending order, or names an item that is not stored.
    pub fn begin_batch(&self, group: &str, id: &str, seqs: &[u64]) -> Result<Batch> {
        let batch = self.write(|txn| {
            if let Some(pending) = read_batch_row(txn, group)? {
                return Err(StoreError::BatchPending {
                    group: group.to_owned(),
                    id: pending.id,
                });
            }
            check_seq_order(group, seqs)?;
            let items = load_items(txn, group, seqs)?;
            let row = BatchRow {
                id: id.to_owned(),
                seqs: seqs.to_vec(),
            };
            write_batch_row(txn, group, &row)?;
            Ok(Batch {
                id: id.to_owned(),
                items,
            })
        })?;
        tracing::debug!(group = %group, msg_id = %id, count = seqs.len(), "notification batch begun");
        Ok(batch)
    }

    /// Returns the pending batch of `group`, if any, with its items.
    pub fn pending_batch(&self, group: &str) -> Result<Option<Batch>> {
        self.read(|txn| {
            let batches = txn.open_table(tables::OUTBOX_BATCHES)?;
            let Some(json) = batches.get(group)? else {
                return Ok(None);
            };
            let row = decode_row(group, json.value())?;
            let table = txn.open_table(tables::OUTBOX_ITEMS)?;
            let mut items = Vec::with_capacity(row.seqs.len());
            for &seq in &row.seqs {
                let value = table
                    .get((group, seq))?
                    .ok_or_else(|| StoreError::not_found(ITEM_WHAT, &format!("{group}/{seq}")))?;
                let (_, item) = value.value();
                items.push((seq, decode_item(group, seq, item)?));
            }
            Ok(Some(Batch { id: row.id, items }))
        })
    }

    /// Completes the pending batch of `group` if its id is `id`: deletes its
    /// items and the batch record in one transaction.
    ///
    /// Returns `false`, changing nothing, when no batch with this id is
    /// pending, for example for a duplicate acknowledgement.
    pub fn complete_batch(&self, group: &str, id: &str) -> Result<bool> {
        let completed = self.write(|txn| {
            let Some(row) = read_batch_row(txn, group)? else {
                return Ok(false);
            };
            if row.id != id {
                return Ok(false);
            }
            // Deleting the items already drops the batch record. The explicit
            // removal covers a record whose items are all gone.
            delete_items_in_txn(txn, group, &row.seqs)?;
            remove_batch_row(txn, group)?;
            Ok(true)
        })?;
        tracing::debug!(group = %group, msg_id = %id, completed, "notification batch acknowledged");
        Ok(completed)
    }
}

/// Drops the pending batch of `group` inside `txn` when any of `deleted` is
/// one of its seqs.
pub(crate) fn drop_batch_if_touched(
    txn: &WriteTransaction,
    group: &str,
    deleted: &[u64],
) -> Result<()> {
    let Some(row) = read_batch_row(txn, group)? else {
        return Ok(());
    };
    if row.seqs.iter().any(|seq| deleted.contains(seq)) {
        remove_batch_row(txn, group)?;
        tracing::debug!(group = %group, msg_id = %row.id, "pending batch dropped by acknowledgement");
    }
    Ok(())
}

fn check_seq_order(group: &str, seqs: &[u64]) -> Result<()> {
    let invalid = |reason: &str| StoreError::InvalidBatch {
        group: group.to_owned(),
        reason: reason.to_owned(),
    };
    if seqs.is_empty() {
        return Err(invalid("no items"));
    }
    if seqs.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(invalid("seqs must be strictly ascending"));
    }
    Ok(())
}

fn load_items(txn: &WriteTransaction, group: &str, seqs: &[u64]) -> Result<Vec<(u64, Value)>> {
    let table = txn.open_table(tables::OUTBOX_ITEMS)?;
    let mut items = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let Some(value) = table.get((group, seq))? else {
            return Err(StoreError::InvalidBatch {
                group: group.to_owned(),
                reason: format!("seq {seq} is not in the outbox"),
            });
        };
        let (_, item) = value.value();
        items.push((seq, decode_item(group, seq, item)?));
    }
    Ok(items)
}

fn read_batch_row(txn: &WriteTransaction, group: &str) -> Result<Option<BatchRow>> {
    let table = txn.open_table(tables::OUTBOX_BATCHES)?;
    let json = table.get(group)?;
    json.map(|json| decode_row(group, json.value())).transpose()
}

fn write_batch_row(txn: &WriteTransaction, group: &str, row: &BatchRow) -> Result<()> {
    let json =
        serde_json::to_string(row).map_err(|error| StoreError::corrupt(WHAT, group, error))?;
    let mut table = txn.open_table(tables::OUTBOX_BATCHES)?;
    table.insert(group, json.as_str())?;
    Ok(())
}

fn remove_batch_row(txn: &WriteTransaction, group: &str) -> Result<()> {
    let mut table = txn.open_table(tables::OUTBOX_BATCHES)?;
    table.remove(group)?;
    Ok(())
}

fn decode_row(group: &str, json: &str) -> Result<BatchRow> {
    serde_json::from_str(json).map_err(|error| StoreError::corrupt(WHAT, group, error))
}
