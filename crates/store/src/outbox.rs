//! Notification outboxes: one durable, ordered queue per group.
//!
//! Items are opaque JSON values (one NOTIFICATION item each). Building
//! NOTIFICATION REQUESTs, sending and resending them is left to the service.
//! The batch operations it uses to make resends survive a restart are in
//! `batch`.
//!
//! Invariants, each kept by doing every change in one write transaction:
//!
//! 1. Sequence numbers (seqs) are per group, start at 1 and only grow. The
//!    next seq is stored in the group's counter row and is never reset, even
//!    when the queue empties, so a seq never names two different items and
//!    seq order is enqueue order.
//! 2. The counter row's item count always equals the number of stored items
//!    of the group. `backlog` reads it without scanning.
//! 3. An enqueue that would take any group past `max_pending` stores nothing
//!    in any group, because the transaction is aborted.
//! 4. Items are deleted only by `acknowledge`, `acknowledge_through` and
//!    `complete_batch`. An acknowledgement that deletes an item of the
//!    group's pending batch also drops that batch, so a pending batch always
//!    names items that still exist.

use std::collections::BTreeMap;

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde_json::Value;

use crate::batch::drop_batch_if_touched;
use crate::error::{Result, StoreError};
use crate::store::{Store, now_millis};
use crate::tables;

/// Record kind used in errors about outbox items.
pub(crate) const ITEM_WHAT: &str = "outbox item";

impl Store {
    /// Appends `items` to the outbox of `group` and returns their seqs.
    ///
    /// # Errors
    ///
    /// [`StoreError::QueueFull`] when the group would hold more than
    /// `max_pending` items. Nothing is stored in that case.
    pub fn enqueue(&self, group: &str, items: &[Value], max_pending: u64) -> Result<Vec<u64>> {
        let encoded = encode_items(items);
        if encoded.is_empty() {
            return Ok(Vec::new());
        }
        let seqs =
            self.write(|txn| enqueue_in_txn(txn, group, &encoded, max_pending, now_millis()))?;
        tracing::debug!(group = %group, count = seqs.len(), "notifications enqueued");
        Ok(seqs)
    }

    /// Appends the same `items` to the outbox of every group in `groups`, in
    /// one transaction, and returns the seqs per group. A group listed twice
    /// is enqueued once.
    ///
    /// # Errors
    ///
    /// [`StoreError::QueueFull`] naming the first group that would exceed
    /// `max_pending`. Nothing is stored in any group in that case.
    pub fn enqueue_all(
        &self,
        groups: &[String],
        items: &[Value],
        max_pending: u64,
    ) -> Result<BTreeMap<String, Vec<u64>>> {
        let encoded = encode_items(items);
        let seqs = self.write(|txn| enqueue_all_in_txn(txn, groups, &encoded, max_pending))?;
        tracing::debug!(
            groups = seqs.len(),
            count = encoded.len(),
            "notifications enqueued to all groups"
        );
        Ok(seqs)
    }

    /// Returns up to `max_items` of the oldest items of `group`, in order,
    /// without removing them.
    pub fn peek(&self, group: &str, max_items: usize) -> Result<Vec<(u64, Value)>> {
        self.read(|txn| {
            let table = txn.open_table(tables::OUTBOX_ITEMS)?;
            let mut items = Vec::new();
            for entry in table.range((group, 0)..=(group, u64::MAX))?.take(max_items) {
                let (key, value) = entry?;
                let (_, seq) = key.value();
                let (_, json) = value.value();
                items.push((seq, decode_item(group, seq, json)?));
            }
            Ok(items)
        })
    }

    /// Deletes the listed items of `group` and returns how many existed.
    /// Seqs that are not stored, for example because they were acknowledged
    /// before, are ignored.
    pub fn acknowledge(&self, group: &str, seqs: &[u64]) -> Result<u64> {
        self.write(|txn| delete_items_in_txn(txn, group, seqs))
    }

    /// Deletes every item of `group` with a seq up to and including `up_to`
    /// and returns how many were deleted.
    pub fn acknowledge_through(&self, group: &str, up_to: u64) -> Result<u64> {
        self.write(|txn| {
            let seqs = {
                let table = txn.open_table(tables::OUTBOX_ITEMS)?;
                let mut seqs = Vec::new();
                for entry in table.range((group, 0)..=(group, up_to))? {
                    let (key, _) = entry?;
                    seqs.push(key.value().1);
                }
                seqs
            };
            delete_items_in_txn(txn, group, &seqs)
        })
    }

    /// Returns the number of items stored for `group`.
    pub fn backlog(&self, group: &str) -> Result<u64> {
        self.read(|txn| Ok(read_counter(txn, group)?.count))
    }

    /// Returns when the oldest item of `group` was enqueued, in milliseconds
    /// since the Unix epoch, or `None` when the outbox is empty.
    pub fn oldest_enqueued_at(&self, group: &str) -> Result<Option<i64>> {
        self.read(|txn| {
            let table = txn.open_table(tables::OUTBOX_ITEMS)?;
            let mut range = table.range((group, 0)..=(group, u64::MAX))?;
            match range.next() {
                Some(entry) => Ok(Some(entry?.1.value().0)),
                None => Ok(None),
            }
        })
    }

