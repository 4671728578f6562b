//! Notification throughput from ingest to acknowledgement: items go into
//! the service's durable outbox through `Notifier::ingest`, the delivery
//! task sends them as NOTIFICATION REQUESTs, and the endpoint application
//! acknowledges each request as soon as it arrives.
//!
//! Each ingest call carries as many items as `notification.maxBatch`, so
//! the batch-of-1 run commits one transaction per item and the batch-of-100
//! run one per hundred. The clock runs from the first ingest call to the
//! acknowledgement of the last item; store commits are included.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nbwss_endpoint::Notifications;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::machine;
use crate::plan::{NotificationRun, RUN_TIME_CAP};
use crate::rig::Rig;
use crate::upstream::Upstream;

/// Upper bound on waiting for outstanding acknowledgements after the last
/// ingest call.
const DRAIN_WAIT: Duration = Duration::from_secs(120);

/// One notification run's figures.
#[derive(Debug, Clone)]
pub struct NotifyResult {
    /// `notification.maxBatch`, also the items per ingest call.
    pub max_batch: usize,
    /// Items ingested and acknowledged.
    pub items: usize,
    /// NOTIFICATION REQUESTs the endpoint received.
    pub requests: usize,
    /// From the first ingest call to the last acknowledgement.
    pub elapsed: Duration,
    /// Time spent in ingest calls alone.
    pub ingest_elapsed: Duration,
    /// CPU time the whole process used during the timed part, when known.
    pub cpu: Option<Duration>,
    /// The reason the run stopped early, if it did.
    pub error: Option<String>,
}

impl NotifyResult {
    /// Acknowledged items per second, end to end.
    pub fn items_per_second(&self) -> f64 {
        per_second(self.items, self.elapsed)
    }

    /// CPU time of the whole process per acknowledged item.
    pub fn cpu_per_item(&self) -> Option<Duration> {
        let items = u32::try_from(self.items).ok().filter(|&n| n > 0)?;
        self.cpu.map(|cpu| cpu / items)
    }

    /// Items per second that ingest alone committed.
    pub fn ingest_per_second(&self) -> f64 {
        per_second(self.items, self.ingest_elapsed)
    }
}

fn per_second(count: usize, time: Duration) -> f64 {
    let seconds = time.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// Starts a service for each run of the plan and measures it.
pub async fn measure(upstream: &Upstream, runs: &[NotificationRun]) -> Vec<NotifyResult> {
    let mut results = Vec::new();
    for run in runs {
        crate::progress(&format!(
            "notifications: {} items, maxBatch {}",
            run.items, run.max_batch
        ));
        let result = match measure_one(upstream, *run).await {
            Ok(result) => result,
            Err(error) => NotifyResult {
                max_batch: run.max_batch,
                items: 0,
                requests: 0,
                elapsed: Duration::ZERO,
                ingest_elapsed: Duration::ZERO,
                cpu: None,
                error: Some(format!("{error:#}")),
            },
        };
        results.push(result);
    }
    results
}

async fn measure_one(upstream: &Upstream, run: NotificationRun) -> anyhow::Result<NotifyResult> {
    let rig = Rig::start(upstream, run.max_batch).await?;
    let notifications = rig
        .notifications()
        .context("the endpoint's notification stream was already taken")?;
    let (acked_tx, acked) = watch::channel(Tally::default());
    let consumer = tokio::spawn(acknowledge_all(notifications, acked_tx));
    let outcome = timed_run(&rig, run, acked).await;
    consumer.abort();
    rig.stop().await;
    outcome
}

/// Items and requests acknowledged so far.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    items: usize,
    requests: usize,
}

async fn acknowledge_all(mut notifications: Notifications, acked: watch::Sender<Tally>) {
    while let Some(notification) = notifications.recv().await {
        let items = notification.items.len();
        if notification.ack().is_err() {
            continue;
        }
        acked.send_modify(|tally| {
            tally.items += items;
            tally.requests += 1;
        });
    }
}

/// Sends one untimed batch to open the path, then runs the timed part.
async fn timed_run(
    rig: &Rig,
    run: NotificationRun,
    mut acked: watch::Receiver<Tally>,
) -> anyhow::Result<NotifyResult> {
    let batch = run.max_batch.max(1);
    ingest(rig, 0, batch).await?;
    wait_for_items(&mut acked, batch).await?;
    let before = *acked.borrow();

    let cpu_before = machine::own_cpu_time();
    let started = Instant::now();
    let mut ingested = 0;
    let mut error = None;
    while ingested < run.items && started.elapsed() < RUN_TIME_CAP {
        let count = batch.min(run.items - ingested);
        if let Err(failure) = ingest(rig, batch + ingested, count).await {
            error = Some(format!("{failure:#}"));
            break;
        }
        ingested += count;
    }
    let ingest_elapsed = started.elapsed();
    wait_for_items(&mut acked, before.items + ingested).await?;
    let elapsed = started.elapsed();
    let cpu = machine::own_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let after = *acked.borrow();
    Ok(NotifyResult {
        max_batch: run.max_batch,
        items: after.items - before.items,
        requests: after.requests - before.requests,
        elapsed,
        ingest_elapsed,
        cpu,
        error,
    })
}

async fn wait_for_items(acked: &mut watch::Receiver<Tally>, items: usize) -> anyhow::Result<()> {
    match tokio::time::timeout(DRAIN_WAIT, acked.wait_for(|tally| tally.items >= items)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => bail!("the endpoint's notification stream ended"),
        Err(_) => bail!(
            "{items} items not acknowledged within {} s",
            DRAIN_WAIT.as_secs()
        ),
    }
}

/// Ingests `count` JOB items numbered from `first`.
async fn ingest(rig: &Rig, first: usize, count: usize) -> anyhow::Result<()> {
    let items: Vec<Value> = (first..first + count).map(job_item).collect();
    rig.notifier
        .ingest(Value::Array(items))
        .await
        .context("ingest failed")?;
    Ok(())
}

/// Builds one JOB item with one record.
fn job_item(number: usize) -> Value {
    json!({
        "notificationType": "INFO",
        "object": "JOB",
        "data": [{
            "jobId": number + 1,
            "parentJobId": number + 1,
            "jobType": "BACKUP",
            "state": "DONE",
            "status": 0,
            "startTime": 1_700_000_000,
            "policyName": "bench",
            "policyType": "STANDARD",
            "scheduleType": "ST_FULL",
            "clientName": "client-1"
        }]
    })
}
