//! Generation of self-signed certificates and of a small certificate
//! authority for tests and the demo.
//!
//! The authority lives in memory only. Persisting its key is up to the
//! caller.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use time::OffsetDateTime;

use super::CertError;
use crate::fingerprint::Fingerprint;
use crate::timefmt::rfc3339;

/// How far back a generated certificate's validity starts, so that a peer
/// whose clock is slightly behind still accepts it.
const BACKDATE: Duration = Duration::from_secs(24 * 60 * 60);

/// Validity of a generated self-signed certificate.
const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Validity of a generated certificate authority.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// A freshly generated certificate with its private key.
#[derive(Clone)]
pub struct GeneratedCert {
    /// The certificate in PEM form.
    pub cert_pem: String,
    /// The PKCS#8 private key in PEM form.
    pub key_pem: String,
    /// The certificate in DER form.
    pub cert_der: Vec<u8>,
    /// SHA-256 fingerprint of `cert_der`.
    pub fingerprint: Fingerprint,
}

impl std::fmt::Debug for GeneratedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of debug output.
        f.debug_struct("GeneratedCert")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// An in-memory certificate authority that issues server certificates.
pub struct CertAuthority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertAuthority")
            .field("fingerprint", &Fingerprint::of(self.issuer.der()))
            .finish_non_exhaustive()
    }
}

/// Generates a self-signed server certificate valid from one day ago for
/// one year.
///
/// IP addresses in `names` become IP address SANs and the others DNS SANs.
/// The first name is also the subject common name.
pub fn generate_self_signed(names: &[String]) -> Result<GeneratedCert, CertError> {
    let now = SystemTime::now();
    let mut params = leaf_params(names, now - BACKDATE, now + SELF_SIGNED_VALIDITY)?;
    params.is_ca = IsCa::NoCa;
    let key = KeyPair::generate().map_err(CertError::Generate)?;
    let cert = params.self_signed(&key).map_err(CertError::Generate)?;
    Ok(generated(cert.pem(), cert.der(), &key))
}

/// Generates a certificate authority whose subject common name is `name`,
/// valid from one day ago for ten years.
pub fn generate_ca(name: &str) -> Result<CertAuthority, CertError> {
    let now = SystemTime::now();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = (now - BACKDATE).into();
    params.not_after = (now + CA_VALIDITY).into();
    let key = KeyPair::generate().map_err(CertError::Generate)?;
    let issuer = CertifiedIssuer::self_signed(params, key).map_err(CertError::Generate)?;
    Ok(CertAuthority { issuer })
}

impl CertAuthority {
    /// Issues a server certificate for `names`, valid from `not_before` to
    /// `not_after`.
    ///
    /// Any period is accepted as long as it does not end before it starts,
    /// so tests can create expired and not-yet-valid certificates.
    pub fn issue(
        &self,
        names: &[String],
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<GeneratedCert, CertError> {
        let mut params = leaf_params(names, not_before, not_after)?;
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(CertError::Generate)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(CertError::Generate)?;
        Ok(generated(cert.pem(), cert.der(), &key))
    }

    /// Returns the authority's own certificate in PEM form, for root stores.
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// Returns the authority's own certificate in DER form.
    pub fn cert_der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }
}

/// Builds the parameters shared by self-signed and issued server
/// certificates.
fn leaf_params(
    names: &[String],
    not_before: SystemTime,
    not_after: SystemTime,
) -> Result<CertificateParams, CertError> {
    let first = names.first().ok_or(CertError::NoNames)?;
    let not_before = OffsetDateTime::from(not_before);
    let not_after = OffsetDateTime::from(not_after);
    if not_after < not_before {
        return Err(CertError::InvalidValidity {
            not_before: rfc3339(not_before),
            not_after: rfc3339(not_after),
        });
    }
    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|name| san(name))
        .collect::<Result<_, _>>()?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, first);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    Ok(params)
}

fn san(name: &str) -> Result<SanType, CertError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let dns = name
        .to_owned()
        .try_into()
        .map_err(|source| CertError::InvalidName {
            name: name.to_owned(),
            source,
        })?;
    Ok(SanType::DnsName(dns))
}

fn generated(cert_pem: String, der: &[u8], key: &KeyPair) -> GeneratedCert {
    GeneratedCert {
        cert_pem,
        key_pem: key.serialize_pem(),
        cert_der: der.to_vec(),
        fingerprint: Fingerprint::of(der),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    /// The fingerprint field is the digest of the DER field.
    #[test]
    fn self_signed_fingerprint_matches_der() {
        let cert = generate_self_signed(&names(&["localhost", "127.0.0.1"])).unwrap();
        assert_eq!(cert.fingerprint, Fingerprint::of(&cert.cert_der));
    }

    /// An empty name list is rejected.
    #[test]
    fn rejects_empty_names() {
        let result = generate_self_signed(&[]);
        assert!(matches!(result, Err(CertError::NoNames)));
    }

    /// A name with characters outside IA5 is rejected and quoted.
    #[test]
    fn rejects_non_ascii_name() {
        let error = generate_self_signed(&names(&["bad\u{e9}.example"])).unwrap_err();
        assert!(error.to_string().contains("bad\u{e9}.example"), "{error}");
    }

    /// A period that ends before it starts is rejected.
    #[test]
    fn rejects_inverted_validity() {
        let ca = generate_ca("test ca").unwrap();
        let now = SystemTime::now();
        let result = ca.issue(&names(&["localhost"]), now, now - BACKDATE);
        assert!(matches!(result, Err(CertError::InvalidValidity { .. })));
    }

    /// Debug output of a generated certificate leaves out the private key.
    #[test]
    fn debug_hides_private_key() {
        let cert = generate_self_signed(&names(&["localhost"])).unwrap();
        let debug = format!("{cert:?}");
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    }
}
