//! The reference endpoint server behind `nbwss endpoint`: an
//! [`EndpointServer`] with a token file, a TLS certificate (given or
//! generated), an HTTP API for the cloud application and an endpoint
//! details file for the backup administrator.
//!
//! The WebSocket listens on [`ReferenceOptions::wss_listen`] at path
//! [`WSS_PATH`]; the HTTP API (see the `api` module) listens on
//! [`ReferenceOptions::api_listen`] in plain HTTP, so keep it on loopback.
//! Parsing command-line flags and printing are left to the command line.

mod api;
mod certificate;
mod details;
mod stream;
mod tokens;

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::Arc;

use nbwss_protocol::details::{DetailsError, EndpointDetails};
use nbwss_tls::{CertError, Fingerprint};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::EndpointConfig;
use crate::server::EndpointServer;

/// The WebSocket path the reference server accepts; others get HTTP 404.
pub const WSS_PATH: &str = "/nbwss";

/// Default WebSocket listen address: loopback, port 8443.
pub const DEFAULT_WSS_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8443));

/// Default HTTP API listen address: loopback, port 8480.
pub const DEFAULT_API_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8480));

/// The source of the reference server's TLS certificate.
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// PEM files: the certificate chain, leaf first, and its private key.
    Files {
        /// The certificate chain file.
        cert: PathBuf,
        /// The private key file.
        key: PathBuf,
    },
    /// A self-signed certificate generated at start for these host names
    /// and IP addresses. The public host is added when missing.
    Generate {
        /// The certificate's subject alternative names.
        names: Vec<String>,
    },
}

/// Settings of the reference endpoint server.
#[derive(Debug, Clone)]
pub struct ReferenceOptions {
    /// Address of the WebSocket (wss) listener; port 0 picks a free port.
    pub wss_listen: SocketAddr,
    /// Address of the plain-HTTP API; port 0 picks a free port.
    pub api_listen: SocketAddr,
    /// The TLS certificate.
    pub tls: TlsSource,
    /// File with the accepted CONNECT tokens, one per line.
    pub tokens_file: PathBuf,
    /// Path for the endpoint details JSON, if any. The file contains the
    /// first token and is created readable by its owner only.
    pub details_file: Option<PathBuf>,
    /// Host name or IP address that backup servers use to reach the
    /// endpoint, written as `hostName` and in `url`.
    pub public_host: String,
    /// `groupId` in the details.
    pub group_id: String,
    /// `priority` in the details; lower is tried first.
    pub priority: u32,
    /// Endpoint tuning. Its `path` is replaced with [`WSS_PATH`].
    pub endpoint: EndpointConfig,
}

impl ReferenceOptions {
    /// Options with the defaults: loopback listeners on the default ports,
    /// a generated certificate for `localhost`, `127.0.0.1` and `::1`,
    /// public host `localhost`, group `default`, priority 0.
    pub fn new(tokens_file: impl Into<PathBuf>) -> Self {
        ReferenceOptions {
            wss_listen: DEFAULT_WSS_LISTEN,
            api_listen: DEFAULT_API_LISTEN,
            tls: TlsSource::Generate {
                names: ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec(),
            },
            tokens_file: tokens_file.into(),
            details_file: None,
            public_host: "localhost".to_owned(),
            group_id: "default".to_owned(),
            priority: 0,
            endpoint: EndpointConfig::default(),
        }
    }
}

