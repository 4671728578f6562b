//! Shared pieces of the notification tests: a WebSocket endpoint peer over
//! TLS on 127.0.0.1 that replies to CONNECT with `valid: true` and reports the
//! NOTIFICATION REQUESTs it receives, and a service started on a
//! temporary data directory.
//!
//! The peer's certificate is self-signed and registered by its pin, as an
//! administrator would after validating it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nbwss_protocol::details::EndpointDetails;
use nbwss_protocol::notification::Records;
use nbwss_protocol::{Body, ConnectResponse, JobRecord, Message, NotificationItem};
use nbwss_service::config::Config;
use nbwss_service::{Service, ServiceOptions, StartError};
use nbwss_store::StoreError;
use nbwss_tls::Fingerprint;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Upper bound on any single wait; never reached when the code works.
pub const WAIT: Duration = Duration::from_secs(30);

/// How the peer acknowledges NOTIFICATION REQUESTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckPolicy {
    /// One acknowledgement with the request's id.
    Ack,
    /// No acknowledgement.
    Ignore,
    /// An acknowledgement with an id never sent, then the request's id
    /// twice.
    AckUnknownAndTwice,
}

/// A NOTIFICATION REQUEST as the peer received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request's id.
    pub id: String,
    /// The items it carried.
    pub items: Vec<NotificationItem>,
}

struct PeerState {
    policy: Mutex<AckPolicy>,
    up: watch::Sender<bool>,
    requests: mpsc::UnboundedSender<Received>,
}

/// A running endpoint peer.
pub struct Peer {
    pub addr: SocketAddr,
    pub pin: Fingerprint,
    state: Arc<PeerState>,
    requests: mpsc::UnboundedReceiver<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Peer {
    /// Starts a peer; while `up` is false it closes every connection at once.
    pub async fn start(policy: AckPolicy, up: bool) -> Peer {
        let cert = nbwss_tls::generate_self_signed(&["localhost".to_owned()])
            .expect("generate certificate");
        let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("server config");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind peer");
        let addr = listener.local_addr().expect("peer address");
        let (sender, requests) = mpsc::unbounded_channel();
        let state = Arc::new(PeerState {
            policy: Mutex::new(policy),
            up: watch::channel(up).0,
            requests: sender,
        });
        let task = tokio::spawn(accept_loop(listener, TlsAcceptor::from(tls), state.clone()));
        Peer {
            addr,
            pin: cert.fingerprint,
            state,
            requests,
            task,
        }
    }

    /// Lets connections in, or turns them away.
    pub fn set_up(&self, up: bool) {
        self.state.up.send_replace(up);
    }

    /// Changes how later requests are acknowledged.
    pub fn set_policy(&self, policy: AckPolicy) {
        *self.state.policy.lock().expect("policy lock") = policy;
    }

    /// Details that register this peer as `host` in `group`.
    pub fn details(&self, host: &str, group: &str) -> EndpointDetails {
        EndpointDetails {
            host_name: host.to_owned(),
            url: format!("wss://127.0.0.1:{}/nbwss", self.addr.port()),
            group_id: group.to_owned(),
            priority: 0,
            token: "test-token".to_owned(),
        }
    }

    /// Details like [`Peer::details`] with another priority.
    pub fn details_with_priority(&self, host: &str, group: &str, priority: u32) -> EndpointDetails {
        EndpointDetails {
            priority,
            ..self.details(host, group)
        }
    }

    /// Returns the next NOTIFICATION REQUEST, failing the test after
    /// [`WAIT`].
    pub async fn next_request(&mut self) -> Received {
        tokio::time::timeout(WAIT, self.requests.recv())
            .await
            .expect("a notification request within the wait bound")
            .expect("peer still running")
    }
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, state: Arc<PeerState>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if !*state.up.borrow() {
            drop(stream);
            continue;
        }
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let Ok(socket) = tokio_tungstenite::accept_async(tls).await else {
                return;
            };
            serve(socket, state).await;
        });
    }
}

