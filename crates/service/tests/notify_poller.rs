//! The job poller against the REST API simulator over HTTPS on 127.0.0.1,
//! with a real service delivering to a real endpoint peer. The simulator's
//! clock moves only when a test steps it, so each job state appears exactly
//! when the test steps it there.

mod notify_support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nbwss_protocol::JobRecord;
use nbwss_service::Service;
use nbwss_service::notify::UPSTREAM_API_KEY_SECRET;
use nbwss_sim::{SimConfig, Simulator};
use nbwss_store::Secret;
use notify_support::{AckPolicy, Peer, config, job_records, start_service};
use tempfile::TempDir;

const GROUP: &str = "group-a";
const API_KEY: &str = "poller-test-api-key";

/// One job is created per simulated hour, so each test step touches one job.
const JOB_INTERVAL: Duration = Duration::from_secs(3600);
/// Time a simulated job spends in QUEUED, and again in ACTIVE.
const PHASE: Duration = Duration::from_secs(10);

/// A simulator served over HTTPS, and the CA file that trusts it.
struct Upstream {
    sim: Arc<Simulator>,
    url: String,
    ca_file: std::path::PathBuf,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start_upstream(dir: &TempDir) -> Upstream {
    start_upstream_with(dir, JOB_INTERVAL, PHASE).await
}

/// Starts a simulator that creates a job every `job_interval` and moves it
/// on every `phase`.
async fn start_upstream_with(dir: &TempDir, job_interval: Duration, phase: Duration) -> Upstream {
    let ca = nbwss_tls::generate_ca("notify test CA").expect("generate CA");
    let now = SystemTime::now();
    let cert = ca
        .issue(
            &["127.0.0.1".to_owned()],
            now - Duration::from_secs(3600),
            now + Duration::from_secs(86_400),
        )
        .expect("issue upstream certificate");
    let ca_file = dir.path().join("upstream-ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).expect("write CA file");
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config");
    let sim = Arc::new(
        Simulator::new(SimConfig {
            job_interval,
            phase_duration: phase,
            username: "admin".to_owned(),
            password: "sim-password".to_owned(),
            api_key: API_KEY.to_owned(),
            ..SimConfig::default()
        })
        .expect("simulator config"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind simulator");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("address").port()
    );
    let server = tokio::spawn(Arc::clone(&sim).serve(listener, tls, std::future::pending::<()>()));
    Upstream {
        sim,
        url,
        ca_file,
        server,
    }
}

/// Starts a polling service on `data_dir`.
async fn start_poller(upstream: &Upstream, data_dir: &std::path::Path) -> Service {
    start_poller_with(upstream, data_dir, &[]).await
}

/// Starts a polling service on `data_dir` with extra properties.
async fn start_poller_with(
    upstream: &Upstream,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> Service {
    let ca_file = upstream.ca_file.to_string_lossy().into_owned();
    let mut pairs = vec![
        ("notification.jobPoller.enabled", "true"),
        ("notification.scheduledRate", "1"),
        ("command.upstreamUrl", upstream.url.as_str()),
        ("command.upstreamCaFile", ca_file.as_str()),
    ];
    pairs.extend_from_slice(extra);
    start_service(config(&pairs), data_dir).await
}

/// Collects JOB records from `peer` until `count` distinct requests' worth
/// have arrived; resends of an id already seen are dropped.
async fn next_records(peer: &mut Peer, seen: &mut Vec<String>, count: usize) -> Vec<JobRecord> {
    let mut records = Vec::new();
    while records.len() < count {
        let request = peer.next_request().await;
        if seen.contains(&request.id) {
            continue;
        }
        seen.push(request.id.clone());
        records.extend(job_records(&request.items));
    }
    records
}

fn states(records: &[JobRecord]) -> Vec<(i64, String)> {
    records
        .iter()
        .map(|record| (record.job_id, record.state.clone()))
        .collect()
}

/// QUEUED, ACTIVE and DONE of a job are each notified once, and restarts
/// between them repeat nothing: the next notification after each restart
/// is the next change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifies_each_job_state_once_across_restarts() {
    let dir = TempDir::new().expect("temp dir");
    let data_dir = dir.path().join("data");
    let upstream = start_upstream(&dir).await;
    let mut peer = Peer::start(AckPolicy::Ack, true).await;
    let mut seen = Vec::new();

    let service = start_poller(&upstream, &data_dir).await;
    service
        .registry
        .store()
        .set_secret(UPSTREAM_API_KEY_SECRET, &Secret::new(API_KEY))
        .expect("store API key");
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");

    upstream.sim.advance_by(JOB_INTERVAL);
    let queued = next_records(&mut peer, &mut seen, 1).await;
    assert_eq!(states(&queued), vec![(1, "QUEUED".to_owned())]);
    assert_eq!(queued[0].schedule_type.get(..3), Some("ST_"));

    service.stop().await;
    let service = start_poller(&upstream, &data_dir).await;
    upstream.sim.advance_by(PHASE);
    let active = next_records(&mut peer, &mut seen, 1).await;
    assert_eq!(states(&active), vec![(1, "ACTIVE".to_owned())]);

    upstream.sim.advance_by(PHASE);
    let done = next_records(&mut peer, &mut seen, 1).await;
    assert_eq!(states(&done), vec![(1, "DONE".to_owned())]);

    service.stop().await;
    let service = start_poller(&upstream, &data_dir).await;
    // The next job's QUEUED comes after any repeat of job 1 would have,
    // because the poller emits in lastUpdateTime order and delivery keeps
    // that order.
    upstream.sim.advance_by(JOB_INTERVAL - PHASE - PHASE);
    let next = next_records(&mut peer, &mut seen, 1).await;
    assert_eq!(states(&next), vec![(2, "QUEUED".to_owned())]);
    service.stop().await;
}

/// Without an API key the poller waits, and starts once one is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_for_api_key_then_polls() {
    let dir = TempDir::new().expect("temp dir");
    let upstream = start_upstream(&dir).await;
    let mut peer = Peer::start(AckPolicy::Ack, true).await;
    let service = start_poller(&upstream, &dir.path().join("data")).await;
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");
    upstream.sim.advance_by(JOB_INTERVAL);

    service
        .registry
        .store()
        .set_secret(UPSTREAM_API_KEY_SECRET, &Secret::new(API_KEY))
        .expect("store API key");
    let mut seen = Vec::new();
    let queued = next_records(&mut peer, &mut seen, 1).await;
    assert_eq!(states(&queued), vec![(1, "QUEUED".to_owned())]);
    service.stop().await;
}

/// A full outbox pauses the poller without losing changes: once the
/// endpoint acknowledges, the jobs created meanwhile arrive in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_full_outbox_without_loss() {
    const INTERVAL: Duration = Duration::from_secs(10);
    let dir = TempDir::new().expect("temp dir");
    // Jobs stay QUEUED for an hour, so each step adds one QUEUED job.
    let upstream = start_upstream_with(&dir, INTERVAL, Duration::from_secs(3600)).await;
    let mut peer = Peer::start(AckPolicy::Ignore, true).await;
    let service = start_poller_with(
        &upstream,
        &dir.path().join("data"),
        &[("notification.maxPendingPerGroup", "1")],
    )
    .await;
    service
        .registry
        .store()
        .set_secret(UPSTREAM_API_KEY_SECRET, &Secret::new(API_KEY))
        .expect("store API key");
    service
        .registry
        .add(peer.details("endpoint-a.test", GROUP), Some(peer.pin))
        .expect("register endpoint");

    upstream.sim.advance_by(INTERVAL);
    let first = peer.next_request().await;
    assert_eq!(
        states(&job_records(&first.items)),
        vec![(1, "QUEUED".to_owned())]
    );

    // Jobs 2 and 3 appear while job 1's request fills the outbox. Two
    // resends of it take about two poll periods.
    upstream.sim.advance_by(INTERVAL);
    upstream.sim.advance_by(INTERVAL);
    for _ in 0..2 {
        let resent = peer.next_request().await;
        assert_eq!(resent.id, first.id);
    }
    peer.set_policy(AckPolicy::Ack);
    let mut seen = vec![first.id];
    let rest = next_records(&mut peer, &mut seen, 2).await;
    assert_eq!(
        states(&rest),
        vec![(2, "QUEUED".to_owned()), (3, "QUEUED".to_owned())]
    );
    service.stop().await;
}
