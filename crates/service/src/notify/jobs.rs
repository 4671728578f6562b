//! Turns a job from the REST API's jobs list (a JSON:API resource whose
//! `attributes` carry the job) into a JOB notification record, and the
//! time stamps the job poller reads and writes.
//!
//! The REST API has more states and schedule types than a JOB record
//! allows; the mappings below pick the nearest allowed value. Fetching the
//! jobs and deciding which changes to emit is left to the poller.

use nbwss_protocol::JobRecord;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A job as the poller uses it: the record to send and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UpstreamJob {
    /// The JOB record, with `state` and `scheduleType` already mapped.
    pub record: JobRecord,
    /// The job's `lastUpdateTime`.
    pub last_update: OffsetDateTime,
}

/// Error for a job from the REST API that cannot be turned into a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job attribute \"{key}\" {problem}")]
pub(super) struct JobError {
    /// The attribute, such as `startTime`.
    pub key: &'static str,
    /// The problem and the expected value.
    pub problem: String,
}

/// Maps one element of the jobs list's `data` array.
pub(super) fn from_resource(resource: &Value) -> Result<UpstreamJob, JobError> {
    let attributes = resource
        .get("attributes")
        .and_then(Value::as_object)
        .ok_or_else(|| JobError {
            key: "attributes",
            problem: "is missing or not an object".to_owned(),
        })?;
    let job_id = integer(attributes, "jobId")?;
    // A standalone job may report its parent as 0 or not at all; the
    // protocol wants the job's own id then.
    let parent_job_id = match attributes.get("parentJobId").and_then(Value::as_i64) {
        Some(parent) if parent > 0 => parent,
        _ => job_id,
    };
    let record = JobRecord {
        job_id,
        parent_job_id,
        job_type: text(attributes, "jobType")?.to_owned(),
        state: map_state(text(attributes, "state")?).to_owned(),
        status: attributes
            .get("status")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        start_time: time(attributes, "startTime")?.unix_timestamp(),
        policy_name: optional_text(attributes, "policyName").to_owned(),
        policy_type: optional_text(attributes, "policyType").to_owned(),
        schedule_type: map_schedule_type(optional_text(attributes, "scheduleType")).to_owned(),
        client_name: text(attributes, "clientName")?.to_owned(),
    };
    Ok(UpstreamJob {
        record,
        last_update: time(attributes, "lastUpdateTime")?,
    })
}

/// Maps a REST API job state to one of `QUEUED`, `ACTIVE` and `DONE`.
///
/// Waiting states (`QUEUED`, `RE_QUEUED`/`REQUEUED`, `WAITING_FOR_RETRY`,
/// `SUSPENDED`) become `QUEUED`, because the job is not running and will
/// run again. Ended states (`DONE`, `INCOMPLETE`, `CANCELED`) become `DONE`,
/// and the exit status shows how it ended. Anything else, `ACTIVE`
/// included, becomes `ACTIVE`.
pub(super) fn map_state(state: &str) -> &'static str {
    match state.to_ascii_uppercase().as_str() {
        "QUEUED" | "RE_QUEUED" | "REQUEUED" | "WAITING_FOR_RETRY" | "SUSPENDED" => "QUEUED",
        "DONE" | "INCOMPLETE" | "CANCELED" | "CANCELLED" => "DONE",
        _ => "ACTIVE",
    }
}

/// Maps a REST API schedule type to the `ST_` form a JOB record carries.
///
/// `FULL`, `INCR`, `CINC`, `UBAK` and `UARC` gain the prefix. The long
/// names (`DIFFERENTIAL_INCREMENTAL`, `CUMULATIVE_INCREMENTAL`,
/// `USER_BACKUP`, `USER_ARCHIVE`) map to their short form, and a value
/// already in `ST_` form is kept. Anything else, such as the empty schedule type of a restore or
/// a maintenance job, becomes `ST_FULL`, because a record must carry one of
/// the five values.
pub(super) fn map_schedule_type(schedule_type: &str) -> &'static str {
    let upper = schedule_type.to_ascii_uppercase();
    let short = upper.strip_prefix("ST_").unwrap_or(&upper);
    match short {
        "INCR" | "DIFFERENTIAL_INCREMENTAL" | "DIFFERENTIAL_INCREMENTAL_BACKUP" => "ST_INCR",
        "CINC" | "CUMULATIVE_INCREMENTAL" | "CUMULATIVE_INCREMENTAL_BACKUP" => "ST_CINC",
        "UBAK" | "USER_BACKUP" => "ST_UBAK",
        "UARC" | "USER_ARCHIVE" => "ST_UARC",
        _ => "ST_FULL",
    }
}