async fn serve<S>(mut socket: tokio_tungstenite::WebSocketStream<S>, state: Arc<PeerState>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut up = state.up.subscribe();
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            () = went_down(&mut up) => {
                let _ = socket.close(None).await;
                return;
            }
        };
        let Some(Ok(frame)) = frame else {
            return;
        };
        let WsMessage::Text(text) = frame else {
            continue;
        };
        let Ok(message) = Message::parse(text.as_str()) else {
            continue;
        };
        let replies = match message.body {
            Body::ConnectRequest(_) => vec![Message::new(
                message.id,
                Body::ConnectResponse(ConnectResponse { valid: true }),
            )],
            Body::NotificationRequest(items) => {
                let _ = state.requests.send(Received {
                    id: message.id.clone(),
                    items,
                });
                let policy = *state.policy.lock().expect("policy lock");
                acks(policy, &message.id)
            }
            _ => Vec::new(),
        };
        for reply in replies {
            if socket.send(WsMessage::text(reply.to_json())).await.is_err() {
                return;
            }
        }
    }
}

/// Completes once the peer is set down.
async fn went_down(up: &mut watch::Receiver<bool>) {
    loop {
        let is_up = *up.borrow_and_update();
        if !is_up || up.changed().await.is_err() {
            return;
        }
    }
}

fn acks(policy: AckPolicy, id: &str) -> Vec<Message> {
    let ack = |id: &str| Message::new(id, Body::NotificationResponse);
    match policy {
        AckPolicy::Ack => vec![ack(id)],
        AckPolicy::Ignore => Vec::new(),
        AckPolicy::AckUnknownAndTwice => vec![ack("NEVER-SENT-ID"), ack(id), ack(id)],
    }
}

/// Configuration for a test service: fast retries and the given overrides.
pub fn config(overrides: &[(&str, &str)]) -> Config {
    let mut pairs = vec![
        ("connectionInfo.period", "2"),
        ("connection.retryDelay", "1"),
        ("admin.listen", "127.0.0.1:0"),
    ];
    pairs.extend_from_slice(overrides);
    Config::from_pairs(&pairs).expect("valid test configuration")
}

/// Starts a service on `data_dir`, retrying while an earlier service in
/// this process still has the store open.
pub async fn start_service(config: Config, data_dir: &Path) -> Service {
    let options = ServiceOptions {
        data_dir: data_dir.to_path_buf(),
        allow_insecure_loopback: false,
        server_name: "notify-test".to_owned(),
        config_dir: None,
        config_overrides: Vec::new(),
        on_log_level: None,
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match Service::start(config.clone(), options.clone()).await {
            Ok(service) => return service,
            Err(StartError::Store {
                source: StoreError::AlreadyOpen { .. },
                ..
            }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("service did not start: {error:?}"),
        }
    }
}

/// Returns a JOB item with one record whose `jobId` is `job_id`.
pub fn job_item(job_id: i64) -> Value {
    json!({
        "notificationType": "INFO",
        "object": "JOB",
        "data": [{
            "jobId": job_id,
            "parentJobId": job_id,
            "jobType": "BACKUP",
            "state": "DONE",
            "status": 0,
            "startTime": 1_796_396_645,
            "policyName": "vmware2",
            "policyType": "VMWARE",
            "scheduleType": "ST_FULL",
            "clientName": "vm01.example.com"
        }]
    })
}

/// Returns the JOB records of `items`, in order.
pub fn job_records(items: &[NotificationItem]) -> Vec<JobRecord> {
    items
        .iter()
        .flat_map(|item| match &item.records {
            Records::Jobs(records) => records.clone(),
            Records::Images(_) => Vec::new(),
        })
        .collect()
}

/// Polls `check` until it returns true, failing the test after [`WAIT`].
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Returns the pending item count of `group`, 0 when it is not listed.
pub fn pending(service: &Service, group: &str) -> u64 {
    service
        .notifier()
        .backlog()
        .into_iter()
        .find(|backlog| backlog.group == group)
        .map_or(0, |backlog| backlog.pending)
}
