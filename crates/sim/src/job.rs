//! One simulated job: its attributes as the jobs API returns them, and its
//! life cycle QUEUED, ACTIVE, DONE.
//!
//! A job's due times come from its creation slot, so they do not depend on
//! how often the clock ticks. Every visible change is stamped with the tick
//! time, so `lastUpdateTime` never goes back and a `lastUpdateTime gt
//! <cursor>` poll returns each change. A tick that passes several due times
//! at once applies them together, so a poll then sees only the last state. Creating jobs, keeping them and turning
//! them into catalog images is left to `state`.

use std::cmp::Ordering;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::catalog::JobPlan;
use crate::filter::{Field, FieldKind, FieldValue, Filterable};
use crate::timefmt;

/// A job's state. NetBackup has more (such as RE_QUEUED), which the
/// simulator never enters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum JobState {
    Queued,
    Active,
    Done,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Active => "ACTIVE",
            Self::Done => "DONE",
        }
    }
}

/// A job, serialized as the `attributes` of a JSON:API `job` resource.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Job {
    pub job_id: u64,
    /// Equal to `job_id`: the simulator makes only standalone jobs.
    pub parent_job_id: u64,
    pub job_type: &'static str,
    pub state: JobState,
    /// 0 until the job is DONE, then its exit status.
    pub status: i32,
    pub policy_name: &'static str,
    pub policy_type: &'static str,
    pub schedule_type: &'static str,
    pub schedule_name: &'static str,
    pub client_name: &'static str,
    pub destination_media_server_name: &'static str,
    pub destination_storage_unit_name: &'static str,
    pub job_owner: &'static str,
    pub priority: u32,
    #[serde(rename = "try")]
    pub attempt: u32,
    pub kilobytes_transferred: u64,
    pub kilobytes_to_transfer: u64,
    pub number_of_files: u64,
    pub estimated_files: u64,
    pub percent_complete: u8,
    /// Average kilobytes per second while ACTIVE, or 0 until DONE.
    pub transfer_rate: u64,
    /// The catalog image's id (`<client>_<backupTime>`) once one exists.
    pub backup_id: String,
    /// When the job was queued.
    #[serde(serialize_with = "timefmt::serialize")]
    pub start_time: OffsetDateTime,
    /// When the job became ACTIVE, or `null` before.
    #[serde(serialize_with = "timefmt::serialize_option")]
    pub active_try_start_time: Option<OffsetDateTime>,
    /// When the job became DONE, or `null` before.
    #[serde(serialize_with = "timefmt::serialize_option")]
    pub end_time: Option<OffsetDateTime>,
    #[serde(serialize_with = "timefmt::serialize")]
    pub last_update_time: OffsetDateTime,
    #[serde(skip)]
    active_due: OffsetDateTime,
    #[serde(skip)]
    done_due: OffsetDateTime,
    #[serde(skip)]
    plan: JobPlan,
}

/// Fields a jobs `filter` may name.
pub(crate) const FILTER_FIELDS: &[Field] = &[
    field("jobId", FieldKind::Integer),
    field("parentJobId", FieldKind::Integer),
    field("jobType", FieldKind::Text),
    field("state", FieldKind::Text),
    field("status", FieldKind::Integer),
    field("policyName", FieldKind::Text),
    field("policyType", FieldKind::Text),
    field("scheduleType", FieldKind::Text),
    field("clientName", FieldKind::Text),
    field("startTime", FieldKind::Time),
    field("endTime", FieldKind::Time),
    field("lastUpdateTime", FieldKind::Time),
];

/// Fields a jobs `sort` may name.
pub(crate) const SORT_FIELDS: &[&str] = &[
    "jobId",
    "status",
    "clientName",
    "startTime",
    "endTime",
    "lastUpdateTime",
];

const fn field(name: &'static str, kind: FieldKind) -> Field {
    Field { name, kind }
}

impl Job {
    /// Creates a QUEUED job for creation slot `slot`, made visible at
    /// `stamp`. The job is due ACTIVE one phase after the slot and DONE two
    /// phases after.
    pub(crate) fn queued(
        job_id: u64,
        plan: JobPlan,
        slot: OffsetDateTime,
        phase: Duration,
        stamp: OffsetDateTime,
    ) -> Self {
        let active_due = slot.saturating_add(phase);
        Self {
            job_id,
            parent_job_id: job_id,
            job_type: plan.job_type,
            state: JobState::Queued,
            status: 0,
            policy_name: plan.policy_name,
            policy_type: plan.policy_type,
            schedule_type: plan.schedule_type,
            schedule_name: plan.schedule_name,
            client_name: plan.client_name,
            destination_media_server_name: plan.media_server,
            destination_storage_unit_name: plan.storage_unit,
            job_owner: "root",
            priority: 0,
            attempt: 1,
            kilobytes_transferred: 0,
            kilobytes_to_transfer: plan.kilobytes_to_transfer,
            number_of_files: 0,
            estimated_files: plan.estimated_files,
            percent_complete: 0,
            transfer_rate: 0,
            backup_id: String::new(),
            start_time: stamp,
            active_try_start_time: None,
            end_time: None,
            last_update_time: stamp,
            active_due,
            done_due: active_due.saturating_add(phase),
            plan,
        }
    }

