//! One complete tunnel on loopback: the service started in-process with a
//! temporary data directory, an endpoint server from the endpoint library,
//! the endpoint registered with a pinned certificate, and a direct HTTPS
//! client to the same upstream for comparison.
//!
//! Every component runs on the caller's tokio runtime, so the load
//! generator, the service, the endpoint and the upstream share its worker
//! threads. What to measure is left to the sections.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use nbwss_endpoint::{BackupServer, EndpointConfig, EndpointServer, Event, Notifications};
use nbwss_protocol::details::EndpointDetails;
use nbwss_service::config::Config;
use nbwss_service::notify::Notifier;
use nbwss_service::{Service, ServiceOptions};
use tempfile::TempDir;

use crate::plan::{MAX_CONCURRENT, MAX_MESSAGE_BYTES};
use crate::upstream::Upstream;

/// Upper bound on waiting for the service to connect to the endpoint.
const CONNECT_WAIT: Duration = Duration::from_secs(30);

/// The endpoint group of the benchmark endpoint.
const GROUP: &str = "bench";

/// The CONNECT token the endpoint accepts.
const TOKEN: &str = "bench-token";

/// The request path of the endpoint's WebSocket.
const WS_PATH: &str = "/nbwss";

/// A connected service and endpoint, plus a direct client.
pub struct Rig {
    /// The running service.
    pub service: Service,
    /// The notification pipeline of `service`.
    pub notifier: Notifier,
    /// The endpoint server the service connected to.
    pub endpoint: EndpointServer,
    /// The endpoint's handle on the service's connection.
    pub backup_server: BackupServer,
    /// A pooled HTTPS client that calls the upstream directly.
    pub direct: reqwest::Client,
    /// The upstream's base URL.
    pub upstream_url: String,
    _data_dir: TempDir,
}

impl Rig {
    /// Starts a service whose `notification.maxBatch` is `max_batch`,
    /// registers a fresh endpoint server and waits until it is connected.
    pub async fn start(upstream: &Upstream, max_batch: usize) -> anyhow::Result<Rig> {
        let data_dir = tempfile::tempdir().context("failed to create a data directory")?;
        let config = service_config(upstream, max_batch)?;
        let endpoint = start_endpoint().await?;
        let service = Service::start(
            config,
            ServiceOptions {
                data_dir: data_dir.path().to_owned(),
                allow_insecure_loopback: false,
                server_name: "nbwss-bench".to_owned(),
                config_dir: None,
                config_overrides: Vec::new(),
                on_log_level: None,
            },
        )
        .await
        .context("failed to start the service")?;
        let notifier = service.notifier();
        let backup_server = register(&service, &endpoint.server, &endpoint.pin).await?;
        let direct = direct_client(upstream)?;
        Ok(Rig {
            service,
            notifier,
            endpoint: endpoint.server,
            backup_server,
            direct,
            upstream_url: upstream.base_url(),
            _data_dir: data_dir,
        })
    }

    /// Takes the endpoint's notification stream; `None` after the first
    /// call.
    pub fn notifications(&self) -> Option<Notifications> {
        self.endpoint.notifications()
    }

    /// Stops the service, then the endpoint server.
    pub async fn stop(self) {
        self.service.stop().await;
        self.endpoint.shutdown().await;
    }
}

fn service_config(upstream: &Upstream, max_batch: usize) -> anyhow::Result<Config> {
    let ca_file = upstream.ca_file.to_string_lossy().into_owned();
    let pairs = [
        ("command.upstreamUrl", upstream.base_url()),
        ("command.upstreamCaFile", ca_file),
        ("command.maxConcurrent", MAX_CONCURRENT.to_string()),
        ("command.maxResponseBytes", MAX_MESSAGE_BYTES.to_string()),
        ("notification.maxBatch", max_batch.to_string()),
        ("admin.listen", "127.0.0.1:0".to_owned()),
    ];
    Config::from_pairs(&pairs).context("invalid benchmark service configuration")
}

/// An endpoint server with its certificate's fingerprint.
struct StartedEndpoint {
    server: EndpointServer,
    pin: nbwss_tls::Fingerprint,
}

async fn start_endpoint() -> anyhow::Result<StartedEndpoint> {
    let cert = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()])?;
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem)?;
    let config = EndpointConfig {
        path: Some(WS_PATH.to_owned()),
        max_inbound_message_bytes: MAX_MESSAGE_BYTES,
        ..EndpointConfig::default()
    };
    let validator = |token: &str| token == TOKEN;
    let server = EndpointServer::bind("127.0.0.1:0".parse()?, tls, validator, config)
        .await
        .context("failed to bind the endpoint server")?;
    Ok(StartedEndpoint {
        server,
        pin: cert.fingerprint,
    })
}

/// Adds the endpoint to the service's registry and waits until both sides
/// see the connection.
async fn register(
    service: &Service,
    endpoint: &EndpointServer,
    pin: &nbwss_tls::Fingerprint,
) -> anyhow::Result<BackupServer> {
    let mut events = endpoint.events();
    let details = EndpointDetails {
        host_name: "127.0.0.1".to_owned(),
        url: format!("wss://127.0.0.1:{}{WS_PATH}", endpoint.local_addr().port()),
        group_id: GROUP.to_owned(),
        priority: 0,
        token: TOKEN.to_owned(),
    };
    service
        .registry
        .add(details, Some(*pin))
        .context("failed to register the endpoint")?;
    let connected = tokio::time::timeout(CONNECT_WAIT, async {
        loop {
            match events.recv().await {
                Ok(Event::Connected(server)) => return Ok(server),
                Ok(Event::Disconnected { .. }) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    bail!("the endpoint server stopped before the service connected")
                }
            }
        }
    })
    .await;
    let backup_server = match connected {
        Ok(result) => result?,
        Err(_) => bail!(
            "the service did not connect to the endpoint within {} s",
            CONNECT_WAIT.as_secs()
        ),
    };
    let mut session = service.sessions.watch(GROUP);
    tokio::time::timeout(CONNECT_WAIT, session.wait_for(Option::is_some))
        .await
        .context("the service did not publish its session in time")?
        .context("the service's session list was dropped")?;
    Ok(backup_server)
}

/// Builds a pooled client that trusts only the upstream's CA, like the relay's
/// client but without the system roots.
fn direct_client(upstream: &Upstream) -> anyhow::Result<reqwest::Client> {
    let roots = nbwss_tls::root_store(Some(&upstream.ca_file), false)?;
    let tls = Arc::unwrap_or_clone(nbwss_tls::client_config(roots, None));
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .context("failed to build the direct HTTPS client")
}
