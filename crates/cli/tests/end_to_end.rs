//! The endpoint library against the real service, which relays to the real
//! simulator: commands, notifications, token rejection, reconnecting, and
//! 200 backup servers on one endpoint server. Everything runs in-process on
//! 127.0.0.1 over TLS.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use nbwss_endpoint::{EndpointConfig, EndpointServer, Event};
use nbwss_protocol::details::EndpointDetails;
use nbwss_protocol::{CommandRequest, Method};
use nbwss_service::config::Config;
use nbwss_service::registry::ConnectionState;
use nbwss_service::{Service, ServiceOptions};
use nbwss_sim::{SimConfig, Simulator};
use nbwss_tls::{Fingerprint, GeneratedCert};
use serde_json::json;
use tempfile::TempDir;
use tokio::net::TcpListener;

const TOKEN: &str = "e2e-token";
const SIM_API_KEY: &str = "e2e-sim-key";
const WAIT: Duration = Duration::from_secs(60);

/// The simulator on HTTPS, with its CA file for the service.
struct Upstream {
    url: String,
    ca_file: String,
    _dir: TempDir,
}

async fn start_upstream() -> Upstream {
    nbwss_tls::install_default_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()]).expect("cert");
    let ca_file = dir.path().join("sim.pem");
    std::fs::write(&ca_file, &cert.cert_pem).expect("write CA");
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config");
    let config = SimConfig {
        username: "admin".to_owned(),
        password: "secret".to_owned(),
        api_key: SIM_API_KEY.to_owned(),
        initial_jobs: 3,
        ..SimConfig::default()
    };
    let simulator = Arc::new(Simulator::new(config).expect("sim config"));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(simulator.run(listener, tls, std::future::pending()));
    Upstream {
        url: format!("https://127.0.0.1:{port}"),
        ca_file: ca_file.display().to_string(),
        _dir: dir,
    }
}

/// An endpoint server accepting [`TOKEN`], with its certificate.
async fn start_endpoint(addr: &str) -> (EndpointServer, GeneratedCert) {
    let cert = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()]).expect("cert");
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config");
    let tokens: HashSet<String> = [TOKEN.to_owned()].into();
    let server = EndpointServer::bind(
        addr.parse().expect("address"),
        tls,
        tokens,
        EndpointConfig::default(),
    )
    .await
    .expect("endpoint binds");
    (server, cert)
}

async fn start_service(upstream: &Upstream) -> (Service, TempDir) {
    let data = tempfile::tempdir().expect("temp dir");
    let config = Config::from_pairs(&[
        ("command.upstreamUrl", upstream.url.as_str()),
        ("command.upstreamCaFile", upstream.ca_file.as_str()),
        ("admin.listen", "127.0.0.1:0"),
        ("connection.retryDelay", "1"),
        ("connectionInfo.period", "2"),
        ("notification.scheduledRate", "1"),
    ])
    .expect("valid config");
    let options = ServiceOptions {
        data_dir: data.path().to_owned(),
        allow_insecure_loopback: false,
        server_name: "backup-e2e".to_owned(),
        config_dir: None,
        config_overrides: Vec::new(),
        on_log_level: None,
    };
    let service = Service::start(config, options)
        .await
        .expect("service starts");
    (service, data)
}

fn register(
    service: &Service,
    endpoint: &EndpointServer,
    pin: Fingerprint,
    group: &str,
    token: &str,
) {
    let details = EndpointDetails {
        host_name: format!("{group}.cloud.test"),
        url: format!("wss://{}/nbwss", endpoint.local_addr()),
        group_id: group.to_owned(),
        priority: 0,
        token: token.to_owned(),
    };
    service
        .registry
        .add(details, Some(pin))
        .expect("registered");
}

async fn next_connected(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> nbwss_endpoint::BackupServer {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(Event::Connected(server)) = events.recv().await {
                return server;
            }
        }
    })
    .await
    .expect("a backup server connects in time")
}

fn jobs_request() -> CommandRequest {
    let mut request = CommandRequest::new(Method::Get, "/netbackup/admin/jobs?page%5Blimit%5D=2");
    request
        .headers
        .insert("Authorization".to_owned(), SIM_API_KEY.to_owned());
    request
}

/// A command from the endpoint reaches the simulator through the service,
/// and a notification ingested at the service reaches the endpoint and is
/// acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_notifications_flow_end_to_end() {
    let upstream = start_upstream().await;
    let (endpoint, cert) = start_endpoint("127.0.0.1:0").await;
    let mut events = endpoint.events();
    let mut notifications = endpoint.notifications().expect("first taker");
    let (service, _data) = start_service(&upstream).await;
    register(&service, &endpoint, cert.fingerprint, "g1", TOKEN);
    let server = next_connected(&mut events).await;
    assert_eq!(server.server_name(), Some("backup-e2e"));

    let response = server.call(jobs_request()).await.expect("answered");
    assert_eq!(response.status_code, 200);
    let body: serde_json::Value =
        serde_json::from_slice(&response.body_bytes().expect("body")).expect("JSON");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2), "{body}");

    let item = json!([{"notificationType": "INFO", "object": "JOB", "data": [{
        "jobId": 7, "parentJobId": 7, "jobType": "BACKUP", "state": "DONE", "status": 0,
        "startTime": 1_764_858_000, "policyName": "p", "policyType": "VMWARE",
        "scheduleType": "ST_FULL", "clientName": "vm7"}]}]);
    service.notifier().ingest(item).await.expect("stored");
    let received = tokio::time::timeout(WAIT, notifications.recv())
        .await
        .expect("notification in time")
        .expect("stream open");
    assert_eq!(received.items.len(), 1);
    received.ack().expect("acknowledged");
    let deadline = tokio::time::Instant::now() + WAIT;
    while service
        .notifier()
        .backlog()
        .iter()
        .any(|group| group.pending > 0)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "backlog not drained"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    service.stop().await;
    endpoint.shutdown().await;
}