    /// Applies every change due by `now` and stamps it with `now`. Returns
    /// true when the job became DONE in this call.
    pub(crate) fn advance(&mut self, now: OffsetDateTime) -> bool {
        if self.state == JobState::Queued && now >= self.active_due {
            self.state = JobState::Active;
            self.active_try_start_time = Some(now);
            self.last_update_time = now;
        }
        if self.state != JobState::Active {
            return false;
        }
        if now >= self.done_due {
            self.finish(now);
            return true;
        }
        self.report_progress(now);
        false
    }

    /// Tells whether this is a finished backup with status 0 or 1, which
    /// makes a catalog image.
    pub(crate) fn made_image(&self) -> bool {
        self.state == JobState::Done && self.job_type == "BACKUP" && self.status <= 1
    }

    /// Updates the transferred amounts in proportion to the time spent
    /// ACTIVE, bumping `lastUpdateTime` only when the whole percent changes.
    fn report_progress(&mut self, now: OffsetDateTime) {
        let elapsed = (now - self.active_due).as_seconds_f64();
        let phase = (self.done_due - self.active_due).as_seconds_f64();
        let share = (elapsed / phase).clamp(0.0, 1.0) * self.plan.data_fraction;
        // Progress stays below 100 until the job is DONE.
        let percent = ((share * 100.0) as u8).min(99);
        if percent == self.percent_complete {
            return;
        }
        self.set_amounts(share);
        self.percent_complete = percent;
        self.last_update_time = now;
    }

    fn finish(&mut self, now: OffsetDateTime) {
        let share = self.plan.data_fraction;
        self.set_amounts(share);
        self.state = JobState::Done;
        self.status = self.plan.final_status;
        self.percent_complete = if self.status <= 1 {
            100
        } else {
            (share * 100.0) as u8
        };
        let active_seconds = match self.active_try_start_time {
            Some(active) => (now - active).whole_seconds().max(1),
            None => 1,
        };
        self.transfer_rate = self.kilobytes_transferred / active_seconds.unsigned_abs();
        self.end_time = Some(now);
        self.last_update_time = now;
    }

    fn set_amounts(&mut self, share: f64) {
        self.kilobytes_transferred = (self.kilobytes_to_transfer as f64 * share) as u64;
        self.number_of_files = (self.estimated_files as f64 * share) as u64;
    }
}

impl Filterable for Job {
    fn field_value(&self, field: &str) -> Option<FieldValue<'_>> {
        let value = match field {
            "jobId" => FieldValue::Integer(self.job_id as i64),
            "parentJobId" => FieldValue::Integer(self.parent_job_id as i64),
            "jobType" => FieldValue::Text(self.job_type),
            "state" => FieldValue::Text(self.state.as_str()),
            "status" => FieldValue::Integer(i64::from(self.status)),
            "policyName" => FieldValue::Text(self.policy_name),
            "policyType" => FieldValue::Text(self.policy_type),
            "scheduleType" => FieldValue::Text(self.schedule_type),
            "clientName" => FieldValue::Text(self.client_name),
            "startTime" => FieldValue::Time(self.start_time),
            "endTime" => FieldValue::Time(self.end_time?),
            "lastUpdateTime" => FieldValue::Time(self.last_update_time),
            _ => return None,
        };
        Some(value)
    }
}

/// Compares two jobs on one of [`SORT_FIELDS`]. A job without an end time
/// sorts before any job with one.
pub(crate) fn compare_jobs(a: &Job, b: &Job, field: &str) -> Ordering {
    match field {
        "status" => a.status.cmp(&b.status),
        "clientName" => a.client_name.cmp(b.client_name),
        "startTime" => a.start_time.cmp(&b.start_time),
        "endTime" => a.end_time.cmp(&b.end_time),
        "lastUpdateTime" => a.last_update_time.cmp(&b.last_update_time),
        _ => a.job_id.cmp(&b.job_id),
    }
}
