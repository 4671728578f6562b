//! The jobs list (filter, paging, sorting, errors) and a job by id, over
//! HTTPS.

mod common;

use std::time::Duration;

use common::{TestServer, all_jobs, attribute, config, data, encode, iso, start, start_time};
use serde_json::Value;

const JOBS: &str = "/netbackup/admin/jobs";

/// Starts a server with 40 finished back-dated jobs and 6 new ones (3 ACTIVE
/// and 3 QUEUED), all stamped 65 s after the start.
async fn busy_server() -> TestServer {
    let mut settings = config();
    settings.job_interval = Duration::from_secs(10);
    settings.initial_jobs = 40;
    let server = start(settings).await;
    server.sim.advance_by(Duration::from_secs(65));
    server
}

async fn filtered(server: &TestServer, filter: &str) -> Value {
    let path = format!("{JOBS}?page[limit]=100&filter={}", encode(filter));
    server.get_ok(&path).await
}

fn count(document: &Value) -> u64 {
    document["meta"]["pagination"]["count"]
        .as_u64()
        .expect("count is a number")
}

async fn error_message(server: &TestServer, path: &str) -> (u16, Value, String) {
    let reply = server.get(path).await;
    let message = reply.json["errorMessage"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (reply.status, reply.json["errorCode"].clone(), message)
}

/// The default list is the newest 10 jobs with NetBackup's media type.
#[tokio::test]
async fn lists_newest_ten_by_default() {
    let server = busy_server().await;
    let reply = server.get(JOBS).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.content_type,
        "application/vnd.netbackup+json;version=8.0"
    );
    let ids: Vec<u64> = attribute(&reply.json, "jobId")
        .iter()
        .map(|id| id.as_u64().expect("jobId is a number"))
        .collect();
    assert_eq!(ids, (37..=46).rev().collect::<Vec<u64>>());
    assert_eq!(data(&reply.json)[0]["type"], "job");
    assert_eq!(data(&reply.json)[0]["id"], "46");
}

/// Pagination metadata describes the first page.
#[tokio::test]
async fn first_page_metadata() {
    let server = busy_server().await;
    let document = server.get_ok(JOBS).await;
    let pagination = &document["meta"]["pagination"];
    assert_eq!(pagination["count"], 46);
    assert_eq!(pagination["offset"], 0);
    assert_eq!(pagination["limit"], 10);
    assert_eq!(pagination["page"], 0);
    assert_eq!(pagination["pages"], 5);
    assert_eq!(pagination["first"], 0);
    assert_eq!(pagination["last"], 40);
    assert_eq!(pagination["next"], 10);
    assert!(pagination["prev"].is_null(), "no prev on the first page");
}

/// Each state filter returns only jobs in that state.
#[tokio::test]
async fn filters_on_state() {
    let server = busy_server().await;
    for (state, expected) in [("QUEUED", 3), ("ACTIVE", 3), ("DONE", 40)] {
        let document = filtered(&server, &format!("state eq '{state}'")).await;
        assert_eq!(count(&document), expected, "count of {state}");
        for value in attribute(&document, "state") {
            assert_eq!(value, state);
        }
    }
}

/// A job type filter returns exactly the jobs of that type.
#[tokio::test]
async fn filters_on_job_type() {
    let server = busy_server().await;
    let jobs = all_jobs(&server).await;
    for job_type in ["BACKUP", "RESTORE", "DUPLICATE"] {
        let expected = jobs.iter().filter(|job| job["jobType"] == job_type).count();
        let document = filtered(&server, &format!("jobType eq '{job_type}'")).await;
        assert_eq!(count(&document), expected as u64, "count of {job_type}");
        for value in attribute(&document, "jobType") {
            assert_eq!(value, job_type);
        }
    }
}

/// `lastUpdateTime gt` returns only jobs changed after the cursor.
#[tokio::test]
async fn filters_on_last_update_time() {
    let server = busy_server().await;
    let cursor = iso(start_time());
    let newer = filtered(&server, &format!("lastUpdateTime gt {cursor}")).await;
    assert_eq!(count(&newer), 6);
    for value in attribute(&newer, "lastUpdateTime") {
        let text = value.as_str().expect("time is a string");
        assert!(text > cursor.as_str(), "{text} is after {cursor}");
    }
    let older = filtered(&server, &format!("lastUpdateTime le {cursor}")).await;
    assert_eq!(count(&older), 40);
}

