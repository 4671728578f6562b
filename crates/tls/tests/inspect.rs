//! The Validate report against real TLS servers on loopback, one per kind
//! of certificate problem.

mod common;

use std::net::SocketAddr;
use std::time::SystemTime;

use common::*;
use nbwss_tls::{ChainReport, GeneratedCert, Problem, generate_ca, generate_self_signed, inspect};
use rustls::RootCertStore;
use tokio::net::TcpStream;

async fn report_for(address: SocketAddr, host: &str, roots: RootCertStore) -> ChainReport {
    let stream = TcpStream::connect(address).await.unwrap();
    tokio::time::timeout(WAIT, inspect(host, address.port(), stream, roots))
        .await
        .expect("inspect timed out")
        .expect("inspect failed")
}

async fn serve(cert: &GeneratedCert) -> SocketAddr {
    start_tls_server(cert).await
}

/// A current CA-issued certificate for the right host is trusted, matches
/// and has no problems.
#[tokio::test]
async fn reports_trusted_chain() {
    let ca = generate_ca("Test Root").unwrap();
    let cert = issue_current(&ca, &["localhost", "127.0.0.1"]);
    let report = report_for(serve(&cert).await, "localhost", roots_for(&ca)).await;
    assert!(report.trusted);
    assert!(report.host_matches);
    assert_eq!(report.problems, vec![]);
    assert_eq!(report.leaf_fingerprint, cert.fingerprint);
}

/// The leaf's details are reported as the certificate states them.
#[tokio::test]
async fn reports_leaf_details() {
    let ca = generate_ca("Test Root").unwrap();
    let cert = issue_current(&ca, &["localhost", "127.0.0.1"]);
    let report = report_for(serve(&cert).await, "127.0.0.1", roots_for(&ca)).await;
    let leaf = &report.certificates[0];
    assert_eq!(leaf.subject, "CN=localhost");
    assert_eq!(leaf.issuer, "CN=Test Root");
    assert_eq!(leaf.subject_alt_names, names(&["localhost", "127.0.0.1"]));
    assert_eq!(leaf.fingerprint, cert.fingerprint);
    assert!(!leaf.self_signed);
    assert!(leaf.not_before < leaf.not_after);
    assert!(
        leaf.not_after_text.ends_with('Z'),
        "{}",
        leaf.not_after_text
    );
}

/// An expired certificate is untrusted with only the expiry as problem.
#[tokio::test]
async fn reports_expired() {
    let ca = generate_ca("Test Root").unwrap();
    let now = SystemTime::now();
    let cert = ca
        .issue(&names(&["localhost"]), now - 3 * DAY, now - DAY)
        .unwrap();
    let report = report_for(serve(&cert).await, "localhost", roots_for(&ca)).await;
    let not_after = report.certificates[0].not_after;
    assert!(!report.trusted);
    assert!(report.host_matches);
    assert_eq!(
        report.problems,
        vec![Problem::Expired {
            subject: "CN=localhost".to_owned(),
            not_after,
        }]
    );
}

/// A certificate valid only from tomorrow is reported as not yet valid.
#[tokio::test]
async fn reports_not_yet_valid() {
    let ca = generate_ca("Test Root").unwrap();
    let now = SystemTime::now();
    let cert = ca
        .issue(&names(&["localhost"]), now + DAY, now + 3 * DAY)
        .unwrap();
    let report = report_for(serve(&cert).await, "localhost", roots_for(&ca)).await;
    let not_before = report.certificates[0].not_before;
    assert!(!report.trusted);
    assert_eq!(
        report.problems,
        vec![Problem::NotYetValid {
            subject: "CN=localhost".to_owned(),
            not_before,
        }]
    );
}

/// A trusted certificate for another host is trusted but does not match.
#[tokio::test]
async fn reports_wrong_host() {
    let ca = generate_ca("Test Root").unwrap();
    let cert = issue_current(&ca, &["cloud.test", "www.cloud.test"]);
    let report = report_for(serve(&cert).await, "localhost", roots_for(&ca)).await;
    assert!(report.trusted);
    assert!(!report.host_matches);
    assert_eq!(
        report.problems,
        vec![Problem::WrongHost {
            host: "localhost".to_owned(),
            names: names(&["cloud.test", "www.cloud.test"]),
        }]
    );
}

