//! Outboxes, batches in flight and poller state on a real redb store.

mod common;

use common::{item, items, job_id, open_temp};
use nbwss_store::StoreError;

const MAX: u64 = 1_000;

fn groups(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// Items come back from `peek` in enqueue order with ascending seqs.
#[test]
fn peek_returns_items_in_fifo_order() {
    let (_dir, store) = open_temp();
    let first = store.enqueue("g1", &items(1, 3), MAX).unwrap();
    let second = store.enqueue("g1", &items(4, 2), MAX).unwrap();
    assert_eq!(first, [1, 2, 3]);
    assert_eq!(second, [4, 5]);
    let peeked = store.peek("g1", 10).unwrap();
    let jobs: Vec<i64> = peeked.iter().map(|(_, value)| job_id(value)).collect();
    assert_eq!(jobs, [1, 2, 3, 4, 5]);
}

/// `peek` returns at most `max_items` items and removes nothing.
#[test]
fn peek_limits_and_keeps_items() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 5), MAX).unwrap();
    assert_eq!(store.peek("g1", 2).unwrap().len(), 2);
    assert_eq!(store.backlog("g1").unwrap(), 5);
}

/// Groups have separate queues and seqs.
#[test]
fn groups_are_independent() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 2), MAX).unwrap();
    let seqs = store.enqueue("g2", &items(10, 1), MAX).unwrap();
    assert_eq!(seqs, [1]);
    assert_eq!(store.backlog("g1").unwrap(), 2);
    assert_eq!(store.backlog("g2").unwrap(), 1);
}

/// An enqueue that would exceed the limit fails and stores nothing.
#[test]
fn enqueue_over_limit_stores_nothing() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), 5).unwrap();
    let result = store.enqueue("g1", &items(4, 3), 5);
    assert!(matches!(
        result,
        Err(StoreError::QueueFull { ref group, limit: 5 }) if group == "g1"
    ));
    assert_eq!(store.backlog("g1").unwrap(), 3);
    assert_eq!(store.peek("g1", 10).unwrap().len(), 3);
}

/// Filling the queue exactly to the limit is allowed.
#[test]
fn enqueue_up_to_limit_succeeds() {
    let (_dir, store) = open_temp();
    let seqs = store.enqueue("g1", &items(1, 5), 5).unwrap();
    assert_eq!(seqs.len(), 5);
}

/// `acknowledge` deletes the listed items, ignores unknown seqs and keeps
/// the backlog count exact.
#[test]
fn acknowledge_deletes_listed_items() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 4), MAX).unwrap();
    let removed = store.acknowledge("g1", &[1, 3, 99]).unwrap();
    assert_eq!(removed, 2);
    assert_eq!(store.backlog("g1").unwrap(), 2);
    let seqs: Vec<u64> = store
        .peek("g1", 10)
        .unwrap()
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(seqs, [2, 4]);
}

/// Acknowledging the same seqs twice deletes nothing the second time.
#[test]
fn acknowledge_twice_is_harmless() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 2), MAX).unwrap();
    store.acknowledge("g1", &[1]).unwrap();
    assert_eq!(store.acknowledge("g1", &[1]).unwrap(), 0);
    assert_eq!(store.backlog("g1").unwrap(), 1);
}

/// `acknowledge_through` deletes every item up to the given seq.
#[test]
fn acknowledge_through_deletes_prefix() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 5), MAX).unwrap();
    assert_eq!(store.acknowledge_through("g1", 3).unwrap(), 3);
    let seqs: Vec<u64> = store
        .peek("g1", 10)
        .unwrap()
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(seqs, [4, 5]);
}

/// Seqs keep growing after the queue empties, so none is reused.
#[test]
fn seqs_are_not_reused_after_queue_empties() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 2), MAX).unwrap();
    store.acknowledge_through("g1", 2).unwrap();
    let seqs = store.enqueue("g1", &items(3, 1), MAX).unwrap();
    assert_eq!(seqs, [3]);
}

