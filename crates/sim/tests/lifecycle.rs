//! Job life cycle driven by the simulator clock, and the catalog images that
//! successful backups leave, over HTTPS.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{all_jobs, attribute, config, data, encode, iso, serve, start, start_time};
use nbwss_sim::Simulator;
use serde_json::Value;

const JOBS: &str = "/netbackup/admin/jobs";
const IMAGES: &str = "/netbackup/catalog/images";

/// The first job goes QUEUED, ACTIVE, DONE, and every change moves its
/// `lastUpdateTime` to the clock time of that step.
#[tokio::test]
async fn job_moves_through_states() {
    let server = start(config()).await;
    let t0 = start_time();
    let job = format!("{JOBS}/1");

    let created = server.sim.advance_by(Duration::from_secs(60));
    let queued = server.get_ok(&job).await["data"]["attributes"].clone();
    assert_eq!(queued["state"], "QUEUED");
    assert_eq!(queued["lastUpdateTime"], iso(created));
    assert_eq!(queued["startTime"], iso(t0 + Duration::from_secs(60)));
    assert!(queued["endTime"].is_null(), "no end time while queued");

    let activated = server.sim.advance_by(Duration::from_secs(30));
    let active = server.get_ok(&job).await["data"]["attributes"].clone();
    assert_eq!(active["state"], "ACTIVE");
    assert_eq!(active["lastUpdateTime"], iso(activated));
    assert_eq!(active["activeTryStartTime"], iso(activated));

    let finished = server.sim.advance_by(Duration::from_secs(30));
    let done = server.get_ok(&job).await["data"]["attributes"].clone();
    assert_eq!(done["state"], "DONE");
    assert_eq!(done["lastUpdateTime"], iso(finished));
    assert_eq!(done["endTime"], iso(finished));
}

/// While ACTIVE, progress grows, stays below 100, and each change of
/// `percentComplete` moves `lastUpdateTime` to the clock time.
#[tokio::test]
async fn progress_grows_while_active() {
    let mut settings = config();
    settings.job_interval = Duration::from_secs(10);
    let server = start(settings).await;
    server.sim.advance_by(Duration::from_secs(60));
    let now = server.sim.advance_by(Duration::from_secs(15));
    let filter = encode("state eq 'ACTIVE'");
    let document = server.get_ok(&format!("{JOBS}?filter={filter}")).await;
    let active = data(&document);
    assert!(!active.is_empty(), "some jobs are ACTIVE");
    let mut progressed = 0;
    for item in active {
        let job = &item["attributes"];
        let percent = job["percentComplete"].as_u64().expect("percent");
        assert!(percent < 100, "percent {percent} while ACTIVE");
        if percent > 0 {
            progressed += 1;
            assert!(job["kilobytesTransferred"].as_u64() > Some(0), "{job}");
            assert_eq!(job["lastUpdateTime"], iso(now), "{job}");
        }
    }
    assert!(progressed > 0, "no ACTIVE job made progress");
}

/// A poller that requests `lastUpdateTime gt <cursor>` every 10 s receives
/// every job in each of its three states.
#[tokio::test]
async fn poller_sees_every_transition() {
    let mut settings = config();
    settings.job_interval = Duration::from_secs(20);
    let server = start(settings).await;
    let mut cursor = iso(start_time());
    let mut seen: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for _ in 0..40 {
        server.sim.advance_by(Duration::from_secs(10));
        let filter = encode(&format!("lastUpdateTime gt {cursor}"));
        let document = server
            .get_ok(&format!(
                "{JOBS}?filter={filter}&sort=lastUpdateTime&page[limit]=100"
            ))
            .await;
        assert!(
            document["meta"]["pagination"]["next"].is_null(),
            "one page is enough"
        );
        for item in data(&document) {
            let job = &item["attributes"];
            let id = job["jobId"].as_u64().expect("jobId");
            let state = job["state"].as_str().expect("state").to_owned();
            seen.entry(id).or_default().insert(state);
            let updated = job["lastUpdateTime"].as_str().expect("time").to_owned();
            cursor = cursor.max(updated);
        }
    }
    let all_states: BTreeSet<String> = ["ACTIVE", "DONE", "QUEUED"].map(String::from).into();
    let finished: Vec<u64> = all_jobs(&server)
        .await
        .iter()
        .filter(|job| job["state"] == "DONE")
        .map(|job| job["jobId"].as_u64().expect("jobId"))
        .collect();
    assert!(
        finished.len() >= 15,
        "only {} jobs finished",
        finished.len()
    );
    for id in finished {
        assert_eq!(seen.get(&id), Some(&all_states), "states seen for job {id}");
    }
}

