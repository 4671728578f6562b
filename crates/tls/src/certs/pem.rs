//! Loading certificates and private keys from PEM files and PEM text.
//!
//! Parsing uses rustls-pki-types' PEM reader. Checking that a key matches
//! its certificate is left to rustls when a config is built.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{CertError, TEXT_ORIGIN, file_origin};

/// Loads every certificate in a PEM file, in file order.
///
/// Blocks of other types (such as keys) are skipped. A file with no
/// certificate is an error.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let origin = file_origin(path);
    let iter = CertificateDer::pem_file_iter(path).map_err(|source| CertError::ReadPem {
        origin: origin.clone(),
        source,
    })?;
    collect_certs(iter, origin)
}

/// Loads the first private key in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, CertError> {
    key_result(PrivateKeyDer::from_pem_file(path), file_origin(path))
}

/// Parses every certificate in PEM text.
pub(crate) fn parse_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, CertError> {
    collect_certs(
        CertificateDer::pem_slice_iter(pem.as_bytes()),
        TEXT_ORIGIN.to_owned(),
    )
}

/// Parses the first private key in PEM text.
pub(crate) fn parse_key(pem: &str) -> Result<PrivateKeyDer<'static>, CertError> {
    key_result(
        PrivateKeyDer::from_pem_slice(pem.as_bytes()),
        TEXT_ORIGIN.to_owned(),
    )
}

fn collect_certs(
    iter: impl Iterator<Item = Result<CertificateDer<'static>, rustls_pki_types::pem::Error>>,
    origin: String,
) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let mut certs = Vec::new();
    for item in iter {
        match item {
            Ok(cert) => certs.push(cert),
            Err(source) => return Err(CertError::ReadPem { origin, source }),
        }
    }
    if certs.is_empty() {
        return Err(CertError::NoCertificates { origin });
    }
    Ok(certs)
}

fn key_result(
    result: Result<PrivateKeyDer<'static>, rustls_pki_types::pem::Error>,
    origin: String,
) -> Result<PrivateKeyDer<'static>, CertError> {
    match result {
        Ok(key) => Ok(key),
        Err(rustls_pki_types::pem::Error::NoItemsFound) => Err(CertError::NoPrivateKey { origin }),
        Err(source) => Err(CertError::ReadPem { origin, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::generate_self_signed;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A certificate file written from a generated cert loads back to the same DER.
    #[test]
    fn loads_generated_certificate() {
        let generated = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "cert.pem", &generated.cert_pem);
        let certs = load_certs(&path).unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].as_ref(), generated.cert_der.as_slice());
    }

    /// A key file written from a generated cert loads.
    #[test]
    fn loads_generated_key() {
        let generated = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "key.pem", &generated.key_pem);
        assert!(load_key(&path).is_ok());
    }

    /// A missing file gives a read error that names the path.
    #[test]
    fn missing_file_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.pem");
        let error = load_certs(&path).unwrap_err();
        assert!(matches!(error, CertError::ReadPem { .. }), "{error:?}");
        assert!(error.to_string().contains("absent.pem"), "{error}");
    }

    /// A key file contains no certificate, which is reported as such.
    #[test]
    fn key_file_has_no_certificates() {
        let generated = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "key.pem", &generated.key_pem);
        let error = load_certs(&path).unwrap_err();
        assert!(
            matches!(error, CertError::NoCertificates { .. }),
            "{error:?}"
        );
    }

    /// A certificate file contains no key, which is reported as such.
    #[test]
    fn cert_file_has_no_key() {
        let generated = generate_self_signed(&["localhost".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "cert.pem", &generated.cert_pem);
        let error = load_key(&path).unwrap_err();
        assert!(matches!(error, CertError::NoPrivateKey { .. }), "{error:?}");
    }
}