/// A self-signed certificate is untrusted because it is self-signed.
#[tokio::test]
async fn reports_self_signed() {
    let cert = generate_self_signed(&names(&["localhost"])).unwrap();
    let report = report_for(serve(&cert).await, "localhost", RootCertStore::empty()).await;
    assert!(!report.trusted);
    assert!(report.host_matches);
    assert!(report.certificates[0].self_signed);
    assert_eq!(report.problems, vec![Problem::SelfSigned]);
    assert_eq!(report.leaf_fingerprint, cert.fingerprint);
}

/// A certificate from a CA outside the roots names that CA.
#[tokio::test]
async fn reports_untrusted_issuer() {
    let trusted = generate_ca("Trusted Root").unwrap();
    let other = generate_ca("Other Root").unwrap();
    let cert = issue_current(&other, &["localhost"]);
    let report = report_for(serve(&cert).await, "localhost", roots_for(&trusted)).await;
    assert!(!report.trusted);
    assert_eq!(
        report.problems,
        vec![Problem::UntrustedIssuer {
            issuer: "CN=Other Root".to_owned(),
        }]
    );
}

/// An expired certificate from an unknown CA reports both problems.
#[tokio::test]
async fn reports_expired_and_untrusted() {
    let other = generate_ca("Other Root").unwrap();
    let now = SystemTime::now();
    let cert = other
        .issue(&names(&["localhost"]), now - 3 * DAY, now - DAY)
        .unwrap();
    let report = report_for(serve(&cert).await, "localhost", RootCertStore::empty()).await;
    let expected_untrusted = Problem::UntrustedIssuer {
        issuer: "CN=Other Root".to_owned(),
    };
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(
        matches!(report.problems[0], Problem::Expired { .. }),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[1], expected_untrusted);
}

/// Each problem kind yields a different explanation.
#[tokio::test]
async fn problem_texts_differ() {
    let ca = generate_ca("Test Root").unwrap();
    let now = SystemTime::now();
    let certs = [
        ca.issue(&names(&["localhost"]), now - 3 * DAY, now - DAY)
            .unwrap(),
        ca.issue(&names(&["localhost"]), now + DAY, now + 3 * DAY)
            .unwrap(),
        issue_current(&ca, &["cloud.test"]),
        generate_self_signed(&names(&["localhost"])).unwrap(),
    ];
    let mut texts = std::collections::HashSet::new();
    for cert in &certs {
        let report = report_for(serve(cert).await, "localhost", roots_for(&ca)).await;
        for problem in &report.problems {
            texts.insert(problem.to_string());
        }
    }
    assert_eq!(texts.len(), certs.len(), "{texts:?}");
}

/// The report serializes to camelCase JSON and reads back unchanged.
#[tokio::test]
async fn report_json_round_trip() {
    let cert = generate_self_signed(&names(&["localhost"])).unwrap();
    let report = report_for(serve(&cert).await, "other.test", RootCertStore::empty()).await;
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(value["hostMatches"], false);
    assert_eq!(value["leafFingerprint"], cert.fingerprint.to_string());
    assert_eq!(value["certificates"][0]["selfSigned"], true);
    assert_eq!(value["problems"][0]["kind"], "selfSigned");
    let back: ChainReport = serde_json::from_value(value).unwrap();
    assert_eq!(back, report);
}

/// A peer that is not a TLS server gives an error, not a report.
#[tokio::test]
async fn non_tls_peer_is_an_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        if let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let stream = TcpStream::connect(address).await.unwrap();
    let result = tokio::time::timeout(
        WAIT,
        inspect("localhost", address.port(), stream, RootCertStore::empty()),
    )
    .await
    .expect("inspect timed out");
    assert!(
        matches!(result, Err(nbwss_tls::InspectError::Handshake { .. })),
        "{result:?}"
    );
}
