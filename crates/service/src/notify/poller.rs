//! The job poller: every `notification.scheduledRate` it reads the jobs
//! changed since its cursor from the REST API and emits a JOB item for each
//! job that is new or whose state changed.
//!
//! Exactly-once across restarts rests on the store: the items, the new
//! cursor and the new job states are written in one transaction, so a
//! restart neither repeats nor skips a change. The cursor is the largest
//! `lastUpdateTime` seen minus [`OVERLAP`], so changes stamped in the same
//! second as the last one read are read again rather than missed. The
//! stored job states drop those repeats. Without a stored cursor the poller
//! starts at the current time: changes made before its first poll are not
//! reported.
//!
//! Pauses: with no API key stored under `notification.upstreamApiKey` the
//! poller logs once and checks again every period. When an outbox is full
//! nothing is stored, the cursor stays, and the same changes are tried
//! again next period. Upstream errors back off exponentially from
//! `notification.scheduledRate` up to [`MAX_BACKOFF`] and are logged once
//! per run of failures. With no activated group, changes are consumed
//! without being stored, like ingest items that no group would receive.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use nbwss_store::{Secret, Store, StoreError};
use time::OffsetDateTime;
use tracing::{debug, error, info, warn};

use super::changes::{self, Changes, OVERLAP};
use super::jobs;
use super::upstream::{Scan, Upstream};
use super::{PollerSettings, Shared, UPSTREAM_API_KEY_SECRET, backlog, blocking, ingest};
use crate::ratelimit::LogLimiter;

/// Store name of the poller's cursor, an RFC 3339 `lastUpdateTime`.
pub(super) const CURSOR_NAME: &str = "jobs.lastUpdateTime";