    /// Returns every group with at least one stored item, in name order.
    pub fn groups_with_backlog(&self) -> Result<Vec<String>> {
        self.read(|txn| {
            let table = txn.open_table(tables::OUTBOX_GROUPS)?;
            let mut groups = Vec::new();
            for entry in table.iter()? {
                let (group, counter) = entry?;
                if counter.value().1 > 0 {
                    groups.push(group.value().to_owned());
                }
            }
            Ok(groups)
        })
    }
}

/// A group's counter row: the next seq to assign and the number of items.
#[derive(Clone, Copy)]
struct Counter {
    next_seq: u64,
    count: u64,
}

impl Counter {
    const EMPTY: Counter = Counter {
        next_seq: 1,
        count: 0,
    };
}

fn read_counter(txn: &ReadTransaction, group: &str) -> Result<Counter> {
    let table = txn.open_table(tables::OUTBOX_GROUPS)?;
    counter_in(&table, group)
}

fn read_counter_for_update(txn: &WriteTransaction, group: &str) -> Result<Counter> {
    let table = txn.open_table(tables::OUTBOX_GROUPS)?;
    counter_in(&table, group)
}

fn counter_in(
    table: &impl ReadableTable<&'static str, (u64, u64)>,
    group: &str,
) -> Result<Counter> {
    let row = table.get(group)?;
    Ok(row.map_or(Counter::EMPTY, |row| {
        let (next_seq, count) = row.value();
        Counter { next_seq, count }
    }))
}

fn write_counter(txn: &WriteTransaction, group: &str, counter: Counter) -> Result<()> {
    let mut table = txn.open_table(tables::OUTBOX_GROUPS)?;
    table.insert(group, (counter.next_seq, counter.count))?;
    Ok(())
}

/// Serializes each item to JSON text once, before any transaction starts.
pub(crate) fn encode_items(items: &[Value]) -> Vec<String> {
    items.iter().map(Value::to_string).collect()
}

pub(crate) fn decode_item(group: &str, seq: u64, json: &str) -> Result<Value> {
    serde_json::from_str(json)
        .map_err(|error| StoreError::corrupt(ITEM_WHAT, &format!("{group}/{seq}"), error))
}

/// Appends already encoded items to one group inside `txn`.
pub(crate) fn enqueue_in_txn(
    txn: &WriteTransaction,
    group: &str,
    encoded: &[String],
    max_pending: u64,
    enqueued_at: i64,
) -> Result<Vec<u64>> {
    let mut counter = read_counter_for_update(txn, group)?;
    let added = encoded.len() as u64;
    if counter.count.saturating_add(added) > max_pending {
        return Err(StoreError::QueueFull {
            group: group.to_owned(),
            limit: max_pending,
        });
    }

    let mut seqs = Vec::with_capacity(encoded.len());
    {
        let mut table = txn.open_table(tables::OUTBOX_ITEMS)?;
        for json in encoded {
            let seq = counter.next_seq;
            table.insert((group, seq), (enqueued_at, json.as_str()))?;
            seqs.push(seq);
            counter.next_seq += 1;
        }
    }
    counter.count += added;
    write_counter(txn, group, counter)?;
    Ok(seqs)
}

/// Appends already encoded items to each distinct group inside `txn`.
pub(crate) fn enqueue_all_in_txn(
    txn: &WriteTransaction,
    groups: &[String],
    encoded: &[String],
    max_pending: u64,
) -> Result<BTreeMap<String, Vec<u64>>> {
    let mut result = BTreeMap::new();
    if encoded.is_empty() {
        return Ok(result);
    }
    let enqueued_at = now_millis();
    for group in groups {
        if result.contains_key(group) {
            continue;
        }
        let seqs = enqueue_in_txn(txn, group, encoded, max_pending, enqueued_at)?;
        result.insert(group.clone(), seqs);
    }
    Ok(result)
}

/// Deletes the listed items of `group` inside `txn`, keeps the counter in
/// step and drops the pending batch if it named a deleted item.
pub(crate) fn delete_items_in_txn(
    txn: &WriteTransaction,
    group: &str,
    seqs: &[u64],
) -> Result<u64> {
    let mut deleted = Vec::new();
    {
        let mut table = txn.open_table(tables::OUTBOX_ITEMS)?;
        for &seq in seqs {
            if table.remove((group, seq))?.is_some() {
                deleted.push(seq);
            }
        }
    }
    if deleted.is_empty() {
        return Ok(0);
    }

    let mut counter = read_counter_for_update(txn, group)?;
    let removed = deleted.len() as u64;
    counter.count = counter.count.saturating_sub(removed);
    write_counter(txn, group, counter)?;
    drop_batch_if_touched(txn, group, &deleted)?;
    Ok(removed)
}