/// Each successful or partial backup adds one image once it is DONE, and
/// nothing else does.
#[tokio::test]
async fn successful_backups_add_images() {
    let server = start(config()).await;
    server.sim.advance_by(Duration::from_secs(60));
    let before = server.get_ok(IMAGES).await;
    assert_eq!(before["meta"]["pagination"]["count"], 0);

    for _ in 0..30 {
        server.sim.advance_by(Duration::from_secs(60));
    }
    let jobs = all_jobs(&server).await;
    let backups: BTreeMap<u64, &Value> = jobs
        .iter()
        .filter(|job| job["jobType"] == "BACKUP" && job["state"] == "DONE")
        .filter(|job| job["status"].as_i64().is_some_and(|status| status <= 1))
        .map(|job| (job["jobId"].as_u64().expect("jobId"), job))
        .collect();
    let images = server.get_ok(&format!("{IMAGES}?page[limit]=100")).await;
    assert!(!backups.is_empty(), "the seed gives successful backups");
    assert_eq!(data(&images).len(), backups.len());
    for item in data(&images) {
        let image = &item["attributes"];
        let job_id = image["jobId"].as_u64().expect("jobId");
        let job = backups
            .get(&job_id)
            .expect("image belongs to a successful backup");
        assert_eq!(image["clientName"], job["clientName"]);
        assert_eq!(image["createdTime"], job["endTime"]);
        assert_eq!(item["id"], job["backupId"]);
        assert_eq!(image["backupId"], job["backupId"]);
    }
}

/// An image's backup id is `<client>_<backupTime in epoch seconds>`, and the
/// image can be fetched by it.
#[tokio::test]
async fn image_id_is_client_and_backup_time() {
    let mut settings = config();
    settings.initial_jobs = 20;
    let server = start(settings).await;
    let images = server.get_ok(IMAGES).await;
    let first = &data(&images)[0]["attributes"];
    let backup_time = first["backupTime"].as_str().expect("backupTime");
    let parsed =
        time::OffsetDateTime::parse(backup_time, &time::format_description::well_known::Rfc3339)
            .expect("backupTime parses");
    let expected = format!(
        "{}_{}",
        first["clientName"].as_str().expect("clientName"),
        parsed.unix_timestamp()
    );
    assert_eq!(first["backupId"], expected.as_str());
    let fetched = server.get_ok(&format!("{IMAGES}/{expected}")).await;
    assert_eq!(fetched["data"]["id"], expected.as_str());
}

/// The images list filters on `backupTime`.
#[tokio::test]
async fn filters_images_on_backup_time() {
    let mut settings = config();
    settings.initial_jobs = 30;
    let server = start(settings).await;
    let all = server.get_ok(&format!("{IMAGES}?page[limit]=100")).await;
    let times: Vec<&str> = attribute(&all, "backupTime")
        .iter()
        .map(|value| value.as_str().expect("backupTime"))
        .collect();
    let middle = times[times.len() / 2];
    let expected = times.iter().filter(|time| **time >= middle).count();
    let filter = encode(&format!("backupTime ge {middle}"));
    let newer = server
        .get_ok(&format!("{IMAGES}?filter={filter}&page[limit]=100"))
        .await;
    assert_eq!(data(&newer).len(), expected);
}

/// Initial jobs are DONE and changed no later than the start time.
#[tokio::test]
async fn initial_jobs_are_done_before_start() {
    let mut settings = config();
    settings.initial_jobs = 25;
    let server = start(settings).await;
    let jobs = all_jobs(&server).await;
    let start = iso(start_time());
    assert_eq!(jobs.len(), 25);
    for job in &jobs {
        assert_eq!(job["state"], "DONE", "job {}", job["jobId"]);
        let updated = job["lastUpdateTime"].as_str().expect("time");
        assert!(updated <= start.as_str(), "{updated} after {start}");
    }
}

/// Two simulators with the same seed and clock steps list the same jobs.
#[tokio::test]
async fn same_seed_gives_same_jobs() {
    let first = serve(Simulator::with_start(config(), start_time()).expect("config")).await;
    let second = serve(Simulator::with_start(config(), start_time()).expect("config")).await;
    for server in [&first, &second] {
        for _ in 0..10 {
            server.sim.advance_by(Duration::from_secs(45));
        }
    }
    assert_eq!(all_jobs(&first).await, all_jobs(&second).await);
}

/// After a long clock step, no more than `max_jobs` jobs are kept.
#[tokio::test]
async fn long_step_keeps_at_most_max_jobs() {
    let mut settings = config();
    settings.job_interval = Duration::from_secs(1);
    settings.phase_duration = Duration::from_secs(1);
    settings.max_jobs = 50;
    let server = start(settings).await;
    server.sim.advance_by(Duration::from_secs(24 * 60 * 60));
    let document = server.get_ok(JOBS).await;
    assert_eq!(document["meta"]["pagination"]["count"], 50);
}