/// A token the endpoint does not accept leaves the endpoint REJECTED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_rejected() {
    let upstream = start_upstream().await;
    let (endpoint, cert) = start_endpoint("127.0.0.1:0").await;
    let (service, _data) = start_service(&upstream).await;
    register(&service, &endpoint, cert.fingerprint, "g1", "not-the-token");
    let deadline = tokio::time::Instant::now() + WAIT;
    while service.registry.live("g1.cloud.test").state != ConnectionState::Rejected {
        assert!(tokio::time::Instant::now() < deadline, "never rejected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(endpoint.connections().is_empty());
    service.stop().await;
    endpoint.shutdown().await;
}

/// When the endpoint server restarts on the same address, the service
/// reconnects on its own and commands work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_server_reconnects_after_endpoint_restart() {
    let upstream = start_upstream().await;
    let (endpoint, cert) = start_endpoint("127.0.0.1:0").await;
    let addr = endpoint.local_addr().to_string();
    let mut events = endpoint.events();
    let (service, _data) = start_service(&upstream).await;
    register(&service, &endpoint, cert.fingerprint, "g1", TOKEN);
    next_connected(&mut events).await;
    endpoint.shutdown().await;

    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config");
    let tokens: HashSet<String> = [TOKEN.to_owned()].into();
    let restarted = EndpointServer::bind(
        addr.parse().expect("address"),
        tls,
        tokens,
        EndpointConfig::default(),
    )
    .await
    .expect("rebinds the same address");
    let mut events = restarted.events();
    let server = next_connected(&mut events).await;
    let response = server.call(jobs_request()).await.expect("answered");
    assert_eq!(response.status_code, 200);
    service.stop().await;
    restarted.shutdown().await;
}

/// 200 backup servers connect to one endpoint server at once and each
/// relays a command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_backup_servers_on_one_endpoint() {
    const SERVERS: usize = 200;
    let upstream = start_upstream().await;
    let (endpoint, cert) = start_endpoint("127.0.0.1:0").await;
    let mut services = Vec::with_capacity(SERVERS);
    for index in 0..SERVERS {
        let (service, data) = start_service(&upstream).await;
        register(
            &service,
            &endpoint,
            cert.fingerprint,
            &format!("g{index}"),
            TOKEN,
        );
        services.push((service, data));
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while endpoint.connections().len() < SERVERS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {SERVERS} connected",
            endpoint.connections().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = endpoint.connections();
    let calls = connected.iter().map(|server| server.call(jobs_request()));
    let responses = futures_util::future::join_all(calls).await;
    let ok = responses
        .iter()
        .filter(|response| response.as_ref().is_ok_and(|r| r.status_code == 200))
        .count();
    assert_eq!(ok, SERVERS);
    for (service, _data) in services {
        service.stop().await;
    }
    endpoint.shutdown().await;
}

fn job_item(client_name: &str) -> serde_json::Value {
    json!([{"notificationType": "INFO", "object": "JOB", "data": [{
        "jobId": 8, "parentJobId": 8, "jobType": "BACKUP", "state": "DONE", "status": 0,
        "startTime": 1_764_858_000, "policyName": "p", "policyType": "VMWARE",
        "scheduleType": "ST_FULL", "clientName": client_name}]}])
}

/// Items that together exceed the endpoint's 2 MiB inbound limit go out in
/// several batches, all acknowledged, and an item too large for any batch
/// is rejected at ingest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_items_are_split_across_batches() {
    let upstream = start_upstream().await;
    let (endpoint, cert) = start_endpoint("127.0.0.1:0").await;
    let mut notifications = endpoint.notifications().expect("first taker");
    let (service, _data) = start_service(&upstream).await;
    register(&service, &endpoint, cert.fingerprint, "g1", TOKEN);
    let deadline = tokio::time::Instant::now() + WAIT;
    while service.registry.live("g1.cloud.test").state != ConnectionState::Connected {
        assert!(tokio::time::Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let oversized = service
        .notifier()
        .ingest(job_item(&"x".repeat(1_100_000)))
        .await;
    assert!(oversized.is_err(), "an item over 1 MiB was accepted");

    let big = "y".repeat(900_000);
    for client in [big.as_str(), big.as_str(), "small"] {
        service
            .notifier()
            .ingest(job_item(client))
            .await
            .expect("stored");
    }
    let mut received = 0;
    while received < 3 {
        let notification = tokio::time::timeout(WAIT, notifications.recv())
            .await
            .expect("notification in time")
            .expect("stream open");
        received += notification.items.len();
        notification.ack().expect("acknowledged");
    }
    assert_eq!(received, 3);
    service.stop().await;
    endpoint.shutdown().await;
}
