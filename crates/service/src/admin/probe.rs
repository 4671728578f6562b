//! Validate for one endpoint: dial its URL's host and port (through the
//! proxy when one applies) and report the certificate chain it presents.
//!
//! The chain is judged against the URL's host, which is the name the
//! connection manager verifies when it connects; `hostName` and the URL's
//! host are normally the same. Deciding whether the report allows adding
//! the endpoint is left to the add handler.

use std::time::Duration;

use nbwss_protocol::details::{DetailsOptions, EndpointDetails, WsUrl};
use nbwss_tls::{ChainReport, DialError, InspectError};

use super::error::message_chain;
use super::state::AdminState;
use super::views::{DetailsView, EndpointCheck};

/// Upper bound on resolving, connecting and any proxy exchange; the TLS
/// handshake has its own 30 second bound in `nbwss_tls::inspect`.
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no chain report could be made.
#[derive(Debug, thiserror::Error)]
pub(super) enum ProbeError {
    /// The stored URL does not parse; details parsing should have caught it.
    #[error("invalid endpoint url: {0}")]
    Url(String),
    /// The TCP connection or the proxy tunnel failed.
    #[error(transparent)]
    Dial(#[from] DialError),
    /// The TLS handshake failed before a certificate arrived.
    #[error(transparent)]
    Inspect(#[from] InspectError),
}

/// Dials the endpoint and inspects its chain. `Ok(None)` means a `ws://`
/// loopback endpoint, which has no certificate; only tests allow those.
pub(super) async fn probe(
    state: &AdminState,
    details: &EndpointDetails,
) -> Result<Option<ChainReport>, ProbeError> {
    let context = state.context();
    let options = DetailsOptions {
        allow_insecure_loopback: context.allow_insecure_loopback,
    };
    let url = WsUrl::parse(&details.url, options).map_err(ProbeError::Url)?;
    if !url.secure {
        return Ok(None);
    }
    let stream = nbwss_tls::dial(&url.host, url.port, &context.proxy, DIAL_TIMEOUT).await?;
    let report = nbwss_tls::inspect(&url.host, url.port, stream, context.roots.clone()).await?;
    Ok(Some(report))
}

/// Whether adding needs an accepted fingerprint.
pub(super) fn pin_required(report: &ChainReport) -> bool {
    !(report.trusted && report.host_matches)
}

/// Runs [`probe`] and builds the Validate result for one entry.
pub(super) async fn check(state: &AdminState, details: &EndpointDetails) -> EndpointCheck {
    let registered = state.registry().get(&details.host_name).is_some();
    let (report, error) = match probe(state, details).await {
        Ok(report) => (report, None),
        Err(error) => {
            tracing::debug!(host = %details.host_name, error = %message_chain(&error), "endpoint validation failed");
            (None, Some(message_chain(&error)))
        }
    };
    EndpointCheck {
        details: DetailsView::from(details),
        registered,
        pin_required: report.as_ref().is_some_and(pin_required),
        report,
        error,
    }
}
