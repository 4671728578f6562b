//! NOTIFICATION REQUEST payloads: items about backup jobs and images.
//!
//! Parsing is strict, because the same rules validate what local scripts
//! submit for delivery: each item is `{"notificationType": "INFO", "object":
//! "JOB" | "IMAGE", "data": [...]}` and each record has exactly the keys of
//! its kind. Errors name the item index, the record index and the key.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::value::{self, FieldError};

/// The only `notificationType` defined by the protocol.
pub const INFO: &str = "INFO";

/// Job states a JOB record may carry.
pub const JOB_STATES: [&str; 3] = ["QUEUED", "ACTIVE", "DONE"];

/// Schedule types a JOB record may carry, with their `ST_` prefix.
pub const SCHEDULE_TYPES: [&str; 5] = ["ST_FULL", "ST_INCR", "ST_CINC", "ST_UBAK", "ST_UARC"];

/// Operations an IMAGE record may carry.
pub const IMAGE_OPERATIONS: [&str; 4] = ["CREATE", "UPDATE", "DELETE", "NO_LOCAL_COPY_AVAILABLE"];

/// What a notification item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ObjectKind {
    /// Backup and restore jobs.
    Job,
    /// Catalog images.
    Image,
}

/// A job event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobRecord {
    /// The job's id.
    pub job_id: i64,
    /// The parent job's id; equals `job_id` for a standalone or parent job.
    pub parent_job_id: i64,
    /// Such as `BACKUP` or `RESTORE`.
    pub job_type: String,
    /// `QUEUED`, `ACTIVE` or `DONE`.
    pub state: String,
    /// NetBackup exit status; 0 is success; meaningful when `DONE`.
    pub status: i64,
    /// Start time, seconds since the Unix epoch.
    pub start_time: i64,
    /// The policy's name; empty for a restore.
    pub policy_name: String,
    /// Such as `VMWARE` or `STANDARD`.
    pub policy_type: String,
    /// One of [`SCHEDULE_TYPES`].
    pub schedule_type: String,
    /// The client's host name.
    pub client_name: String,
}

/// A catalog image event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageRecord {
    /// `<client>_<backupTime>`.
    pub backup_id: String,
    /// The client's host name.
    pub client_name: String,
    /// Such as `VMWARE`.
    pub client_type: String,
    /// Backup time, seconds since the Unix epoch.
    pub backup_time: i64,
    /// Creation time, seconds since the Unix epoch.
    pub created_time: i64,
    /// One of [`IMAGE_OPERATIONS`].
    pub operation_id: String,
}

/// The records of one item, all of the item's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Records {
    /// Records of a `JOB` item.
    Jobs(Vec<JobRecord>),
    /// Records of an `IMAGE` item.
    Images(Vec<ImageRecord>),
}

/// One element of a NOTIFICATION REQUEST payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationItem {
    /// Always `INFO` in this protocol version.
    pub notification_type: String,
    /// The records, which also tell the item's `object`.
    pub records: Records,
}

impl NotificationItem {
    /// An `INFO` item with job records.
    pub fn jobs(records: Vec<JobRecord>) -> NotificationItem {
        NotificationItem {
            notification_type: INFO.to_owned(),
            records: Records::Jobs(records),
        }
    }

    /// An `INFO` item with image records.
    pub fn images(records: Vec<ImageRecord>) -> NotificationItem {
        NotificationItem {
            notification_type: INFO.to_owned(),
            records: Records::Images(records),
        }
    }

    /// The item's `object`.
    pub fn object(&self) -> ObjectKind {
        match self.records {
            Records::Jobs(_) => ObjectKind::Job,
            Records::Images(_) => ObjectKind::Image,
        }
    }

    /// Parses and validates one item.
    pub fn from_value(value: &Value) -> Result<NotificationItem, ItemError> {
        parse_item(value).map_err(|(key, problem)| ItemError {
            index: 0,
            key,
            problem,
        })
    }

    /// Serialises the item with exactly the documented keys.
    pub fn to_value(&self) -> Value {
        let data = match &self.records {
            Records::Jobs(records) => serde_json::to_value(records),
            Records::Images(records) => serde_json::to_value(records),
        }
        .unwrap_or(Value::Array(Vec::new()));
        serde_json::json!({
            "notificationType": self.notification_type,
            "object": self.object(),
            "data": data,
        })
    }
}

/// A notification item that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {index}: key \"{key}\" {problem}")]
pub struct ItemError {
    /// Zero-based index of the item in the array.
    pub index: usize,
    /// The offending key, with a path such as `data[2].state`.
    pub key: String,
    /// What is wrong and what is accepted.
    pub problem: String,
}

