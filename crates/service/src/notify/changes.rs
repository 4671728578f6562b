//! Decides what one job poll stores: a JOB item for each job that is new
//! or whose state changed since the stored job states, the new cursor, and
//! the finished jobs whose states can be pruned.
//!
//! This module does no I/O. Reading the jobs and writing the outcome in one
//! store transaction is the poller's job.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use nbwss_protocol::NotificationItem;
use serde_json::Value;
use time::OffsetDateTime;

use super::jobs::UpstreamJob;
use super::upstream::Scan;

/// How far the cursor stays behind the newest change read.
pub(super) const OVERLAP: Duration = Duration::from_secs(1);

/// The items, job states and cursor that one poll stores.
#[derive(Debug)]
pub(super) struct Changes {
    /// JOB items to enqueue, one per job change, in the order read.
    pub items: Vec<Value>,
    /// The `lastUpdateTime` of each item's job change.
    pub item_times: Vec<OffsetDateTime>,
    /// The new state of each item's job, one per item.
    pub job_states: Vec<(i64, String)>,
    /// The cursor before this poll.
    pub old_cursor: OffsetDateTime,
    /// The cursor to store.
    pub cursor: OffsetDateTime,
    /// Finished jobs that can no longer be returned by the filter.
    pub prune: Vec<i64>,
}

impl Changes {
    /// Returns true when there is nothing to enqueue and nothing to prune.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.prune.is_empty()
    }

    /// Keeps only the first `count` items, for outboxes that have room for
    /// no more. The cursor then stops at the last kept change minus
    /// [`OVERLAP`], so the next poll reads the dropped changes again, which
    /// come later in the list. It skips the kept ones by their stored
    /// states. Nothing is pruned.
    pub fn keep_first(&mut self, count: usize) {
        if self.items.len() <= count {
            return;
        }
        self.items.truncate(count);
        self.item_times.truncate(count);
        self.job_states.truncate(count);
        self.prune.clear();
        let kept_until = self.item_times.last().map(|time| *time - OVERLAP);
        let limit = kept_until.unwrap_or(self.old_cursor);
        self.cursor = self.cursor.min(limit).max(self.old_cursor);
    }
}