/// Only groups with stored items are listed, in name order.
#[test]
fn groups_with_backlog_lists_nonempty_groups() {
    let (_dir, store) = open_temp();
    store.enqueue("g2", &items(1, 1), MAX).unwrap();
    store.enqueue("g1", &items(1, 1), MAX).unwrap();
    store.enqueue("g3", &items(1, 1), MAX).unwrap();
    store.acknowledge("g3", &[1]).unwrap();
    assert_eq!(store.groups_with_backlog().unwrap(), ["g1", "g2"]);
}

/// `oldest_enqueued_at` is `None` for an empty outbox and a recent time
/// otherwise.
#[test]
fn oldest_enqueued_at_tracks_head() {
    let (_dir, store) = open_temp();
    assert_eq!(store.oldest_enqueued_at("g1").unwrap(), None);
    store.enqueue("g1", &[item(1)], MAX).unwrap();
    let oldest = store.oldest_enqueued_at("g1").unwrap().unwrap();
    assert!(oldest > 1_700_000_000_000, "epoch ms, got {oldest}");
}

/// `enqueue_all` adds the items to every group, once per distinct group.
#[test]
fn enqueue_all_fans_out_to_groups() {
    let (_dir, store) = open_temp();
    let seqs = store
        .enqueue_all(&groups(&["g1", "g2", "g1"]), &items(1, 2), MAX)
        .unwrap();
    assert_eq!(seqs.len(), 2);
    assert_eq!(store.backlog("g1").unwrap(), 2);
    assert_eq!(store.backlog("g2").unwrap(), 2);
}

/// When one group is full, `enqueue_all` stores nothing in any group.
#[test]
fn enqueue_all_is_all_or_nothing() {
    let (_dir, store) = open_temp();
    store.enqueue("g2", &items(1, 4), 5).unwrap();
    let result = store.enqueue_all(&groups(&["g1", "g2", "g3"]), &items(10, 2), 5);
    assert!(matches!(result, Err(StoreError::QueueFull { ref group, .. }) if group == "g2"));
    assert_eq!(store.backlog("g1").unwrap(), 0);
    assert_eq!(store.backlog("g2").unwrap(), 4);
    assert_eq!(store.backlog("g3").unwrap(), 0);
}

/// A begun batch is returned by `pending_batch` with the same id and items.
#[test]
fn pending_batch_returns_begun_batch() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    let begun = store.begin_batch("g1", "MSG-1", &[1, 2]).unwrap();
    assert_eq!(begun.seqs(), [1, 2]);
    let pending = store.pending_batch("g1").unwrap();
    assert_eq!(pending, Some(begun));
}

/// A second batch cannot begin while one is pending.
#[test]
fn begin_batch_rejects_second_batch() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    store.begin_batch("g1", "MSG-1", &[1]).unwrap();
    let result = store.begin_batch("g1", "MSG-2", &[2]);
    assert!(matches!(result, Err(StoreError::BatchPending { ref id, .. }) if id == "MSG-1"));
}

/// A batch naming a missing, repeated or unordered seq is rejected.
#[test]
fn begin_batch_rejects_invalid_seqs() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    for seqs in [&[][..], &[1, 9][..], &[2, 1][..], &[1, 1][..]] {
        let result = store.begin_batch("g1", "MSG", seqs);
        assert!(
            matches!(result, Err(StoreError::InvalidBatch { .. })),
            "seqs {seqs:?}"
        );
    }
    assert_eq!(store.pending_batch("g1").unwrap(), None);
}

/// Completing the batch deletes its items and clears it.
#[test]
fn complete_batch_deletes_items() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    store.begin_batch("g1", "MSG-1", &[1, 2]).unwrap();
    assert!(store.complete_batch("g1", "MSG-1").unwrap());
    assert_eq!(store.pending_batch("g1").unwrap(), None);
    assert_eq!(store.backlog("g1").unwrap(), 1);
    let seqs: Vec<u64> = store
        .peek("g1", 10)
        .unwrap()
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(seqs, [3]);
}

