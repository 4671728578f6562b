//! Certificate pinning: a verifier that accepts one leaf certificate by its
//! SHA-256 fingerprint.
//!
//! Pinning is how an endpoint with a self-signed certificate is accepted,
//! so chain trust, host name and validity dates are not checked. Handshake
//! signatures are still verified with the provider's algorithms, which
//! proves the server has the pinned certificate's key.

use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::fingerprint::Fingerprint;

/// A [`ServerCertVerifier`] that accepts exactly the leaf certificate whose
/// fingerprint is pinned.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: Fingerprint,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedVerifier {
    /// Creates a verifier for `pin` that checks handshake signatures with
    /// `provider`'s algorithms.
    pub fn new(pin: Fingerprint, provider: &CryptoProvider) -> Self {
        Self {
            pin,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    /// Accepts the leaf if its fingerprint equals the pin. On a mismatch the
    /// error names both fingerprints.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity);
        if presented == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        tracing::debug!(%presented, pinned = %self.pin, "certificate fingerprint mismatch");
        Err(rustls::Error::General(format!(
            "certificate fingerprint {presented} does not match the pinned fingerprint {}",
            self.pin
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
