//! Certificates: generation, PEM loading and rustls server configs.
//!
//! Generated certificates use ECDSA P-256 keys. Where certificates and keys
//! are stored, and when they are rotated, is left to the callers.

mod generate;
mod pem;
mod server;

use std::path::PathBuf;

pub use generate::{CertAuthority, GeneratedCert, generate_ca, generate_self_signed};
pub use pem::{load_certs, load_key};
pub use server::{
    server_config, server_config_from_files, server_config_from_files_with_alpn,
    server_config_with_alpn,
};

/// Errors from generating, loading or configuring certificates.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// No host name or IP address was given for a certificate.
    #[error("no certificate names given: expected at least one host name or IP address")]
    NoNames,

    /// A name is neither an IP address nor a valid DNS name.
    #[error("invalid certificate name {name:?}: expected a DNS name or an IP address")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// The rcgen error.
        #[source]
        source: rcgen::Error,
    },

    /// The validity period ends before it starts.
    #[error("invalid validity period: not_after {not_after} is before not_before {not_before}")]
    InvalidValidity {
        /// Start of the requested period (RFC 3339).
        not_before: String,
        /// End of the requested period (RFC 3339).
        not_after: String,
    },

    /// Key generation or certificate signing failed.
    #[error("failed to generate a certificate")]
    Generate(#[source] rcgen::Error),

    /// A PEM file could not be read or decoded.
    #[error("failed to read PEM from {origin}")]
    ReadPem {
        /// The file path, or `PEM text` for in-memory input.
        origin: String,
        /// The read or decode failure.
        #[source]
        source: rustls_pki_types::pem::Error,
    },

    /// PEM input contains no certificate.
    #[error(
        "no certificate found in {origin}: expected a PEM block \
         starting with -----BEGIN CERTIFICATE-----"
    )]
    NoCertificates {
        /// The file path, or `PEM text` for in-memory input.
        origin: String,
    },

    /// PEM input contains no private key.
    #[error(
        "no private key found in {origin}: expected a PKCS#8, PKCS#1 (RSA) \
         or SEC1 (EC) PEM block"
    )]
    NoPrivateKey {
        /// The file path, or `PEM text` for in-memory input.
        origin: String,
    },

    /// rustls rejected the certificate chain or key, for example because
    /// the key does not belong to the certificate.
    #[error("certificate and key rejected by rustls")]
    ServerConfig(#[source] rustls::Error),
}

/// Label for PEM that comes from a file.
fn file_origin(path: &std::path::Path) -> String {
    format!("file {:?}", PathBuf::from(path))
}

/// Label for PEM passed in as a string.
const TEXT_ORIGIN: &str = "PEM text";