/// Completing with another id, or twice, changes nothing.
#[test]
fn complete_batch_with_other_id_changes_nothing() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    store.begin_batch("g1", "MSG-1", &[1]).unwrap();
    assert!(!store.complete_batch("g1", "MSG-0").unwrap());
    assert_eq!(store.backlog("g1").unwrap(), 3);
    assert!(store.complete_batch("g1", "MSG-1").unwrap());
    assert!(!store.complete_batch("g1", "MSG-1").unwrap());
    assert_eq!(store.backlog("g1").unwrap(), 2);
}

/// Acknowledging an item of the pending batch drops the batch.
#[test]
fn acknowledge_drops_touched_batch() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    store.begin_batch("g1", "MSG-1", &[1, 2]).unwrap();
    store.acknowledge("g1", &[2]).unwrap();
    assert_eq!(store.pending_batch("g1").unwrap(), None);
}

/// Acknowledging an item outside the pending batch keeps the batch.
#[test]
fn acknowledge_keeps_untouched_batch() {
    let (_dir, store) = open_temp();
    store.enqueue("g1", &items(1, 3), MAX).unwrap();
    store.begin_batch("g1", "MSG-1", &[1]).unwrap();
    store.acknowledge("g1", &[3]).unwrap();
    let pending = store.pending_batch("g1").unwrap().unwrap();
    assert_eq!(pending.id, "MSG-1");
}

/// The cursor and job states are stored together.
#[test]
fn set_cursor_and_jobs_stores_both() {
    let (_dir, store) = open_temp();
    assert_eq!(store.get_cursor("jobs").unwrap(), None);
    let states = [(7, "ACTIVE".to_owned()), (8, "QUEUED".to_owned())];
    store
        .set_cursor_and_jobs("jobs", "2024-01-01T00:00:00Z", &states)
        .unwrap();
    assert_eq!(
        store.get_cursor("jobs").unwrap().as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
    assert_eq!(store.get_job_state(7).unwrap().as_deref(), Some("ACTIVE"));
    assert_eq!(store.job_states().unwrap().len(), 2);
    store.remove_job_states(&[7]).unwrap();
    assert_eq!(store.get_job_state(7).unwrap(), None);
}

/// The poller enqueue stores items, cursor and job states together.
#[test]
fn enqueue_with_poller_state_commits_everything() {
    let (_dir, store) = open_temp();
    let states = [(1, "DONE".to_owned())];
    store
        .enqueue_with_poller_state(
            &groups(&["g1", "g2"]),
            &[item(1)],
            MAX,
            "jobs",
            "c1",
            &states,
        )
        .unwrap();
    assert_eq!(store.backlog("g1").unwrap(), 1);
    assert_eq!(store.backlog("g2").unwrap(), 1);
    assert_eq!(store.get_cursor("jobs").unwrap().as_deref(), Some("c1"));
    assert_eq!(store.get_job_state(1).unwrap().as_deref(), Some("DONE"));
}

/// A full queue makes the poller enqueue store neither items nor state.
#[test]
fn enqueue_with_poller_state_full_stores_nothing() {
    let (_dir, store) = open_temp();
    store.set_cursor_and_jobs("jobs", "c0", &[]).unwrap();
    store.enqueue("g2", &items(1, 2), 2).unwrap();
    let states = [(5, "DONE".to_owned())];
    let result = store.enqueue_with_poller_state(
        &groups(&["g1", "g2"]),
        &[item(5)],
        2,
        "jobs",
        "c1",
        &states,
    );
    assert!(matches!(result, Err(StoreError::QueueFull { .. })));
    assert_eq!(store.backlog("g1").unwrap(), 0);
    assert_eq!(store.get_cursor("jobs").unwrap().as_deref(), Some("c0"));
    assert_eq!(store.get_job_state(5).unwrap(), None);
}