/// Decides which jobs to emit, the new cursor and the states to prune.
///
/// The cursor moves to the newest change read minus [`OVERLAP`], and never
/// back. When the list shifted during the scan (see `Scan::shifted`), a job
/// may have been skipped at a page boundary after the first page. The
/// cursor then moves only to the first page's last change minus
/// [`OVERLAP`], because everything up to there was read in the first
/// request.
///
/// Pruning removes the stored states of finished jobs that the scan did not
/// return, because their last change is before the old cursor. It is
/// skipped after a shifted or truncated scan, where a job can be missing
/// for other reasons.
pub(super) fn from_scan(
    scan: &Scan,
    stored: &BTreeMap<i64, String>,
    cursor: OffsetDateTime,
) -> Changes {
    let mut states: BTreeMap<i64, &str> = BTreeMap::new();
    let mut items = Vec::new();
    let mut item_times = Vec::new();
    let mut job_states = Vec::new();
    for UpstreamJob {
        record,
        last_update,
    } in &scan.jobs
    {
        let known = states
            .get(&record.job_id)
            .copied()
            .or_else(|| stored.get(&record.job_id).map(String::as_str));
        if known == Some(record.state.as_str()) {
            continue;
        }
        states.insert(record.job_id, &record.state);
        job_states.push((record.job_id, record.state.clone()));
        items.push(NotificationItem::jobs(vec![record.clone()]).to_value());
        item_times.push(*last_update);
    }

    let reached = if scan.shifted {
        scan.first_page_last
    } else {
        scan.jobs.iter().map(|job| job.last_update).max()
    };
    let new_cursor = reached.map_or(cursor, |time| (time - OVERLAP).max(cursor));

    let prune = if scan.shifted || scan.truncated {
        Vec::new()
    } else {
        let seen: HashSet<i64> = scan.jobs.iter().map(|job| job.record.job_id).collect();
        stored
            .iter()
            .filter(|(job_id, state)| state.as_str() == "DONE" && !seen.contains(job_id))
            .map(|(job_id, _)| *job_id)
            .collect()
    };
    Changes {
        items,
        item_times,
        job_states,
        old_cursor: cursor,
        cursor: new_cursor,
        prune,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nbwss_protocol::JobRecord;
    use time::macros::datetime;

    fn job(job_id: i64, state: &str, last_update: OffsetDateTime) -> UpstreamJob {
        UpstreamJob {
            record: JobRecord {
                job_id,
                parent_job_id: job_id,
                job_type: "BACKUP".to_owned(),
                state: state.to_owned(),
                status: 0,
                start_time: 0,
                policy_name: "p".to_owned(),
                policy_type: "STANDARD".to_owned(),
                schedule_type: "ST_FULL".to_owned(),
                client_name: "c".to_owned(),
            },
            last_update,
        }
    }

    const START: OffsetDateTime = datetime!(2026-12-04 15:00:00 UTC);

    /// A job seen in the same state as stored is not emitted again.
    #[test]
    fn skips_unchanged_job() {
        let scan = Scan {
            jobs: vec![job(1, "ACTIVE", START + Duration::from_secs(5))],
            ..Scan::default()
        };
        let stored = BTreeMap::from([(1, "ACTIVE".to_owned())]);
        let changes = from_scan(&scan, &stored, START);
        assert!(changes.items.is_empty());
    }

    /// Two states of one job in one scan are both emitted, in order.
    #[test]
    fn emits_each_state_change() {
        let scan = Scan {
            jobs: vec![
                job(1, "QUEUED", START + Duration::from_secs(1)),
                job(1, "ACTIVE", START + Duration::from_secs(2)),
            ],
            ..Scan::default()
        };
        let changes = from_scan(&scan, &BTreeMap::new(), START);
        assert_eq!(changes.items.len(), 2);
        assert_eq!(changes.job_states.last(), Some(&(1, "ACTIVE".to_owned())));
    }

    /// The cursor trails the newest change by the overlap.
    #[test]
    fn cursor_trails_newest_change() {
        let scan = Scan {
            jobs: vec![job(1, "DONE", START + Duration::from_secs(30))],
            ..Scan::default()
        };
        let changes = from_scan(&scan, &BTreeMap::new(), START);
        assert_eq!(changes.cursor, START + Duration::from_secs(29));
    }

    /// After a shifted scan the cursor stops at the first page's end.
    #[test]
    fn shifted_scan_holds_cursor_at_first_page() {
        let scan = Scan {
            jobs: vec![job(1, "DONE", START + Duration::from_secs(60))],
            first_page_last: Some(START + Duration::from_secs(10)),
            shifted: true,
            ..Scan::default()
        };
        let changes = from_scan(&scan, &BTreeMap::new(), START);
        assert_eq!(changes.cursor, START + Duration::from_secs(9));
    }

    /// The cursor never moves back.
    #[test]
    fn cursor_never_moves_back() {
        let scan = Scan {
            jobs: vec![job(1, "DONE", START)],
            ..Scan::default()
        };
        let changes = from_scan(&scan, &BTreeMap::new(), START);
        assert_eq!(changes.cursor, START);
    }

    /// Keeping a prefix stops the cursor before the first dropped change.
    #[test]
    fn keeping_prefix_holds_cursor_before_dropped_changes() {
        let scan = Scan {
            jobs: vec![
                job(1, "QUEUED", START + Duration::from_secs(10)),
                job(2, "QUEUED", START + Duration::from_secs(20)),
                job(3, "QUEUED", START + Duration::from_secs(30)),
            ],
            ..Scan::default()
        };
        let mut changes = from_scan(&scan, &BTreeMap::new(), START);
        changes.keep_first(2);
        assert_eq!(changes.items.len(), 2);
        assert_eq!(changes.job_states.last(), Some(&(2, "QUEUED".to_owned())));
        assert_eq!(changes.cursor, START + Duration::from_secs(19));
    }

    /// Finished jobs missing from the scan are pruned; running ones stay.
    #[test]
    fn prunes_only_unseen_done_jobs() {
        let scan = Scan {
            jobs: vec![job(3, "DONE", START + Duration::from_secs(1))],
            ..Scan::default()
        };
        let stored = BTreeMap::from([
            (1, "DONE".to_owned()),
            (2, "ACTIVE".to_owned()),
            (3, "DONE".to_owned()),
        ]);
        let changes = from_scan(&scan, &stored, START);
        assert_eq!(changes.prune, vec![1]);
    }
}
