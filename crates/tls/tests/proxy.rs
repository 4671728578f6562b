//! Dialing directly and through a test HTTP CONNECT proxy on loopback,
//! with TLS to a local server on top.

mod common;

use std::time::Duration;

use common::*;
use nbwss_tls::{
    DialError, NoProxy, ProxyConfig, ProxySettings, client_config, connect, dial, generate_ca,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn via(proxy: &TestProxy, credentials: Option<(&str, &str)>) -> ProxySettings {
    ProxySettings {
        proxy: Some(ProxyConfig {
            host: proxy.address.ip().to_string(),
            port: proxy.address.port(),
            credentials: credentials.map(|(user, pass)| (user.to_owned(), pass.to_owned())),
        }),
        no_proxy: NoProxy::default(),
    }
}

/// Dials `127.0.0.1:port` and completes TLS with the test CA, then reads
/// the greeting.
async fn tls_greeting(
    settings: &ProxySettings,
    port: u16,
    ca: &nbwss_tls::CertAuthority,
) -> Result<Vec<u8>, DialError> {
    let stream = dial("127.0.0.1", port, settings, WAIT).await?;
    let config = client_config(roots_for(ca), None);
    let mut tls = connect(stream, "127.0.0.1", config).await.unwrap();
    Ok(read_greeting(&mut tls).await)
}

/// A direct dial reaches the TLS server.
#[tokio::test]
async fn direct_dial_reaches_server() {
    let ca = generate_ca("Test Root").unwrap();
    let server = start_tls_server(&issue_current(&ca, &["127.0.0.1"])).await;
    let greeting = tls_greeting(&ProxySettings::default(), server.port(), &ca).await;
    assert_eq!(greeting.unwrap(), GREETING);
}

/// A proxy without authentication tunnels TLS to the server.
#[tokio::test]
async fn proxy_tunnels_tls() {
    let ca = generate_ca("Test Root").unwrap();
    let server = start_tls_server(&issue_current(&ca, &["127.0.0.1"])).await;
    let mut proxy = start_proxy(ProxyMode::Tunnel {
        required_auth: None,
    })
    .await;
    let greeting = tls_greeting(&via(&proxy, None), server.port(), &ca).await;
    assert_eq!(greeting.unwrap(), GREETING);
    assert_eq!(next(&mut proxy.targets).await, server.to_string());
    assert_eq!(next(&mut proxy.auth_headers).await, None);
}

/// Without credentials, a proxy that requires them gives the 407 error
/// with its exact message.
#[tokio::test]
async fn proxy_without_credentials_gets_407() {
    let proxy = start_proxy(ProxyMode::Tunnel {
        required_auth: Some("Basic dXNlcjpwYXNz".to_owned()),
    })
    .await;
    let error = dial("127.0.0.1", 9, &via(&proxy, None), WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            DialError::ProxyAuthenticationRequired {
                credentials_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    let expected = format!("proxy authentication required by {}", proxy.address);
    assert_eq!(error.to_string(), expected);
}

/// Wrong credentials also give the 407 error, marked as sent.
#[tokio::test]
async fn proxy_with_wrong_credentials_gets_407() {
    let proxy = start_proxy(ProxyMode::Tunnel {
        required_auth: Some("Basic dXNlcjpwYXNz".to_owned()),
    })
    .await;
    let settings = via(&proxy, Some(("user", "wrong")));
    let error = dial("127.0.0.1", 9, &settings, WAIT).await.unwrap_err();
    assert!(
        matches!(
            error,
            DialError::ProxyAuthenticationRequired {
                credentials_sent: true,
                ..
            }
        ),
        "{error:?}"
    );
}

/// The right credentials pass, and the proxy receives the Basic header.
#[tokio::test]
async fn proxy_accepts_right_credentials() {
    let ca = generate_ca("Test Root").unwrap();
    let server = start_tls_server(&issue_current(&ca, &["127.0.0.1"])).await;
    // "user:pass" in base64.
    let mut proxy = start_proxy(ProxyMode::Tunnel {
        required_auth: Some("Basic dXNlcjpwYXNz".to_owned()),
    })
    .await;
    let settings = via(&proxy, Some(("user", "pass")));
    let greeting = tls_greeting(&settings, server.port(), &ca).await;
    assert_eq!(greeting.unwrap(), GREETING);
    let header = next(&mut proxy.auth_headers).await;
    assert_eq!(header.as_deref(), Some("Basic dXNlcjpwYXNz"));
}

/// Credentials parsed from a percent-encoded URL reach the proxy decoded.
#[tokio::test]
async fn proxy_url_credentials_are_decoded() {
    let ca = generate_ca("Test Root").unwrap();
    let server = start_tls_server(&issue_current(&ca, &["127.0.0.1"])).await;
    // "us@r:p:ss" in base64.
    let mut proxy = start_proxy(ProxyMode::Tunnel {
        required_auth: Some("Basic dXNAcjpwOnNz".to_owned()),
    })
    .await;
    let url = format!("http://us%40r:p%3Ass@{}", proxy.address);
    let settings = ProxySettings::default().with_proxy(&url).unwrap();
    let greeting = tls_greeting(&settings, server.port(), &ca).await;
    assert_eq!(greeting.unwrap(), GREETING);
    let header = next(&mut proxy.auth_headers).await;
    assert_eq!(header.as_deref(), Some("Basic dXNAcjpwOnNz"));
}

/// A status other than 2xx or 407 is reported with code and reason.
#[tokio::test]
async fn proxy_refusal_has_status() {
    let proxy = start_proxy(ProxyMode::Respond("HTTP/1.1 403 Forbidden\r\n\r\n")).await;
    let error = dial("127.0.0.1", 9, &via(&proxy, None), WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DialError::ProxyRefused { status: 403, reason, .. } if reason == "Forbidden"),
        "{error:?}"
    );
}

/// A response that is not HTTP is a protocol error.
#[tokio::test]
async fn proxy_garbage_is_protocol_error() {
    let proxy = start_proxy(ProxyMode::Respond("SSH-2.0-test\r\n\r\n")).await;
    let error = dial("127.0.0.1", 9, &via(&proxy, None), WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DialError::ProxyProtocol { .. }),
        "{error:?}"
    );
}

/// Bytes the proxy sends right after the response head are not lost.
#[tokio::test]
async fn keeps_bytes_after_response_head() {
    let proxy = start_proxy(ProxyMode::Respond(
        "HTTP/1.1 200 Connection established\r\n\r\nearly bytes",
    ))
    .await;
    let mut stream = dial("127.0.0.1", 9, &via(&proxy, None), WAIT)
        .await
        .unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut received))
        .await
        .expect("read timed out")
        .unwrap();
    assert_eq!(received, b"early bytes");
}