/// Conditions joined with `and` must all hold.
#[tokio::test]
async fn combines_filters_with_and() {
    let server = busy_server().await;
    let cursor = iso(start_time() + Duration::from_secs(60));
    let jobs = all_jobs(&server).await;
    let expected = jobs
        .iter()
        .filter(|job| job["jobType"] == "BACKUP" && job["state"] != "DONE")
        .filter(|job| job["lastUpdateTime"].as_str().unwrap_or_default() > cursor.as_str())
        .count();
    let filter = format!("jobType eq 'BACKUP' and state ne 'DONE' and lastUpdateTime gt {cursor}");
    let document = filtered(&server, &filter).await;
    assert_eq!(count(&document), expected as u64);
    assert!(expected > 0, "the seed gives at least one running backup");
}

/// `page[limit]` and `page[offset]` select a middle page.
#[tokio::test]
async fn pages_with_limit_and_offset() {
    let server = busy_server().await;
    let document = server
        .get_ok(&format!("{JOBS}?page[limit]=7&page[offset]=14"))
        .await;
    let ids: Vec<&Value> = attribute(&document, "jobId");
    assert_eq!(ids.len(), 7);
    assert_eq!(ids[0], 32);
    let pagination = &document["meta"]["pagination"];
    assert_eq!(pagination["page"], 2);
    assert_eq!(pagination["pages"], 7);
    assert_eq!(pagination["prev"], 7);
    assert_eq!(pagination["next"], 21);
    assert_eq!(pagination["last"], 42);
    let next = document["links"]["next"]["href"]
        .as_str()
        .expect("next link");
    assert!(next.contains("page[offset]=21"), "{next}");
}

/// The last page has fewer items and no next page.
#[tokio::test]
async fn last_page_has_no_next() {
    let server = busy_server().await;
    let document = server
        .get_ok(&format!("{JOBS}?page[limit]=7&page[offset]=42"))
        .await;
    assert_eq!(data(&document).len(), 4);
    assert!(document["meta"]["pagination"]["next"].is_null());
    assert!(document["links"]["next"].is_null());
}

/// `sort=jobId` lists the oldest job first.
#[tokio::test]
async fn sorts_by_job_id_ascending() {
    let server = busy_server().await;
    let document = server.get_ok(&format!("{JOBS}?sort=jobId")).await;
    let ids: Vec<&Value> = attribute(&document, "jobId");
    assert_eq!(ids[0], 1);
    assert_eq!(ids[9], 10);
}

/// `sort=-lastUpdateTime` lists the most recently changed jobs first.
#[tokio::test]
async fn sorts_by_last_update_time_descending() {
    let server = busy_server().await;
    let document = server
        .get_ok(&format!("{JOBS}?sort=-lastUpdateTime&page[limit]=100"))
        .await;
    let times: Vec<&str> = attribute(&document, "lastUpdateTime")
        .iter()
        .map(|value| value.as_str().expect("time is a string"))
        .collect();
    for pair in times.windows(2) {
        assert!(pair[0] >= pair[1], "{} before {}", pair[0], pair[1]);
    }
}

/// Malformed filters get a 400 with code 9001 naming the bad token.
#[tokio::test]
async fn rejects_bad_filters() {
    let server = busy_server().await;
    let cases = [
        ("state eq DONE", "DONE"),
        ("color eq 'red'", "color"),
        ("state eq 'DONE' or jobId eq 1", "or"),
        ("lastUpdateTime gt yesterday", "yesterday"),
        ("jobId between 1", "between"),
    ];
    for (filter, named) in cases {
        let path = format!("{JOBS}?filter={}", encode(filter));
        let (status, code, message) = error_message(&server, &path).await;
        assert_eq!(status, 400, "status for {filter}");
        assert_eq!(code, 9001, "code for {filter}");
        assert!(
            message.contains(&format!("'{named}'")),
            "{filter}: {message}"
        );
    }
}

