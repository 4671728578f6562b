//! The notification pipeline: ingest, the job poller and one delivery task
//! per group, all built on the store's durable per-group outbox.
//!
//! - [`Notifier::ingest`] validates items from local scripts and stores them in the
//!   outbox of every group that has an activated endpoint.
//! - `supervisor` keeps one `delivery` task running per such group. The task
//!   sends the group's items as NOTIFICATION REQUESTs over the group's live
//!   session and resends each one with the same id until it is acknowledged.
//! - `poller` (when `notification.jobPoller.enabled` is set) turns job
//!   changes read from the upstream REST API (`upstream`, `jobs`) into JOB
//!   items.
//! - [`Notifier::backlog`] reports each group's pending items and their age.
//!
//! Storage, batching across restarts and transactions are the store's job;
//! which session carries a group's messages is the connection manager's.

mod backlog;
mod changes;
mod delivery;
mod ingest;
mod jobs;
mod poller;
mod supervisor;
mod upstream;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nbwss_store::{Store, StoreError};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use backlog::GroupBacklog;
pub use ingest::{IngestError, IngestReceipt};

use crate::config::Config;
use crate::connection::Sessions;
use crate::registry::Registry;
use crate::shutdown::Shutdown;

/// Store name of the upstream API key the job poller sends.
pub const UPSTREAM_API_KEY_SECRET: &str = "notification.upstreamApiKey";

/// Notification settings taken from the validated configuration.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// `notification.scheduledRate`: the resend interval of an
    /// unacknowledged request and the job poller's period.
    pub scheduled_rate: Duration,
    /// `notification.sendTimeout`: how long a send may wait for room in the
    /// session's outbound queue.
    pub send_timeout: Duration,
    /// `notification.maxBatch`: most items in one NOTIFICATION REQUEST.
    pub max_batch: usize,
    /// `notification.maxPendingPerGroup`: most items in one group's outbox.
    pub max_pending: u64,
    /// The job poller's settings, `None` when it is disabled.
    pub job_poller: Option<PollerSettings>,
}

/// The job poller's upstream settings.
#[derive(Debug, Clone)]
pub struct PollerSettings {
    /// `command.upstreamUrl`: the REST API's base URL.
    pub upstream_url: String,
    /// `command.upstreamCaFile`: an extra CA that the REST API's
    /// certificate may chain to.
    pub ca_file: Option<PathBuf>,
    /// `command.timeout`: the limit on each page request.
    pub request_timeout: Duration,
}

impl NotifySettings {
    /// Takes the notification settings from `config`.
    pub fn from_config(config: &Config) -> NotifySettings {
        let job_poller = config.job_poller_enabled.then(|| PollerSettings {
            upstream_url: config.upstream_url.clone(),
            ca_file: config.upstream_ca_file.clone(),
            request_timeout: config.command_timeout,
        });
        NotifySettings {
            scheduled_rate: config.notification_scheduled_rate,
            send_timeout: config.notification_send_timeout,
            max_batch: config.notification_max_batch.max(1),
            max_pending: config.max_pending_per_group,
            job_poller,
        }
    }
}

/// The notification pipeline's handle; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    shared: Arc<Shared>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// State shared by the pipeline's tasks.
pub(crate) struct Shared {
    pub registry: Registry,
    pub sessions: Sessions,
    pub shutdown: Shutdown,
    pub settings: NotifySettings,
    pub wakers: Wakers,
}

impl Shared {
    pub fn store(&self) -> &Store {
        self.registry.store()
    }

    /// Returns every group with at least one activated endpoint, in name
    /// order.
    pub fn activated_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self
            .registry
            .snapshot()
            .into_iter()
            .filter(|entry| entry.activated)
            .map(|entry| entry.details.group_id)
            .collect();
        groups.sort();
        groups.dedup();
        groups
    }
}

impl Notifier {
    /// Starts the delivery supervisor and, when enabled, the job poller.
    pub fn start(
        settings: NotifySettings,
        registry: Registry,
        sessions: Sessions,
        shutdown: Shutdown,
    ) -> Notifier {
        let poller_settings = settings.job_poller.clone();
        let shared = Arc::new(Shared {
            registry,
            sessions,
            shutdown,
            settings,
            wakers: Wakers::default(),
        });
        let mut tasks = vec![tokio::spawn(supervisor::run(Arc::clone(&shared)))];
        if let Some(poller_settings) = poller_settings {
            tasks.push(tokio::spawn(poller::run(
                Arc::clone(&shared),
                poller_settings,
            )));
        }
        Notifier {
            shared,
            tasks: Arc::new(Mutex::new(tasks)),
        }
    }

    /// Validates items, stores them in the outbox of every group with an
    /// activated endpoint in one transaction, and returns after the commit.
    pub async fn ingest(&self, items: serde_json::Value) -> Result<IngestReceipt, IngestError> {
        ingest::ingest(&self.shared, items).await
    }

    /// Returns the backlog of every group that has an activated endpoint or
    /// pending items, in name order. A group whose backlog cannot be read
    /// is left out and the error is logged.
    pub fn backlog(&self) -> Vec<GroupBacklog> {
        backlog::all_groups(&self.shared)
    }

    /// Waits until every task has ended after shutdown was triggered.
    pub async fn stopped(&self) {
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        for task in tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "notification task failed");
            }
        }
    }
}

/// One wake-up signal per group, raised when items are added to its outbox.
///
/// `Notify::notify_one` keeps a permit when no task is waiting, so an
/// enqueue that lands between a delivery task's empty peek and its wait is
/// not missed.
#[derive(Default)]
pub(crate) struct Wakers {
    groups: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wakers {
    pub fn get(&self, group: &str) -> Arc<Notify> {
        let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(groups.entry(group.to_owned()).or_default())
    }

    pub fn wake(&self, group: &str) {
        self.get(group).notify_one();
    }
}

/// Runs a store call on the blocking thread pool, because every store call
/// is a synchronous redb transaction and writes wait for an fsync.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &Store,
    work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || work(&store)).await {
        Ok(result) => result,
        // A blocking task is never aborted, and the runtime cancels it only
        // while shutting down, so the error is a panic to pass on.
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}