/// Formats a time as the REST API writes it: UTC with exactly three
/// fraction digits, such as `2026-12-04T15:04:05.000Z`.
pub(super) fn format_time(time: OffsetDateTime) -> String {
    let utc = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

/// Parses an RFC 3339 time, such as a stored cursor.
pub(super) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

fn integer(attributes: &Map<String, Value>, key: &'static str) -> Result<i64, JobError> {
    attributes
        .get(key)
        .and_then(Value::as_i64)
        .ok_or_else(|| JobError {
            key,
            problem: "is missing or not an integer".to_owned(),
        })
}

fn text<'a>(attributes: &'a Map<String, Value>, key: &'static str) -> Result<&'a str, JobError> {
    match attributes.get(key).and_then(Value::as_str) {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(JobError {
            key,
            problem: "is missing or not a non-empty string".to_owned(),
        }),
    }
}

fn optional_text<'a>(attributes: &'a Map<String, Value>, key: &str) -> &'a str {
    attributes.get(key).and_then(Value::as_str).unwrap_or("")
}

fn time(attributes: &Map<String, Value>, key: &'static str) -> Result<OffsetDateTime, JobError> {
    let text = text(attributes, key)?;
    parse_time(text).ok_or_else(|| JobError {
        key,
        problem: format!("{text:?} is not an RFC 3339 time such as 2026-12-04T15:04:05.000Z"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(state: &str, schedule_type: &str) -> Value {
        json!({
            "type": "job",
            "id": "144",
            "attributes": {
                "jobId": 144,
                "parentJobId": 0,
                "jobType": "BACKUP",
                "state": state,
                "status": 0,
                "policyName": "vmware2",
                "policyType": "VMWARE",
                "scheduleType": schedule_type,
                "clientName": "vm01.example.com",
                "startTime": "2026-12-04T15:04:05.000Z",
                "lastUpdateTime": "2026-12-04T15:05:06.789Z",
                "kilobytesTransferred": 10
            }
        })
    }

    /// A job maps to a record with epoch seconds and the ST_ prefix.
    #[test]
    fn maps_job_resource_to_record() {
        let job = from_resource(&resource("ACTIVE", "FULL")).expect("valid job");
        let expected = JobRecord {
            job_id: 144,
            parent_job_id: 144,
            job_type: "BACKUP".to_owned(),
            state: "ACTIVE".to_owned(),
            status: 0,
            start_time: 1_796_396_645,
            policy_name: "vmware2".to_owned(),
            policy_type: "VMWARE".to_owned(),
            schedule_type: "ST_FULL".to_owned(),
            client_name: "vm01.example.com".to_owned(),
        };
        assert_eq!(job.record, expected);
        assert_eq!(format_time(job.last_update), "2026-12-04T15:05:06.789Z");
    }

    /// Each documented schedule type gets its ST_ form.
    #[test]
    fn maps_schedule_types() {
        let cases = [
            ("FULL", "ST_FULL"),
            ("INCR", "ST_INCR"),
            ("CINC", "ST_CINC"),
            ("UBAK", "ST_UBAK"),
            ("UARC", "ST_UARC"),
            ("ST_INCR", "ST_INCR"),
            ("CUMULATIVE_INCREMENTAL", "ST_CINC"),
            ("", "ST_FULL"),
        ];
        for (upstream, expected) in cases {
            assert_eq!(map_schedule_type(upstream), expected, "for {upstream:?}");
        }
    }

    /// Extra NetBackup states map to the nearest protocol state.
    #[test]
    fn maps_states_to_nearest() {
        let cases = [
            ("QUEUED", "QUEUED"),
            ("RE_QUEUED", "QUEUED"),
            ("SUSPENDED", "QUEUED"),
            ("ACTIVE", "ACTIVE"),
            ("DONE", "DONE"),
            ("INCOMPLETE", "DONE"),
            ("SOMETHING_NEW", "ACTIVE"),
        ];
        for (upstream, expected) in cases {
            assert_eq!(map_state(upstream), expected, "for {upstream:?}");
        }
    }

    /// A start time that is not RFC 3339 is rejected, naming the key.
    #[test]
    fn rejects_unparsable_start_time() {
        let mut value = resource("DONE", "FULL");
        value["attributes"]["startTime"] = json!("yesterday");
        let error = from_resource(&value).expect_err("bad time");
        assert_eq!(error.key, "startTime");
    }

    /// The mapped record passes the protocol's own validation.
    #[test]
    fn mapped_record_is_valid_item() {
        let job = from_resource(&resource("QUEUED", "UARC")).expect("valid job");
        let item = nbwss_protocol::NotificationItem::jobs(vec![job.record]);
        let parsed = nbwss_protocol::NotificationItem::from_value(&item.to_value());
        assert!(parsed.is_ok(), "{parsed:?}");
    }
}
