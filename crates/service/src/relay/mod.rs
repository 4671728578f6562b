//! The command relay: checks one COMMAND REQUEST, sends it to the backup
//! server's REST API and turns the outcome into exactly one COMMAND RESPONSE.
//!
//! - [`request`]: the `uri` and header checks and the upstream request.
//! - [`client`]: the pooled HTTPS client and the certificates it trusts.
//! - [`response`]: status, joined headers and the size-limited body.
//! - [`failure`]: connection failures described for the endpoint.
//! - [`admission`]: how many commands of one connection run or wait.
//! - [`audit`]: the audit event written for every call.
//!
//! Matching responses to message ids, rejecting duplicate ids and writing the
//! response to the WebSocket are left to the connection session. The session
//! also takes an [`Admission`] ticket before calling [`Relay::relay`].

mod admission;
mod audit;
mod client;
mod failure;
mod request;
mod response;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nbwss_protocol::{CommandRequest, CommandResponse, ErrorCode};
use reqwest::Url;

pub use admission::{Admission, QUEUE_FACTOR, RunPermit, Ticket};

use audit::AuditRecord;
use request::{Prepared, Rejection};
use response::ReadFailure;

/// Settings of the relay, taken from the `command.*` properties.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Base URL of the REST API, `https://host[:port]` (or `http://`) with no
    /// path, query or credentials.
    pub upstream_url: String,
    /// PEM file with CA certificates trusted in addition to the system roots.
    pub upstream_ca_file: Option<PathBuf>,
    /// Path prefixes a command's `uri` must start with, such as `/netbackup/`.
    pub allowed_path_prefixes: Vec<String>,
    /// Commands of one connection that may run at the same time.
    pub max_concurrent: usize,
    /// Limit on one whole call: connecting, sending and reading the body.
    pub timeout: Duration,
    /// Largest upstream response body relayed, in bytes.
    pub max_response_bytes: usize,
}

/// The origin of a command: endpoint, connection and message id, recorded
/// in the audit event.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// Host name of the endpoint the command came from.
    pub endpoint: String,
    /// Id of the WebSocket connection.
    pub conn_id: u64,
    /// The COMMAND REQUEST's message id.
    pub msg_id: String,
}

/// Errors from building a [`Relay`].
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// `upstream_url` is not a base URL the relay can prefix to a `uri`.
    #[error(
        "invalid upstream URL {url:?}: {problem}, expected https://host[:port] \
         with no path, query or credentials"
    )]
    InvalidUpstreamUrl {
        /// The rejected URL.
        url: String,
        /// The problem found, such as "it has a path".
        problem: String,
    },

    /// The upstream CA file could not be loaded.
    #[error("failed to load command.upstreamCaFile {path:?}")]
    CaFile {
        /// The configured CA file.
        path: PathBuf,
        /// The load failure.
        #[source]
        source: nbwss_tls::RootsError,
    },

    /// reqwest rejected the client configuration.
    #[error("failed to build the upstream HTTP client")]
    Client(#[source] reqwest::Error),
}

/// Relays COMMAND REQUESTs to the REST API over one pooled HTTPS client.
///
/// Cloning is cheap and every clone shares the client and its connections.
#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    base: Url,
    /// `base` without its trailing `/`, used in messages and to build URLs.
    base_text: String,
    allowed_path_prefixes: Vec<String>,
    max_concurrent: usize,
    timeout: Duration,
    max_response_bytes: usize,
}

impl Relay {
    /// Validates the settings and builds the HTTPS client.
    ///
    /// Fails when `upstream_url` is not a bare `http(s)://host[:port]`, when
    /// the CA file cannot be loaded, or when reqwest rejects the client.
    pub fn new(settings: RelaySettings) -> Result<Relay, RelayError> {
        let base = client::parse_base_url(&settings.upstream_url)?;
        let base_text = base.as_str().trim_end_matches('/').to_owned();
        let client = client::build(settings.upstream_ca_file.as_deref())?;
        let inner = Inner {
            client,
            base,
            base_text,
            allowed_path_prefixes: settings.allowed_path_prefixes,
            max_concurrent: settings.max_concurrent,
            timeout: settings.timeout,
            max_response_bytes: settings.max_response_bytes,
        };
        Ok(Relay {
            inner: Arc::new(inner),
        })
    }

    /// Creates the admission control for one new connection, sized by
    /// `max_concurrent`.
    pub fn admission(&self) -> Admission {
        Admission::new(self.inner.max_concurrent)
    }

    /// Checks and relays one command, and always returns exactly one
    /// response.
    ///
    /// A rejected `uri` or header, a failed connection, an expired timeout or
    /// an oversized body gets a service-generated error response.
    /// Dropping the returned future aborts the upstream request and closes
    /// its connection. One audit event is written per call, including a
    /// cancelled one.
    pub async fn relay(&self, request: CommandRequest, ctx: &CallContext) -> CommandResponse {
        let audit = AuditRecord::start(ctx, &request);
        let inner = &self.inner;
        let prepared = match request::prepare(
            request,
            &inner.base,
            &inner.base_text,
            &inner.allowed_path_prefixes,
        ) {
            Ok(prepared) => prepared,
            Err(Rejection { code, message }) => {
                return audit.finish_with_error(code, &message, 0);
            }
        };
        match tokio::time::timeout(inner.timeout, self.exchange(prepared)).await {
            Ok(Ok(reply)) => {
                let bytes = reply.body.len();
                let response = CommandResponse::from_bytes(reply.status, reply.headers, reply.body);
                audit.finish(response, bytes)
            }
            Ok(Err(failure)) => {
                audit.finish_with_error(failure.code, &failure.message, failure.bytes_read)
            }
            Err(_elapsed) => {
                let message = format!(
                    "upstream {} timed out after {} s",
                    inner.base_text,
                    inner.timeout.as_secs_f64()
                );
                audit.finish_with_error(ErrorCode::UpstreamTimeout, &message, 0)
            }
        }
    }

    /// Sends the request and reads the whole response within the size limit.
    async fn exchange(&self, prepared: Prepared) -> Result<response::Reply, CallFailure> {
        let inner = &self.inner;
        let mut builder = inner
            .client
            .request(prepared.method, prepared.url)
            .headers(prepared.headers);
        if let Some(body) = prepared.body {
            builder = builder.body(body);
        }
        let upstream = builder.send().await.map_err(|error| CallFailure {
            code: ErrorCode::UpstreamUnreachable,
            message: failure::describe_send(&inner.base_text, &error),
            bytes_read: 0,
        })?;
        response::read(upstream, inner.max_response_bytes)
            .await
            .map_err(|read_failure| match read_failure {
                ReadFailure::TooLarge { bytes_read } => CallFailure {
                    code: ErrorCode::ResponseTooLarge,
                    message: format!(
                        "upstream {} response body is larger than the limit of {} bytes",
                        inner.base_text, inner.max_response_bytes
                    ),
                    bytes_read,
                },
                ReadFailure::Body { source, bytes_read } => CallFailure {
                    code: ErrorCode::UpstreamUnreachable,
                    message: failure::describe_body(&inner.base_text, &source),
                    bytes_read,
                },
            })
    }
}

/// A call that reached the upstream but did not produce a relayable response.
struct CallFailure {
    code: ErrorCode,
    message: String,
    /// Response body bytes read before the call failed.
    bytes_read: usize,
}
