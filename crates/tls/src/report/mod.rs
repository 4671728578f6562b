//! Validate: a report on the certificate chain a TLS server presents.
//!
//! [`inspect`] runs a handshake that accepts any chain, then judges the
//! recorded chain with the real WebPKI checks against the given roots. The
//! caller dials the connection (directly or through a proxy) and decides
//! what the report allows, such as pinning the leaf fingerprint.

mod analysis;
mod cert_info;
mod problem;
mod recorder;

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::{ClientConfig, RootCertStore};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsConnector;

pub use cert_info::CertInfo;
pub use problem::Problem;

use crate::client::{ConnectError, server_name};
use crate::fingerprint::Fingerprint;
use crate::provider::ring_provider;
use analysis::{Context, analyse};
use recorder::RecordingVerifier;

/// Upper bound on the Validate handshake, so a server that accepts the TCP
/// connection but never responds cannot stall the caller.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The Validate report on a server's certificate chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// The certificates the server sent, leaf first. A certificate that
    /// cannot be parsed is left out and listed under `problems`.
    pub certificates: Vec<CertInfo>,
    /// Whether the chain leads to one of the roots and every certificate
    /// on the path is valid now.
    pub trusted: bool,
    /// Whether the leaf certificate is valid for the host that was dialed.
    pub host_matches: bool,
    /// Everything wrong with the chain, empty when it is trusted and
    /// matches the host.
    pub problems: Vec<Problem>,
    /// SHA-256 fingerprint of the leaf certificate, the value to pin.
    pub leaf_fingerprint: Fingerprint,
}

/// Errors that prevent a report.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The host is neither a DNS name nor an IP address.
    #[error(transparent)]
    InvalidHost(ConnectError),

    /// The handshake failed before the server sent its certificate.
    #[error("TLS handshake with {host}:{port} failed before the server sent a certificate")]
    Handshake {
        /// The host that was dialed.
        host: String,
        /// The port that was dialed.
        port: u16,
        /// The I/O or rustls error.
        #[source]
        source: io::Error,
    },

    /// The handshake did not finish within the time limit.
    #[error("TLS handshake with {host}:{port} timed out after {} s", HANDSHAKE_TIMEOUT.as_secs())]
    TimedOut {
        /// The host that was dialed.
        host: String,
        /// The port that was dialed.
        port: u16,
    },
}

/// Runs a TLS handshake on `stream` and reports the chain the server
/// presents, judged against `roots` and `host`.
///
/// The handshake completes whatever the chain, because the report is the
/// point, and the connection is then closed. The handshake gives up after
/// 30 seconds. A failure after the certificate arrived becomes a
/// [`Problem::Other`] in the report rather than an error.
pub async fn inspect<S>(
    host: &str,
    port: u16,
    stream: S,
    roots: RootCertStore,
) -> Result<ChainReport, InspectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let server_name = server_name(host).map_err(InspectError::InvalidHost)?;
    let provider = ring_provider();
    let recorder = Arc::new(RecordingVerifier::new(&provider));
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        // The ring provider includes cipher suites for TLS 1.2 and 1.3, so
        // this returns Ok.
        .expect("ring provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let handshake = connector.connect(server_name.clone(), stream);
    let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await;

    let (late_failure, timed_out) = match outcome {
        Ok(Ok(mut tls)) => {
            // The report does not depend on a clean close, because the peer
            // may already be gone.
            let _ = tls.shutdown().await;
            (None, false)
        }
        Ok(Err(source)) => (Some(source), false),
        Err(_) => (None, true),
    };
    let Some(chain) = recorder.take_chain() else {
        return Err(match late_failure {
            Some(source) => InspectError::Handshake {
                host: host.to_owned(),
                port,
                source,
            },
            None => InspectError::TimedOut {
                host: host.to_owned(),
                port,
            },
        });
    };
    let context = Context {
        host,
        server_name: &server_name,
        roots: &roots,
        algorithms: &provider.signature_verification_algorithms,
        now: SystemTime::now(),
    };
    let mut report = analyse(&context, &chain);
    if let Some(error) = late_failure {
        report.problems.push(Problem::Other(format!(
            "the TLS handshake failed after the certificate was received: {error}"
        )));
    }
    if timed_out {
        report.problems.push(Problem::Other(format!(
            "the TLS handshake timed out after the certificate was received ({} s limit)",
            HANDSHAKE_TIMEOUT.as_secs()
        )));
    }
    tracing::debug!(
        host,
        port,
        trusted = report.trusted,
        host_matches = report.host_matches,
        problems = report.problems.len(),
        "inspected certificate chain"
    );
    Ok(report)
}