/// A proxy that never responds makes the dial time out.
#[tokio::test]
async fn silent_proxy_times_out() {
    let proxy = start_proxy(ProxyMode::Silent).await;
    let timeout = Duration::from_millis(300);
    let error = dial("127.0.0.1", 9, &via(&proxy, None), timeout)
        .await
        .unwrap_err();
    assert!(matches!(error, DialError::TimedOut { .. }), "{error:?}");
}

/// A host in `NO_PROXY` is dialed directly even with a proxy set.
#[tokio::test]
async fn no_proxy_host_is_dialed_directly() {
    let ca = generate_ca("Test Root").unwrap();
    let server = start_tls_server(&issue_current(&ca, &["127.0.0.1"])).await;
    // The proxy would reject every request, so only a direct dial works.
    let proxy = start_proxy(ProxyMode::Respond("HTTP/1.1 403 Forbidden\r\n\r\n")).await;
    let mut settings = via(&proxy, None);
    settings.no_proxy = NoProxy::parse("localhost,127.0.0.1");
    let greeting = tls_greeting(&settings, server.port(), &ca).await;
    assert_eq!(greeting.unwrap(), GREETING);
}

/// A name under `.invalid` gives the DNS error.
#[tokio::test]
async fn unresolvable_name_is_dns_error() {
    // glibc (2.36) sends queries for `.invalid` names to the configured
    // resolver. A label over the 63-byte DNS limit fails inside the
    // resolver library instead, so the test sends no packet.
    let host = format!("{}.invalid", "a".repeat(64));
    let error = dial(&host, 443, &ProxySettings::default(), WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DialError::NameNotResolved { .. }),
        "{error:?}"
    );
}

/// A closed port gives the connection-refused error.
#[tokio::test]
async fn closed_port_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let error = dial("127.0.0.1", port, &ProxySettings::default(), WAIT)
        .await
        .unwrap_err();
    assert!(
        matches!(error, DialError::ConnectionRefused { .. }),
        "{error:?}"
    );
}

/// An unreachable proxy is reported as the proxy's failure.
#[tokio::test]
async fn unreachable_proxy_is_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let settings = ProxySettings::default()
        .with_proxy(&format!("http://{address}"))
        .unwrap();
    let error = dial("127.0.0.1", 9, &settings, WAIT).await.unwrap_err();
    assert!(
        matches!(error, DialError::ProxyUnreachable { .. }),
        "{error:?}"
    );
}

/// A host with a line break is rejected before anything is sent.
#[tokio::test]
async fn rejects_host_with_line_break() {
    let error = dial("evil\r\nX: y", 443, &ProxySettings::default(), WAIT)
        .await
        .unwrap_err();
    assert!(matches!(error, DialError::InvalidHost { .. }), "{error:?}");
}

/// A dialed stream carries data both ways, as a plain echo shows.
#[tokio::test]
async fn direct_stream_carries_data() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 4];
            if stream.read_exact(&mut buffer).await.is_ok() {
                let _ = stream.write_all(&buffer).await;
            }
        }
    });
    let mut stream = dial("localhost", port, &ProxySettings::default(), WAIT)
        .await
        .unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut buffer = [0u8; 4];
    tokio::time::timeout(WAIT, stream.read_exact(&mut buffer))
        .await
        .expect("echo timed out")
        .unwrap();
    assert_eq!(&buffer, b"ping");
}
