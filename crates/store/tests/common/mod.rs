//! Helpers shared by the store's integration tests: temporary stores and
//! sample records. Each test binary uses a different subset.
#![allow(dead_code)]

use nbwss_store::{EndpointState, Secret, Store, StoredEndpoint};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Opens a store in a fresh temporary directory. Keep the `TempDir` alive
/// for as long as the store is used.
pub fn open_temp() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("create temp dir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}

/// Builds an activated endpoint record with a recognizable token.
pub fn endpoint(host: &str, group: &str, priority: u32) -> StoredEndpoint {
    StoredEndpoint {
        host_name: host.to_owned(),
        url: format!("wss://{host}:8443/nbwss"),
        group_id: group.to_owned(),
        priority,
        token: Secret::new(format!("token-for-{host}")),
        pinned_fingerprint: None,
        state: EndpointState::Activated,
        created_at: 1_700_000_000,
        updated_at: 1_700_000_000,
    }
}

/// Builds a JOB notification item whose job id is `job_id`.
pub fn item(job_id: i64) -> Value {
    json!({
        "notificationType": "INFO",
        "object": "JOB",
        "data": [{"jobId": job_id, "state": "DONE"}],
    })
}

/// Builds `count` items with job ids starting at `first`.
pub fn items(first: i64, count: i64) -> Vec<Value> {
    (first..first + count).map(item).collect()
}

/// Returns the job id of an item built by [`item`].
pub fn job_id(value: &Value) -> i64 {
    value["data"][0]["jobId"]
        .as_i64()
        .expect("item has a job id")
}
