//! Human-readable facts about one certificate, parsed with x509-parser.
//!
//! Only the fields the Validate report shows are extracted. Judging them
//! is left to [`super::analysis`].

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use crate::fingerprint::Fingerprint;
use crate::timefmt::rfc3339;

/// The details a report shows for one certificate of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertInfo {
    /// Subject distinguished name, e.g. `CN=backup.example.com, O=Example`.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses as plain text. Other name types carry a
    /// prefix (`email:`, `URI:`).
    pub subject_alt_names: Vec<String>,
    /// Start of validity, in Unix seconds.
    pub not_before: i64,
    /// End of validity, in Unix seconds.
    pub not_after: i64,
    /// Start of validity in RFC 3339.
    pub not_before_text: String,
    /// End of validity in RFC 3339.
    pub not_after_text: String,
    /// SHA-256 fingerprint of the certificate's DER encoding.
    pub fingerprint: Fingerprint,
    /// Whether the certificate is signed by its own key with the issuer
    /// equal to the subject.
    pub self_signed: bool,
}

/// Parses a DER certificate into a [`CertInfo`].
pub(super) fn describe(
    der: &[u8],
) -> Result<CertInfo, x509_parser::nom::Err<x509_parser::error::X509Error>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)?;
    let validity = cert.validity();
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        subject_alt_names: subject_alt_names(&cert),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        not_before_text: rfc3339(validity.not_before.to_datetime()),
        not_after_text: rfc3339(validity.not_after.to_datetime()),
        fingerprint: Fingerprint::of(der),
        self_signed: is_self_signed(&cert),
    })
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(extension)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    extension
        .value
        .general_names
        .iter()
        .filter_map(general_name_text)
        .collect()
}

fn general_name_text(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_owned()),
        GeneralName::IPAddress(bytes) => ip_text(bytes),
        GeneralName::RFC822Name(email) => Some(format!("email:{email}")),
        GeneralName::URI(uri) => Some(format!("URI:{uri}")),
        _ => None,
    }
}

/// Formats a 4- or 16-byte IP address SAN. Other lengths (address ranges
/// in name constraints) are skipped.
fn ip_text(bytes: &[u8]) -> Option<String> {
    let address = match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?),
        _ => return None,
    };
    Some(address.to_string())
}

fn is_self_signed(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw() && cert.verify_signature(None).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::{generate_ca, generate_self_signed};

    /// A generated certificate lists its DNS and IP names.
    #[test]
    fn lists_dns_and_ip_names() {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let cert = generate_self_signed(&names).unwrap();
        let info = describe(&cert.cert_der).unwrap();
        assert_eq!(info.subject_alt_names, names);
    }

    /// A self-signed certificate is recognized as such.
    #[test]
    fn detects_self_signed() {
        let cert = generate_self_signed(&["localhost".to_owned()]).unwrap();
        assert!(describe(&cert.cert_der).unwrap().self_signed);
    }

    /// A CA-issued certificate is not self-signed and names its issuer.
    #[test]
    fn issued_is_not_self_signed() {
        let ca = generate_ca("Test Root").unwrap();
        let now = std::time::SystemTime::now();
        let day = std::time::Duration::from_secs(86_400);
        let cert = ca
            .issue(&["localhost".to_owned()], now - day, now + day)
            .unwrap();
        let info = describe(&cert.cert_der).unwrap();
        assert!(!info.self_signed);
        assert_eq!(info.issuer, "CN=Test Root");
    }

    /// Bytes that are not a certificate fail to parse.
    #[test]
    fn rejects_garbage() {
        assert!(describe(b"not a certificate").is_err());
    }
}
