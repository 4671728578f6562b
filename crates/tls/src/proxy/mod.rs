//! Dialing TCP connections directly or through an HTTP CONNECT proxy.
//!
//! [`dial`] resolves the host name afresh on every call, so DNS changes
//! are seen on the next attempt, and bounds the whole dial by a timeout.
//! Retrying, backoff and TLS on top of the connection are the caller's.

mod config;
mod no_proxy;
mod settings;
mod tunnel;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

pub(crate) use config::authority;
pub use config::{ProxyConfig, ProxyError};
pub use no_proxy::NoProxy;
pub use settings::ProxySettings;

/// Errors from [`dial`].
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// The host is empty or contains characters no host name has.
    #[error("invalid host {host:?}: expected a DNS name or an IP address")]
    InvalidHost {
        /// The rejected host.
        host: String,
    },

    /// DNS returned an error or no address for the name.
    #[error("host name {host:?} not resolved")]
    NameNotResolved {
        /// The name that was looked up.
        host: String,
        /// The resolver's error, absent when it returned no address.
        #[source]
        source: Option<io::Error>,
    },

    /// The address actively refused the connection.
    #[error("connection to {address} refused")]
    ConnectionRefused {
        /// The last address tried.
        address: SocketAddr,
    },

    /// Connecting failed for another reason, such as an unreachable network.
    #[error("failed to connect to {address}")]
    Connect {
        /// The last address tried.
        address: SocketAddr,
        /// The socket error.
        #[source]
        source: io::Error,
    },

    /// The dial, including any proxy exchange, did not finish in time.
    #[error("connecting to {target} timed out after {} ms", .timeout.as_millis())]
    TimedOut {
        /// `host:port`, with the proxy when one was used.
        target: String,
        /// The time limit.
        timeout: Duration,
    },

    /// The proxy itself could not be reached.
    #[error("failed to reach proxy {proxy}")]
    ProxyUnreachable {
        /// The proxy's `host:port`.
        proxy: String,
        /// The failure to reach the proxy.
        #[source]
        source: Box<DialError>,
    },

    /// The proxy responded with 407. Check the proxy user name and password.
    #[error("proxy authentication required by {proxy}")]
    ProxyAuthenticationRequired {
        /// The proxy's `host:port`.
        proxy: String,
        /// Whether credentials were sent, in which case they were rejected.
        credentials_sent: bool,
    },

    /// The proxy responded to the CONNECT request with a status other than
    /// 2xx or 407.
    #[error("proxy {proxy} refused the tunnel to {target}: {status} {reason}")]
    ProxyRefused {
        /// The proxy's `host:port`.
        proxy: String,
        /// The requested `host:port`.
        target: String,
        /// The HTTP status code.
        status: u16,
        /// The reason phrase, possibly empty.
        reason: String,
    },

    /// The proxy's response is not a valid HTTP response head.
    #[error("invalid response from proxy {proxy}: {reason}")]
    ProxyProtocol {
        /// The proxy's `host:port`.
        proxy: String,
        /// The problem with the response.
        reason: &'static str,
    },

    /// Reading from or writing to the proxy failed during CONNECT.
    #[error("connection to proxy {proxy} failed during CONNECT")]
    ProxyIo {
        /// The proxy's `host:port`.
        proxy: String,
        /// The socket error.
        #[source]
        source: io::Error,
    },
}

/// Opens a TCP connection to `host:port`, through the proxy that
/// `settings` selects for `host` or directly.
///
/// The host name is resolved on every call and each address is tried in
/// turn. `timeout` bounds everything: resolution, connecting and the
/// CONNECT exchange. `host` may be an IPv6 address with or without
/// brackets.
pub async fn dial(
    host: &str,
    port: u16,
    settings: &ProxySettings,
    timeout: Duration,
) -> Result<TcpStream, DialError> {
    let host = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host);
    check_host(host)?;
    let target = authority(host, port);
    let proxy = settings.proxy_for(host);
    let attempt = async {
        match proxy {
            None => connect_direct(host, port).await,
            Some(proxy) => connect_via_proxy(proxy, &target).await,
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(DialError::TimedOut {
            target: match proxy {
                Some(proxy) => format!("{target} through proxy {}", proxy.address()),
                None => target,
            },
            timeout,
        }),
    }
}

/// Rejects hosts that cannot be a name or address, so nothing odd reaches
/// the resolver or the CONNECT request line.
fn check_host(host: &str) -> Result<(), DialError> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '@');
    if host.is_empty() || host.contains(bad) {
        return Err(DialError::InvalidHost {
            host: host.to_owned(),
        });
    }
    Ok(())
}

async fn connect_via_proxy(proxy: &ProxyConfig, target: &str) -> Result<TcpStream, DialError> {
    tracing::debug!(proxy = %proxy, target, "dialing through proxy");
    let stream = connect_direct(&proxy.host, proxy.port)
        .await
        .map_err(|source| DialError::ProxyUnreachable {
            proxy: proxy.address(),
            source: Box::new(source),
        })?;
    tunnel::open_tunnel(stream, proxy, target).await
}

async fn connect_direct(host: &str, port: u16) -> Result<TcpStream, DialError> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|source| DialError::NameNotResolved {
            host: host.to_owned(),
            source: Some(source),
        })?
        .collect();
    let mut last_error = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                // Small WebSocket frames must not wait for Nagle's algorithm.
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!(%address, %error, "failed to set TCP_NODELAY");
                }
                tracing::debug!(host, %address, "connected");
                return Ok(stream);
            }
            Err(error) => {
                tracing::debug!(host, %address, %error, "connect attempt failed");
                last_error = Some((address, error));
            }
        }
    }
    Err(match last_error {
        Some((address, error)) if error.kind() == io::ErrorKind::ConnectionRefused => {
            DialError::ConnectionRefused { address }
        }
        Some((address, source)) => DialError::Connect { address, source },
        None => DialError::NameNotResolved {
            host: host.to_owned(),
            source: None,
        },
    })
}
