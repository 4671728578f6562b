//! Client configs against a real TLS server on loopback: WebPKI
//! verification with a test CA, and fingerprint pinning.

mod common;

use std::sync::Arc;

use common::*;
use nbwss_tls::{ConnectError, Fingerprint, client_config, connect, generate_ca};
use rustls::ClientConfig;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

async fn connect_to(
    address: std::net::SocketAddr,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<TlsStream<TcpStream>, ConnectError> {
    let stream = TcpStream::connect(address).await.unwrap();
    tokio::time::timeout(WAIT, connect(stream, host, config))
        .await
        .expect("handshake timed out")
}

/// A CA-issued certificate is accepted for the host it names.
#[tokio::test]
async fn webpki_accepts_right_host() {
    let ca = generate_ca("Test Root").unwrap();
    let address = start_tls_server(&issue_current(&ca, &["localhost"])).await;
    let config = client_config(roots_for(&ca), None);
    let mut tls = connect_to(address, "localhost", config).await.unwrap();
    assert_eq!(read_greeting(&mut tls).await, GREETING);
}

/// An IP address SAN is accepted when the client dials that address.
#[tokio::test]
async fn webpki_accepts_ip_host() {
    let ca = generate_ca("Test Root").unwrap();
    let address = start_tls_server(&issue_current(&ca, &["127.0.0.1"])).await;
    let config = client_config(roots_for(&ca), None);
    let result = connect_to(address, "127.0.0.1", config).await;
    assert!(result.is_ok(), "{result:?}");
}

/// The same certificate is rejected for a host it does not name.
#[tokio::test]
async fn webpki_rejects_wrong_host() {
    let ca = generate_ca("Test Root").unwrap();
    let address = start_tls_server(&issue_current(&ca, &["localhost"])).await;
    let config = client_config(roots_for(&ca), None);
    let error = connect_to(address, "other.test", config).await.unwrap_err();
    let tls_error = error.tls_error();
    assert!(
        matches!(tls_error, Some(rustls::Error::InvalidCertificate(_))),
        "{error:?}"
    );
}

/// A certificate from a CA that is not in the roots is rejected.
#[tokio::test]
async fn webpki_rejects_unknown_ca() {
    let trusted = generate_ca("Trusted Root").unwrap();
    let other = generate_ca("Other Root").unwrap();
    let address = start_tls_server(&issue_current(&other, &["localhost"])).await;
    let config = client_config(roots_for(&trusted), None);
    let error = connect_to(address, "localhost", config).await.unwrap_err();
    let expected = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
    assert_eq!(error.tls_error(), Some(&expected));
}

/// A self-signed certificate is accepted when its fingerprint is pinned,
/// even for a host it does not name.
#[tokio::test]
async fn pin_accepts_matching_self_signed() {
    let cert = nbwss_tls::generate_self_signed(&names(&["localhost"])).unwrap();
    let address = start_tls_server(&cert).await;
    let config = client_config(rustls::RootCertStore::empty(), Some(cert.fingerprint));
    let mut tls = connect_to(address, "elsewhere.test", config).await.unwrap();
    assert_eq!(read_greeting(&mut tls).await, GREETING);
}

/// A different certificate is rejected, and the message names both
/// fingerprints.
#[tokio::test]
async fn pin_rejects_other_certificate() {
    let served = nbwss_tls::generate_self_signed(&names(&["localhost"])).unwrap();
    let pinned = nbwss_tls::generate_self_signed(&names(&["localhost"])).unwrap();
    let address = start_tls_server(&served).await;
    let config = client_config(rustls::RootCertStore::empty(), Some(pinned.fingerprint));
    let error = connect_to(address, "localhost", config).await.unwrap_err();
    let message = error
        .tls_error()
        .map(ToString::to_string)
        .unwrap_or_default();
    let expected = format!(
        "certificate fingerprint {} does not match the pinned fingerprint {}",
        served.fingerprint, pinned.fingerprint
    );
    assert!(message.contains(&expected), "{message}");
}

/// The pin message also reaches a caller that prints the error chain.
#[tokio::test]
async fn pin_mismatch_in_error_chain() {
    let served = nbwss_tls::generate_self_signed(&names(&["localhost"])).unwrap();
    let pin = Fingerprint::of(b"some other certificate");
    let address = start_tls_server(&served).await;
    let config = client_config(rustls::RootCertStore::empty(), Some(pin));
    let error = connect_to(address, "localhost", config).await.unwrap_err();
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    assert!(chain.contains(&pin.to_string()), "{chain}");
    assert!(chain.contains(&served.fingerprint.to_string()), "{chain}");
}
