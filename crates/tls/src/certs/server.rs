//! rustls server configs from a PEM certificate chain and key.
//!
//! Client authentication is off: nbwss clients authenticate with tokens
//! and API keys inside the connection. Serving the config is the caller's
//! job.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::CertError;
use super::pem::{load_certs, load_key, parse_certs, parse_key};
use crate::provider::ring_provider;

/// Builds a server config from a PEM chain (leaf first) and a PEM key,
/// with no ALPN protocols.
pub fn server_config(cert_chain_pem: &str, key_pem: &str) -> Result<Arc<ServerConfig>, CertError> {
    server_config_with_alpn(cert_chain_pem, key_pem, &[])
}

/// Builds a server config like [`server_config`] that offers the given
/// ALPN protocols, for example `b"http/1.1"`, in order of preference.
pub fn server_config_with_alpn(
    cert_chain_pem: &str,
    key_pem: &str,
    alpn: &[&[u8]],
) -> Result<Arc<ServerConfig>, CertError> {
    build(parse_certs(cert_chain_pem)?, parse_key(key_pem)?, alpn)
}

/// Builds a server config from a PEM chain file and a PEM key file, with
/// no ALPN protocols.
pub fn server_config_from_files(
    cert_path: &Path,
    key_path: &Path,
) -> Result<Arc<ServerConfig>, CertError> {
    server_config_from_files_with_alpn(cert_path, key_path, &[])
}

/// Builds a server config from files like [`server_config_from_files`]
/// that offers the given ALPN protocols.
pub fn server_config_from_files_with_alpn(
    cert_path: &Path,
    key_path: &Path,
    alpn: &[&[u8]],
) -> Result<Arc<ServerConfig>, CertError> {
    build(load_certs(cert_path)?, load_key(key_path)?, alpn)
}

fn build(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: &[&[u8]],
) -> Result<Arc<ServerConfig>, CertError> {
    let mut config = ServerConfig::builder_with_provider(ring_provider())
        .with_safe_default_protocol_versions()
        .map_err(CertError::ServerConfig)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(CertError::ServerConfig)?;
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::generate_self_signed;

    /// A generated certificate and its key make a server config.
    #[test]
    fn builds_from_generated_pem() {
        let cert = generate_self_signed(&["localhost".to_owned()]).unwrap();
        assert!(server_config(&cert.cert_pem, &cert.key_pem).is_ok());
    }

    /// The ALPN list is copied into the config.
    #[test]
    fn sets_alpn_protocols() {
        let cert = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let config =
            server_config_with_alpn(&cert.cert_pem, &cert.key_pem, &[b"http/1.1"]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    /// A key that belongs to another certificate is rejected.
    #[test]
    fn rejects_mismatched_key() {
        let first = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let second = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let result = server_config(&first.cert_pem, &second.key_pem);
        assert!(
            matches!(result, Err(CertError::ServerConfig(_))),
            "{result:?}"
        );
    }

    /// Text without PEM blocks is reported as holding no certificate.
    #[test]
    fn rejects_text_without_certificate() {
        let cert = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let result = server_config("not pem", &cert.key_pem);
        assert!(
            matches!(result, Err(CertError::NoCertificates { .. })),
            "{result:?}"
        );
    }
}