/// Maximum wait between polls after upstream failures, unless
/// `notification.scheduledRate` is longer.
const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// Rate limit for logs of jobs that cannot be mapped and of store failures.
const LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Runs until shutdown.
pub(super) async fn run(shared: Arc<Shared>, settings: PollerSettings) {
    let upstream = match Upstream::new(&settings) {
        Ok(upstream) => upstream,
        Err(error) => {
            error!(error = %error, "job poller not started");
            return;
        }
    };
    info!(upstream = %settings.upstream_url, "job poller started");
    let mut poller = Poller {
        shared: Arc::clone(&shared),
        upstream,
        failures: 0,
        waiting_for_key: false,
        queue_full: false,
        rejected_log: LogLimiter::new(LOG_INTERVAL),
        store_log: LogLimiter::new(LOG_INTERVAL),
    };
    let mut delay = Duration::ZERO;
    loop {
        tokio::select! {
            _ = shared.shutdown.wait() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        tokio::select! {
            _ = shared.shutdown.wait() => return,
            next = poller.poll() => delay = next,
        }
    }
}

struct Poller {
    shared: Arc<Shared>,
    upstream: Upstream,
    /// Upstream failures in a row.
    failures: u32,
    waiting_for_key: bool,
    queue_full: bool,
    rejected_log: LogLimiter,
    store_log: LogLimiter,
}

/// Returns the number of items every group in `groups` can still take,
/// and the group with the least room (empty when `groups` is).
fn room(store: &Store, groups: &[String], max_pending: u64) -> Result<(u64, String), StoreError> {
    let mut least: Option<(u64, &String)> = None;
    for group in groups {
        let room = max_pending.saturating_sub(store.backlog(group)?);
        if least.is_none_or(|(smallest, _)| room < smallest) {
            least = Some((room, group));
        }
    }
    Ok(least.map_or((max_pending, String::new()), |(room, group)| {
        (room, group.clone())
    }))
}

impl Poller {
    /// Polls once and returns the delay before the next poll.
    async fn poll(&mut self) -> Duration {
        let rate = self.shared.settings.scheduled_rate;
        let Some(api_key) = self.api_key().await else {
            return rate;
        };
        let (cursor, cursor_stored, states) = match self.read_state().await {
            Ok(state) => state,
            Err(error) => {
                self.log_store_failure(&error);
                return rate;
            }
        };
        let scan = match self.upstream.jobs_since(&api_key, cursor).await {
            Ok(scan) => scan,
            Err(error) => return self.upstream_failed(&error),
        };
        if self.failures > 0 {
            info!(
                failures = self.failures,
                "job poller reached the upstream again"
            );
            self.failures = 0;
        }
        self.log_rejected(&scan);
        let changes = changes::from_scan(&scan, &states, cursor);
        if cursor_stored && changes.is_empty() && changes.cursor == cursor {
            return rate;
        }
        match self.store(changes).await {
            Ok(()) => rate,
            Err(StoreError::QueueFull { group, limit }) => {
                if !self.queue_full {
                    warn!(%group, limit, "job poller paused: outbox full");
                    self.queue_full = true;
                }
                rate
            }
            Err(error) => {
                self.log_store_failure(&error);
                rate
            }
        }
    }

    /// Reads the API key; `None`, logged once, while none is stored.
    async fn api_key(&mut self) -> Option<Secret> {
        let read = blocking(self.shared.store(), |store| {
            store.get_secret(UPSTREAM_API_KEY_SECRET)
        })
        .await;
        match read {
            Ok(Some(key)) => {
                self.waiting_for_key = false;
                Some(key)
            }
            Ok(None) => {
                if !self.waiting_for_key {
                    info!(
                        secret = UPSTREAM_API_KEY_SECRET,
                        "job poller waiting for an upstream API key"
                    );
                    self.waiting_for_key = true;
                }
                None
            }
            Err(error) => {
                self.log_store_failure(&error);
                None
            }
        }
    }

    /// Reads the cursor, whether a valid one was stored, and the job
    /// states. A missing or unreadable cursor starts at the current time.
    async fn read_state(
        &self,
    ) -> Result<(OffsetDateTime, bool, BTreeMap<i64, String>), StoreError> {
        let (stored, states) = blocking(self.shared.store(), |store| {
            Ok((store.get_cursor(CURSOR_NAME)?, store.job_states()?))
        })
        .await?;
        let parsed = stored.as_deref().and_then(jobs::parse_time);
        if let (Some(text), None) = (&stored, parsed) {
            warn!(cursor = %text, "stored job poller cursor is not a time; starting from now");
        }
        let cursor = parsed.unwrap_or_else(|| OffsetDateTime::now_utc() - OVERLAP);
        Ok((cursor, parsed.is_some(), states))
    }

    /// Stores the items and poller state in one transaction, then prunes.
    /// When the outboxes have room for only some items, stores that prefix
    /// (see [`Changes::keep_first`]); with no room at all, stores nothing
    /// and returns [`StoreError::QueueFull`].
    async fn store(&mut self, mut changes: Changes) -> Result<(), StoreError> {
        let groups = if changes.items.is_empty() {
            Vec::new()
        } else {
            self.shared.activated_groups()
        };
        let max_pending = self.shared.settings.max_pending;
        let stored_groups = groups.clone();
        let (room, fullest) = blocking(self.shared.store(), move |store| {
            room(store, &stored_groups, max_pending)
        })
        .await?;
        if !changes.items.is_empty() && room == 0 {
            return Err(StoreError::QueueFull {
                group: fullest,
                limit: max_pending,
            });
        }
        changes.keep_first(usize::try_from(room).unwrap_or(usize::MAX));

        let count = changes.items.len();
        let cursor = jobs::format_time(changes.cursor);
        let stored_groups = groups.clone();
        blocking(self.shared.store(), move |store| {
            store.enqueue_with_poller_state(
                &stored_groups,
                &changes.items,
                max_pending,
                CURSOR_NAME,
                &cursor,
                &changes.job_states,
            )?;
            // A failure here leaves extra states behind, which the next
            // poll prunes again.
            store.remove_job_states(&changes.prune)
        })
        .await?;
        if self.queue_full {
            info!("job poller resumed: outbox has room");
            self.queue_full = false;
        }
        if count > 0 {
            debug!(items = count, groups = groups.len(), "job changes enqueued");
            ingest::count_enqueued("poller", count * groups.len());
        }
        for group in &groups {
            self.shared.wakers.wake(group);
            backlog::publish_group(&self.shared, group);
        }
        Ok(())
    }

    /// Counts a failure and returns the backoff delay: the period doubled
    /// for each failure in a row after the first, up to [`MAX_BACKOFF`].
    fn upstream_failed(&mut self, error: &super::upstream::UpstreamError) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let rate = self.shared.settings.scheduled_rate;
        let factor = 1u32
            .checked_shl((self.failures - 1).min(31))
            .unwrap_or(u32::MAX);
        let delay = rate.saturating_mul(factor).min(MAX_BACKOFF.max(rate));
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        if self.failures == 1 {
            warn!(error = %error, delay_ms, "job poller request failed; backing off");
        } else {
            debug!(error = %error, attempt = self.failures, delay_ms, "job poller request failed again");
        }
        delay
    }

    fn log_rejected(&mut self, scan: &Scan) {
        let Some((job, error)) = scan.rejected.first() else {
            return;
        };
        if let Some(suppressed) = self.rejected_log.allow() {
            warn!(job_id = %job, error = %error, count = scan.rejected.len(), suppressed, "job poller skipped jobs it cannot map");
        }
    }

    fn log_store_failure(&mut self, error: &StoreError) {
        if let Some(suppressed) = self.store_log.allow() {
            warn!(error = %error, suppressed, "job poller failed to use the store");
        }
    }
}
