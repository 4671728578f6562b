//! The HTTP CONNECT exchange with a proxy.
//!
//! The response head is read one byte at a time, so no byte the target
//! sends after the head is consumed here. Heads larger than 16 KiB are
//! rejected. Credentials go only into the `Proxy-Authorization` header and
//! are never logged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::DialError;
use super::config::ProxyConfig;

/// Maximum size of the proxy's response head.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Maximum length of a reason phrase quoted in an error.
const MAX_REASON_CHARS: usize = 200;

/// Asks the proxy on `stream` for a tunnel to `target` (`host:port`) and
/// returns the stream once the proxy responds with a 2xx status.
pub(super) async fn open_tunnel(
    mut stream: TcpStream,
    proxy: &ProxyConfig,
    target: &str,
) -> Result<TcpStream, DialError> {
    let io_failed = |source| DialError::ProxyIo {
        proxy: proxy.address(),
        source,
    };
    stream
        .write_all(connect_request(proxy, target).as_bytes())
        .await
        .map_err(io_failed)?;
    let head = read_head(&mut stream, proxy).await?;
    let (status, reason) = parse_status_line(&head).ok_or_else(|| DialError::ProxyProtocol {
        proxy: proxy.address(),
        reason: "the response does not start with an HTTP status line",
    })?;
    match status {
        200..=299 => {
            tracing::debug!(proxy = %proxy, target, status, "proxy tunnel established");
            Ok(stream)
        }
        407 => Err(DialError::ProxyAuthenticationRequired {
            proxy: proxy.address(),
            credentials_sent: proxy.credentials.is_some(),
        }),
        _ => Err(DialError::ProxyRefused {
            proxy: proxy.address(),
            target: target.to_owned(),
            status,
            reason,
        }),
    }
}

fn connect_request(proxy: &ProxyConfig, target: &str) -> String {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, password)) = &proxy.credentials {
        let token = STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    request
}

/// Reads up to and including the blank line that ends the response head.
async fn read_head(stream: &mut TcpStream, proxy: &ProxyConfig) -> Result<Vec<u8>, DialError> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !(head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n")) {
        if head.len() >= MAX_HEAD_BYTES {
            return Err(DialError::ProxyProtocol {
                proxy: proxy.address(),
                reason: "the response head exceeds 16 KiB",
            });
        }
        let read = stream
            .read(&mut byte)
            .await
            .map_err(|source| DialError::ProxyIo {
                proxy: proxy.address(),
                source,
            })?;
        if read == 0 {
            return Err(DialError::ProxyProtocol {
                proxy: proxy.address(),
                reason: "the proxy closed the connection before sending a response",
            });
        }
        head.push(byte[0]);
    }
    Ok(head)
}

/// Parses `HTTP/1.x CODE reason` into the code and the reason phrase.
fn parse_status_line(head: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next()?;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    let status = code.parse::<u16>().ok()?;
    let reason = parts
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON_CHARS)
        .collect();
    Some((status, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A status line yields its code and reason phrase.
    #[test]
    fn parses_status_line() {
        let parsed = parse_status_line(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
        assert_eq!(
            parsed,
            Some((407, "Proxy Authentication Required".to_owned()))
        );
    }

    /// A status line without a reason phrase is accepted.
    #[test]
    fn parses_status_without_reason() {
        assert_eq!(
            parse_status_line(b"HTTP/1.0 200\r\n\r\n"),
            Some((200, String::new()))
        );
    }

    /// Text that is not an HTTP status line is rejected.
    #[test]
    fn rejects_non_http_line() {
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
    }

    /// The request carries Host and, with credentials, a Basic header.
    #[test]
    fn request_has_basic_header() {
        let proxy: ProxyConfig = "http://alice:secret@proxy:3128".parse().unwrap();
        let request = connect_request(&proxy, "backup.example:443");
        let expected = "CONNECT backup.example:443 HTTP/1.1\r\n\
                        Host: backup.example:443\r\n\
                        Proxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n";
        assert_eq!(request, expected);
    }
}
