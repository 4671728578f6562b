//! Trust anchors for WebPKI verification.
//!
//! The system store comes from rustls-native-certs, with the Mozilla roots
//! from webpki-roots as the fallback when the system has none. Refreshing
//! the store after the system changes is left to the caller.

use std::path::{Path, PathBuf};

use rustls::RootCertStore;

use crate::certs::{CertError, load_certs};

/// Errors from building a root store.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    /// The CA file could not be read or contains no certificate.
    #[error("failed to load the CA file")]
    CaFile(#[source] CertError),

    /// A certificate in the CA file is not a usable trust anchor.
    #[error("invalid CA certificate number {index} in {path:?}")]
    InvalidCaCertificate {
        /// The CA file.
        path: PathBuf,
        /// Position of the certificate in the file, from 1.
        index: usize,
        /// The rustls error.
        #[source]
        source: rustls::Error,
    },
}

/// Builds a root store from the system roots and an optional PEM CA file.
///
/// With `use_system`, the store starts with the operating system's roots,
/// or with the webpki-roots (Mozilla) set when the system provides none.
/// Without it, only the CA file is trusted, and no file means an empty
/// store that trusts nothing.
pub fn root_store(ca_file: Option<&Path>, use_system: bool) -> Result<RootCertStore, RootsError> {
    let mut store = RootCertStore::empty();
    if use_system {
        add_system_roots(&mut store);
    }
    if let Some(path) = ca_file {
        let certs = load_certs(path).map_err(RootsError::CaFile)?;
        for (position, cert) in certs.into_iter().enumerate() {
            store
                .add(cert)
                .map_err(|source| RootsError::InvalidCaCertificate {
                    path: path.to_owned(),
                    index: position + 1,
                    source,
                })?;
        }
    }
    Ok(store)
}

fn add_system_roots(store: &mut RootCertStore) {
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!(%error, "failed to load a system root certificate");
    }
    let (added, ignored) = store.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "loaded system root certificates");
    if added == 0 {
        tracing::debug!("no system roots, using the webpki-roots set");
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::generate_ca;

    /// Without system roots, the store contains exactly the CA file's certificate.
    #[test]
    fn ca_file_only() {
        let ca = generate_ca("test ca").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.cert_pem()).unwrap();
        let store = root_store(Some(&path), false).unwrap();
        assert_eq!(store.len(), 1);
    }

    /// With system roots requested, the store is never empty.
    #[test]
    fn system_roots_not_empty() {
        let store = root_store(None, true).unwrap();
        assert!(!store.is_empty());
    }

    /// A CA file that does not exist is an error.
    #[test]
    fn missing_ca_file_fails() {
        let dir = tempfile::tempdir().unwrap();
        let result = root_store(Some(&dir.path().join("absent.pem")), false);
        assert!(matches!(result, Err(RootsError::CaFile(_))), "{result:?}");
    }
}
