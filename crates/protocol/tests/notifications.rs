//! Notification item validation: errors name the item, the record and the key.

use nbwss_protocol::notification::parse_items;
use serde_json::{Value, json};

fn job() -> Value {
    json!({"jobId": 144, "parentJobId": 144, "jobType": "BACKUP", "state": "ACTIVE",
           "status": 0, "startTime": 1557225238, "policyName": "vmware2",
           "policyType": "VMWARE", "scheduleType": "ST_INCR", "clientName": "client1"})
}

fn error_for(items: Value) -> String {
    parse_items(&items)
        .expect_err("should be rejected")
        .to_string()
}

/// Each job key that is missing is named with its item and record index.
#[test]
fn names_missing_job_key() {
    for key in [
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
    ] {
        let mut record = job();
        record.as_object_mut().expect("object").remove(key);
        let message = error_for(
            json!([{"notificationType": "INFO", "object": "JOB", "data": [job(), record]}]),
        );
        assert!(message.contains(&format!("data[1].{key}")), "{message}");
        assert!(message.contains("is missing"), "{message}");
    }
}

/// An unknown key in a job record is rejected, since records have exact keys.
#[test]
fn rejects_unknown_job_key() {
    let mut record = job();
    record["percent"] = json!(50);
    let message =
        error_for(json!([{"notificationType": "INFO", "object": "JOB", "data": [record]}]));
    assert!(message.contains("data[0].percent"), "{message}");
}

/// A schedule type without the ST_ prefix is rejected and the list shown.
#[test]
fn rejects_schedule_type_without_prefix() {
    let mut record = job();
    record["scheduleType"] = json!("FULL");
    let message =
        error_for(json!([{"notificationType": "INFO", "object": "JOB", "data": [record]}]));
    assert!(message.contains("ST_FULL"), "{message}");
}

/// A state outside QUEUED, ACTIVE, DONE is rejected.
#[test]
fn rejects_unknown_state() {
    let mut record = job();
    record["state"] = json!("SUSPENDED");
    let message =
        error_for(json!([{"notificationType": "INFO", "object": "JOB", "data": [record]}]));
    assert!(message.contains("SUSPENDED"), "{message}");
}

/// The item index counts from zero across the array.
#[test]
fn names_item_index() {
    let message = error_for(json!([
        {"notificationType": "INFO", "object": "JOB", "data": [job()]},
        {"notificationType": "WARN", "object": "JOB", "data": [job()]}
    ]));
    assert!(message.starts_with("item 1:"), "{message}");
}

/// Empty payloads and empty data arrays are rejected.
#[test]
fn rejects_empty_arrays() {
    assert!(error_for(json!([])).contains("at least one item"));
    assert!(
        error_for(json!([{"notificationType": "INFO", "object": "JOB", "data": []}]))
            .contains("at least one record")
    );
}

/// An unknown object kind is rejected with the accepted kinds.
#[test]
fn rejects_unknown_object() {
    let message =
        error_for(json!([{"notificationType": "INFO", "object": "POLICY", "data": [job()]}]));
    assert!(message.contains("JOB, IMAGE"), "{message}");
}

/// An image operation outside the documented set is rejected.
#[test]
fn rejects_unknown_image_operation() {
    let message = error_for(
        json!([{"notificationType": "INFO", "object": "IMAGE", "data": [{
        "backupId": "c_1", "clientName": "c", "clientType": "VMWARE", "backupTime": 1,
        "createdTime": 2, "operationId": "MOVE"}]}]),
    );
    assert!(message.contains("data[0].operationId"), "{message}");
}

/// A job id given as a string is a type error naming the key.
#[test]
fn rejects_string_job_id() {
    let mut record = job();
    record["jobId"] = json!("144");
    let message =
        error_for(json!([{"notificationType": "INFO", "object": "JOB", "data": [record]}]));
    assert!(
        message.contains("must be an integer, found a string"),
        "{message}"
    );
}