/// Errors that stop the reference server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The tokens file could not be read.
    #[error("failed to read tokens file {path:?}")]
    TokensRead {
        /// The file.
        path: PathBuf,
        /// The read failure.
        #[source]
        source: io::Error,
    },
    /// The tokens file contains no token.
    #[error(
        "tokens file {path:?} contains no token; expected one token per line \
         (blank lines and lines starting with # are ignored)"
    )]
    TokensEmpty {
        /// The file.
        path: PathBuf,
    },
    /// The certificate could not be loaded or generated.
    #[error("failed to set up the TLS certificate")]
    Certificate(#[source] CertError),
    /// The certificate file could not be read as text.
    #[error("failed to read certificate file {path:?}")]
    CertificateRead {
        /// The file.
        path: PathBuf,
        /// The read failure.
        #[source]
        source: io::Error,
    },
    /// A listener could not be bound.
    #[error("failed to listen on {addr} for the {purpose}")]
    Bind {
        /// `WebSocket endpoint` or `HTTP API`.
        purpose: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The bind failure.
        #[source]
        source: io::Error,
    },
    /// The endpoint details built from the options are not valid, usually
    /// because of the public host.
    #[error("invalid endpoint details; check the public host, group id and first token")]
    DetailsInvalid(#[source] DetailsError),
    /// The endpoint details could not be serialised.
    #[error("failed to encode the endpoint details")]
    DetailsEncode(#[source] serde_json::Error),
    /// The endpoint details file could not be written.
    #[error("failed to write endpoint details file {path:?}")]
    DetailsWrite {
        /// The file.
        path: PathBuf,
        /// The write failure.
        #[source]
        source: io::Error,
    },
}

/// A running reference server. Stop it with [`RunningReference::shutdown`].
#[derive(Debug)]
pub struct RunningReference {
    endpoint: EndpointServer,
    api_addr: SocketAddr,
    fingerprint: Fingerprint,
    cert_pem: String,
    details: EndpointDetails,
    shutdown: CancellationToken,
    api_task: JoinHandle<()>,
    dispatch_task: JoinHandle<()>,
}

impl RunningReference {
    /// Returns the WebSocket listener's address.
    pub fn wss_addr(&self) -> SocketAddr {
        self.endpoint.local_addr()
    }

    /// Returns the HTTP API's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Returns the SHA-256 fingerprint of the served leaf certificate, for
    /// pinning.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Returns the served certificate chain in PEM form, without the key.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Returns the endpoint details, as written to the details file.
    pub fn details(&self) -> &EndpointDetails {
        &self.details
    }

    /// Returns the endpoint server, for direct use alongside the HTTP API.
    pub fn endpoint(&self) -> &EndpointServer {
        &self.endpoint
    }

    /// Stops the HTTP API, ends the event streams and closes every
    /// connection with 1001.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        if let Err(error) = self.api_task.await {
            tracing::warn!(%error, "HTTP API task failed");
        }
        if let Err(error) = self.dispatch_task.await {
            tracing::warn!(%error, "notification dispatch task failed");
        }
        self.endpoint.shutdown().await;
    }
}

/// Starts the reference server: loads the tokens, sets up TLS, binds both
/// listeners and writes the details file.
pub async fn run_reference_server(
    options: ReferenceOptions,
) -> Result<RunningReference, ReferenceError> {
    let tokens = tokens::load_tokens(&options.tokens_file)?;
    let first_token = tokens[0].clone();
    let certificate = certificate::load_certificate(&options)?;
    let config = EndpointConfig {
        path: Some(WSS_PATH.to_owned()),
        ..options.endpoint.clone()
    };
    let validator: HashSet<String> = tokens.into_iter().collect();
    let endpoint = EndpointServer::bind(options.wss_listen, certificate.tls, validator, config)
        .await
        .map_err(|source| ReferenceError::Bind {
            purpose: "WebSocket endpoint",
            addr: options.wss_listen,
            source,
        })?;
    let bind_api_error = |source| ReferenceError::Bind {
        purpose: "HTTP API",
        addr: options.api_listen,
        source,
    };
    let listener = TcpListener::bind(options.api_listen)
        .await
        .map_err(bind_api_error)?;
    let api_addr = listener.local_addr().map_err(bind_api_error)?;

    let (details, details_text) = details::build_details(
        &options.public_host,
        endpoint.local_addr().port(),
        &options.group_id,
        options.priority,
        &first_token,
    )?;
    if let Some(path) = &options.details_file {
        details::write_details(path, &details_text)?;
    }

    let shutdown = CancellationToken::new();
    let hub = Arc::new(stream::Hub::default());
    let notifications = endpoint.notifications();
    let dispatch_task = tokio::spawn({
        let hub = hub.clone();
        let shutdown = shutdown.clone();
        async move {
            if let Some(notifications) = notifications {
                stream::dispatch(notifications, hub, shutdown).await;
            }
        }
    });
    let router = api::router(api::ApiState {
        endpoint: endpoint.clone(),
        hub,
        shutdown: shutdown.clone(),
    });
    let api_task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let serve =
                axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned());
            if let Err(error) = serve.await {
                tracing::error!(%error, "HTTP API stopped");
            }
        }
    });
    tracing::info!(
        wss_addr = %endpoint.local_addr(),
        api_addr = %api_addr,
        fingerprint = %certificate.fingerprint,
        url = %details.url,
        "reference endpoint running"
    );
    Ok(RunningReference {
        endpoint,
        api_addr,
        fingerprint: certificate.fingerprint,
        cert_pem: certificate.cert_pem,
        details,
        shutdown,
        api_task,
        dispatch_task,
    })
}
