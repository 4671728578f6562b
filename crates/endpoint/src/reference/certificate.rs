//! The reference server's TLS certificate: loaded from PEM files or
//! generated, with its fingerprint for pinning.
//!
//! Persisting a generated certificate is left to the caller, which gets its
//! PEM from [`RunningReference::certificate_pem`](super::RunningReference::certificate_pem).

use std::sync::Arc;

use nbwss_tls::{CertError, Fingerprint};

use super::{ReferenceError, ReferenceOptions, TlsSource};

/// The served certificate and the TLS config built from it.
pub(crate) struct Certificate {
    pub(crate) tls: Arc<rustls::ServerConfig>,
    pub(crate) cert_pem: String,
    pub(crate) fingerprint: Fingerprint,
}

/// Loads or generates the certificate that `options` names.
pub(crate) fn load_certificate(options: &ReferenceOptions) -> Result<Certificate, ReferenceError> {
    match &options.tls {
        TlsSource::Files { cert, key } => {
            let chain = nbwss_tls::load_certs(cert).map_err(ReferenceError::Certificate)?;
            let Some(leaf) = chain.first() else {
                return Err(ReferenceError::Certificate(CertError::NoCertificates {
                    origin: format!("file {cert:?}"),
                }));
            };
            let fingerprint = Fingerprint::of(leaf.as_ref());
            let tls = nbwss_tls::server_config_from_files(cert, key)
                .map_err(ReferenceError::Certificate)?;
            let cert_pem = std::fs::read_to_string(cert).map_err(|source| {
                ReferenceError::CertificateRead {
                    path: cert.clone(),
                    source,
                }
            })?;
            Ok(Certificate {
                tls,
                cert_pem,
                fingerprint,
            })
        }
        TlsSource::Generate { names } => {
            let mut names = names.clone();
            if !names.contains(&options.public_host) {
                names.push(options.public_host.clone());
            }
            let generated =
                nbwss_tls::generate_self_signed(&names).map_err(ReferenceError::Certificate)?;
            let tls = nbwss_tls::server_config(&generated.cert_pem, &generated.key_pem)
                .map_err(ReferenceError::Certificate)?;
            Ok(Certificate {
                tls,
                cert_pem: generated.cert_pem,
                fingerprint: generated.fingerprint,
            })
        }
    }
}