/// Parses a NOTIFICATION REQUEST payload: an array of one or more items.
pub fn parse_items(value: &Value) -> Result<Vec<NotificationItem>, ItemError> {
    let Value::Array(items) = value else {
        return Err(ItemError {
            index: 0,
            key: "payload".to_owned(),
            problem: format!(
                "must be an array of items, found {}",
                value::type_name(value)
            ),
        });
    };
    if items.is_empty() {
        return Err(ItemError {
            index: 0,
            key: "payload".to_owned(),
            problem: "must hold at least one item".to_owned(),
        });
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse_item(item).map_err(|(key, problem)| ItemError {
                index,
                key,
                problem,
            })
        })
        .collect()
}

fn parse_item(value: &Value) -> Result<NotificationItem, FieldError> {
    let Value::Object(map) = value else {
        return Err((
            "item".to_owned(),
            format!("must be an object, found {}", value::type_name(value)),
        ));
    };
    for key in map.keys() {
        if !["notificationType", "object", "data"].contains(&key.as_str()) {
            return Err((
                key.clone(),
                "is not a known key; expected notificationType, object, data".to_owned(),
            ));
        }
    }
    let notification_type = value::string(map, "notificationType")?;
    if notification_type != INFO {
        return Err((
            "notificationType".to_owned(),
            format!("{notification_type:?} is not supported, expected \"INFO\""),
        ));
    }
    let object = value::string(map, "object")?;
    let Value::Array(data) = value::required(map, "data")? else {
        return Err(value::wrong_type(
            "data",
            "an array of records",
            &map["data"],
        ));
    };
    if data.is_empty() {
        return Err((
            "data".to_owned(),
            "must hold at least one record".to_owned(),
        ));
    }
    let records = match object {
        "JOB" => Records::Jobs(parse_records(data, parse_job)?),
        "IMAGE" => Records::Images(parse_records(data, parse_image)?),
        other => {
            return Err((
                "object".to_owned(),
                format!("{other:?} is not one of JOB, IMAGE"),
            ));
        }
    };
    Ok(NotificationItem {
        notification_type: INFO.to_owned(),
        records,
    })
}

fn parse_records<T>(
    data: &[Value],
    parse: fn(&Map<String, Value>) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldError> {
    data.iter()
        .enumerate()
        .map(|(i, record)| {
            let Value::Object(map) = record else {
                return Err((
                    format!("data[{i}]"),
                    format!("must be an object, found {}", value::type_name(record)),
                ));
            };
            parse(map).map_err(|(key, problem)| (format!("data[{i}].{key}"), problem))
        })
        .collect()
}

const JOB_KEYS: [&str; 10] = [
    "jobId",
    "parentJobId",
    "jobType",
    "state",
    "status",
    "startTime",
    "policyName",
    "policyType",
    "scheduleType",
    "clientName",
];

const IMAGE_KEYS: [&str; 6] = [
    "backupId",
    "clientName",
    "clientType",
    "backupTime",
    "createdTime",
    "operationId",
];

fn reject_unknown(map: &Map<String, Value>, known: &[&str]) -> Result<(), FieldError> {
    match map.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err((
            key.clone(),
            format!("is not a known key; expected {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn one_of(map: &Map<String, Value>, key: &str, accepted: &[&str]) -> Result<String, FieldError> {
    let text = value::string(map, key)?;
    if accepted.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err((
            key.to_owned(),
            format!("{text:?} is not one of {}", accepted.join(", ")),
        ))
    }
}

fn non_empty(map: &Map<String, Value>, key: &str) -> Result<String, FieldError> {
    let text = value::string(map, key)?;
    if text.is_empty() {
        Err((key.to_owned(), "must not be empty".to_owned()))
    } else {
        Ok(text.to_owned())
    }
}

fn parse_job(map: &Map<String, Value>) -> Result<JobRecord, FieldError> {
    reject_unknown(map, &JOB_KEYS)?;
    Ok(JobRecord {
        job_id: value::integer(map, "jobId")?,
        parent_job_id: value::integer(map, "parentJobId")?,
        job_type: non_empty(map, "jobType")?,
        state: one_of(map, "state", &JOB_STATES)?,
        status: value::integer(map, "status")?,
        start_time: value::integer(map, "startTime")?,
        policy_name: value::string(map, "policyName")?.to_owned(),
        policy_type: value::string(map, "policyType")?.to_owned(),
        schedule_type: one_of(map, "scheduleType", &SCHEDULE_TYPES)?,
        client_name: non_empty(map, "clientName")?,
    })
}

fn parse_image(map: &Map<String, Value>) -> Result<ImageRecord, FieldError> {
    reject_unknown(map, &IMAGE_KEYS)?;
    Ok(ImageRecord {
        backup_id: non_empty(map, "backupId")?,
        client_name: non_empty(map, "clientName")?,
        client_type: value::string(map, "clientType")?.to_owned(),
        backup_time: value::integer(map, "backupTime")?,
        created_time: value::integer(map, "createdTime")?,
        operation_id: one_of(map, "operationId", &IMAGE_OPERATIONS)?,
    })
}
