//! TLS client side: root stores, client configs and the handshake.
//!
//! Without a pin a config verifies the server the usual WebPKI way, host
//! name included. With a pin it accepts exactly one leaf certificate (see
//! [`PinnedVerifier`]). Dialing the TCP connection, directly or through a
//! proxy, is left to [`crate::proxy`].

mod pinned;
mod roots;

use std::io;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls_pki_types::InvalidDnsNameError;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub use pinned::PinnedVerifier;
pub use roots::{RootsError, root_store};

use crate::fingerprint::Fingerprint;
use crate::provider::ring_provider;

/// Errors from a client TLS handshake.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {host:?}: expected a DNS name or an IP address")]
    InvalidHost {
        /// The rejected host.
        host: String,
        /// The parse error.
        #[source]
        source: InvalidDnsNameError,
    },

    /// The handshake failed. The source carries the rustls message, such as
    /// an untrusted certificate or a fingerprint that does not match the pin.
    #[error("TLS handshake with {host} failed")]
    Handshake {
        /// The host the client was connecting to.
        host: String,
        /// The I/O error from tokio-rustls, usually wrapping a
        /// [`rustls::Error`].
        #[source]
        source: io::Error,
    },
}

impl ConnectError {
    /// Returns the rustls error behind a failed handshake, if there is one.
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        match self {
            Self::Handshake { source, .. } => source.get_ref()?.downcast_ref(),
            Self::InvalidHost { .. } => None,
        }
    }
}

/// Builds a client config.
///
/// Without `pin`, the server must present a chain to one of `roots` that
/// is valid now and names the host. With `pin`, `roots` are not used: the
/// server is accepted if and only if the SHA-256 fingerprint of its leaf
/// certificate equals `pin`, whatever its issuer, names or dates. The
/// handshake signatures are verified in both cases. No ALPN protocols are
/// set, so callers that need one set `alpn_protocols` on a clone.
pub fn client_config(roots: rustls::RootCertStore, pin: Option<Fingerprint>) -> Arc<ClientConfig> {
    let provider = ring_provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        // The ring provider includes cipher suites for TLS 1.2 and 1.3, so
        // this returns Ok.
        .expect("ring provider supports the default protocol versions");
    let config = match pin {
        None => builder.with_root_certificates(roots).with_no_client_auth(),
        Some(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier::new(pin, &provider)))
            .with_no_client_auth(),
    };
    Arc::new(config)
}

/// Runs a client TLS handshake over an established connection.
///
/// `host` is a DNS name, an IPv4 address or an IPv6 address (with or
/// without brackets). A DNS name is sent as SNI, but an IP address is not.
pub async fn connect<S>(
    stream: S,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<TlsStream<S>, ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let server_name = server_name(host)?;
    TlsConnector::from(config)
        .connect(server_name, stream)
        .await
        .map_err(|source| ConnectError::Handshake {
            host: host.to_owned(),
            source,
        })
}

/// Converts a host into a rustls server name, accepting bracketed IPv6.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, ConnectError> {
    let bare = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(bare.to_owned()).map_err(|source| ConnectError::InvalidHost {
        host: host.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bracketed IPv6 literal becomes an IP server name.
    #[test]
    fn bracketed_ipv6_is_ip_name() {
        let name = server_name("[::1]").unwrap();
        assert!(matches!(name, ServerName::IpAddress(_)), "{name:?}");
    }

    /// A DNS name becomes a DNS server name.
    #[test]
    fn dns_host_is_dns_name() {
        let name = server_name("backup.example.com").unwrap();
        assert!(matches!(name, ServerName::DnsName(_)), "{name:?}");
    }

    /// A host with a space is rejected and quoted.
    #[test]
    fn rejects_host_with_space() {
        let error = server_name("bad host").unwrap_err();
        assert!(error.to_string().contains("\"bad host\""), "{error}");
    }
}
