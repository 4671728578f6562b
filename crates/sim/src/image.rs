//! Catalog images: one per successful or partially successful backup job,
//! kept in creation order up to a maximum.
//!
//! Deciding when a job makes an image is left to `job` and `state`, and the
//! HTTP side of the images list is left to `api::images`.

use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::filter::{Field, FieldKind, FieldValue, Filterable};
use crate::job::Job;
use crate::timefmt;

/// How long an image is kept before it expires: two weeks.
const RETENTION: Duration = Duration::weeks(2);

/// An image, serialized as the `attributes` of a JSON:API `image` resource.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Image {
    /// `<clientName>_<backupTime in epoch seconds>`.
    pub backup_id: String,
    pub client_name: &'static str,
    /// The policy type of the backup, such as `VMWARE`.
    pub client_type: &'static str,
    pub policy_name: &'static str,
    pub policy_type: &'static str,
    pub schedule_type: &'static str,
    pub schedule_name: &'static str,
    pub job_id: u64,
    /// The backup job's exit status: 0 or 1.
    pub backup_status: i32,
    pub kilobytes: u64,
    pub number_of_files: u64,
    pub media_server: &'static str,
    /// When the backup started, in whole seconds.
    #[serde(serialize_with = "timefmt::serialize")]
    pub backup_time: OffsetDateTime,
    /// When the image was recorded in the catalog: the job's end.
    #[serde(serialize_with = "timefmt::serialize")]
    pub created_time: OffsetDateTime,
    #[serde(serialize_with = "timefmt::serialize")]
    pub expiration: OffsetDateTime,
}

/// Fields an images `filter` may name.
pub(crate) const FILTER_FIELDS: &[Field] = &[
    Field {
        name: "backupTime",
        kind: FieldKind::Time,
    },
    Field {
        name: "createdTime",
        kind: FieldKind::Time,
    },
    Field {
        name: "clientName",
        kind: FieldKind::Text,
    },
    Field {
        name: "policyName",
        kind: FieldKind::Text,
    },
    Field {
        name: "policyType",
        kind: FieldKind::Text,
    },
    Field {
        name: "scheduleType",
        kind: FieldKind::Text,
    },
    Field {
        name: "jobId",
        kind: FieldKind::Integer,
    },
];

/// Fields an images `sort` may name.
pub(crate) const SORT_FIELDS: &[&str] = &["backupTime", "createdTime", "clientName", "jobId"];

impl Filterable for Image {
    fn field_value(&self, field: &str) -> Option<FieldValue<'_>> {
        let value = match field {
            "backupTime" => FieldValue::Time(self.backup_time),
            "createdTime" => FieldValue::Time(self.created_time),
            "clientName" => FieldValue::Text(self.client_name),
            "policyName" => FieldValue::Text(self.policy_name),
            "policyType" => FieldValue::Text(self.policy_type),
            "scheduleType" => FieldValue::Text(self.schedule_type),
            "jobId" => FieldValue::Integer(self.job_id as i64),
            _ => return None,
        };
        Some(value)
    }
}

/// Compares two images on one of [`SORT_FIELDS`].
pub(crate) fn compare_images(a: &Image, b: &Image, field: &str) -> Ordering {
    match field {
        "createdTime" => a.created_time.cmp(&b.created_time),
        "clientName" => a.client_name.cmp(b.client_name),
        "jobId" => a.job_id.cmp(&b.job_id),
        _ => a.backup_time.cmp(&b.backup_time),
    }
}

fn format_backup_id(client_name: &str, backup_time: OffsetDateTime) -> String {
    format!("{client_name}_{}", backup_time.unix_timestamp())
}

/// The catalog: images by backup id, dropping the oldest beyond a maximum.
pub(crate) struct Catalog {
    images: HashMap<String, Image>,
    order: VecDeque<String>,
    max_images: usize,
}

impl Catalog {
    pub(crate) fn new(max_images: usize) -> Self {
        Self {
            images: HashMap::new(),
            order: VecDeque::new(),
            max_images,
        }
    }

    /// Records the image of a finished backup job and returns its backup id.
    ///
    /// The backup time is the job's start time in whole seconds. When
    /// another image of the same client already has that second, the next
    /// free second is taken, because backup ids must be unique.
    pub(crate) fn record(&mut self, job: &Job, created_time: OffsetDateTime) -> String {
        // Zero nanoseconds is always valid, so the fallback is never taken.
        let mut backup_time = job
            .start_time
            .replace_nanosecond(0)
            .unwrap_or(job.start_time);
        let mut backup_id = format_backup_id(job.client_name, backup_time);
        while self.images.contains_key(&backup_id) {
            backup_time += Duration::SECOND;
            backup_id = format_backup_id(job.client_name, backup_time);
        }
        let image = Image {
            backup_id: backup_id.clone(),
            client_name: job.client_name,
            client_type: job.policy_type,
            policy_name: job.policy_name,
            policy_type: job.policy_type,
            schedule_type: job.schedule_type,
            schedule_name: job.schedule_name,
            job_id: job.job_id,
            backup_status: job.status,
            kilobytes: job.kilobytes_transferred,
            number_of_files: job.number_of_files,
            media_server: job.destination_media_server_name,
            backup_time,
            created_time,
            expiration: backup_time.saturating_add(RETENTION),
        };
        self.images.insert(backup_id.clone(), image);
        self.order.push_back(backup_id.clone());
        while self.order.len() > self.max_images {
            if let Some(oldest) = self.order.pop_front() {
                self.images.remove(&oldest);
            }
        }
        backup_id
    }

    pub(crate) fn get(&self, backup_id: &str) -> Option<&Image> {
        self.images.get(backup_id)
    }

    /// Iterates over the images from oldest to newest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Image> {
        self.order.iter().filter_map(|id| self.images.get(id))
    }
}