/// Bad paging and sort values get a 400 naming the parameter and value.
#[tokio::test]
async fn rejects_bad_parameter_values() {
    let server = busy_server().await;
    let cases = [
        ("page[limit]=0", "page[limit]", "0"),
        ("page[limit]=101", "page[limit]", "101"),
        ("page[limit]=ten", "page[limit]", "ten"),
        ("page[offset]=-1", "page[offset]", "-1"),
        ("sort=color", "sort", "color"),
        ("sort=", "sort", ""),
    ];
    for (query, name, value) in cases {
        let (status, code, message) = error_message(&server, &format!("{JOBS}?{query}")).await;
        assert_eq!(status, 400, "status for {query}");
        assert_eq!(code, 9000, "code for {query}");
        assert!(message.contains(&format!("'{name}'")), "{query}: {message}");
        assert!(
            message.contains(&format!("'{value}'")),
            "{query}: {message}"
        );
    }
}

/// An unknown query parameter is rejected with the accepted ones listed.
#[tokio::test]
async fn rejects_unknown_parameter() {
    let server = busy_server().await;
    let (status, _, message) = error_message(&server, &format!("{JOBS}?limit=5")).await;
    assert_eq!(status, 400);
    assert!(message.contains("'limit'"), "{message}");
    assert!(message.contains("page[limit]"), "{message}");
}

/// A job is returned by id as a JSON:API resource.
#[tokio::test]
async fn returns_job_by_id() {
    let server = busy_server().await;
    let document = server.get_ok(&format!("{JOBS}/5")).await;
    assert_eq!(document["data"]["id"], "5");
    assert_eq!(document["data"]["attributes"]["jobId"], 5);
    assert_eq!(
        document["data"]["links"]["self"]["href"],
        "/netbackup/admin/jobs/5"
    );
}

/// An id with no job gets a 404 with code 9100.
#[tokio::test]
async fn unknown_job_is_not_found() {
    let server = busy_server().await;
    let (status, code, message) = error_message(&server, &format!("{JOBS}/9999")).await;
    assert_eq!(status, 404);
    assert_eq!(code, 9100);
    assert_eq!(message, "job '9999' not found");
}

/// A non-numeric job id gets a 400 naming it.
#[tokio::test]
async fn non_numeric_job_id_is_rejected() {
    let server = busy_server().await;
    let (status, _, message) = error_message(&server, &format!("{JOBS}/abc")).await;
    assert_eq!(status, 400);
    assert!(message.contains("'abc'"), "{message}");
}

/// Job attributes use NetBackup's names and formats.
#[tokio::test]
async fn job_attributes_have_netbackup_shape() {
    let server = busy_server().await;
    let jobs = all_jobs(&server).await;
    let keys = [
        "jobId",
        "parentJobId",
        "jobType",
        "state",
        "status",
        "policyName",
        "policyType",
        "scheduleType",
        "scheduleName",
        "clientName",
        "startTime",
        "endTime",
        "lastUpdateTime",
        "kilobytesTransferred",
        "percentComplete",
    ];
    for job in &jobs {
        for key in keys {
            assert!(job.get(key).is_some(), "job {} lacks {key}", job["jobId"]);
        }
        let schedule = job["scheduleType"].as_str().expect("scheduleType");
        assert!(
            ["FULL", "INCR", "CINC", "UBAK", "UARC"].contains(&schedule),
            "{schedule}"
        );
        let updated = job["lastUpdateTime"].as_str().expect("lastUpdateTime");
        assert_eq!(updated.len(), 24, "{updated}");
        assert!(updated.ends_with('Z'), "{updated}");
        assert_eq!(&updated[19..20], ".", "{updated}");
    }
}

/// The status mix is realistic: mostly 0, with some failures.
#[tokio::test]
async fn status_mix_is_mostly_success() {
    let mut settings = config();
    settings.job_interval = Duration::from_secs(10);
    settings.initial_jobs = 200;
    let server = start(settings).await;
    let jobs = all_jobs(&server).await;
    let successes = jobs.iter().filter(|job| job["status"] == 0).count();
    let failures = jobs
        .iter()
        .filter(|job| job["status"].as_i64().unwrap_or_default() > 1)
        .count();
    assert!(successes > 120, "successes: {successes} of 200");
    assert!(failures > 0, "no failures in 200 jobs");
}
