//! Describes a failed upstream call for the endpoint: which upstream, and
//! whether the connection was refused, the name not resolved, the TLS
//! handshake failed (with the rustls reason) or something else went wrong.
//!
//! The kind is found by walking the error's source chain, because reqwest
//! reports all of these as one "connect" error. The descriptions name the
//! base URL only, never the request's path, headers or body.

use std::error::Error as StdError;
use std::io;

/// Kind of failure found in the source chain of a failed call.
#[derive(Debug, PartialEq)]
enum Cause {
    Refused,
    NameNotResolved,
    Tls(String),
    ConnectTimedOut,
    Reset,
    Other(String),
}

/// Describes an error from sending the request and receiving the headers.
pub(super) fn describe_send(base: &str, error: &reqwest::Error) -> String {
    match cause(error) {
        Cause::Refused => format!("upstream {base} refused the connection"),
        Cause::NameNotResolved => format!("upstream {base} host name could not be resolved"),
        Cause::Tls(reason) => format!("upstream {base} TLS handshake failed: {reason}"),
        Cause::ConnectTimedOut => format!("upstream {base} connection timed out"),
        Cause::Reset => format!("upstream {base} closed the connection before sending a response"),
        Cause::Other(detail) => format!("upstream {base} request failed: {detail}"),
    }
}

/// Describes an error from reading the response body.
pub(super) fn describe_body(base: &str, error: &reqwest::Error) -> String {
    match cause(error) {
        Cause::Reset => {
            format!("upstream {base} closed the connection while sending the body")
        }
        Cause::Tls(reason) => {
            format!("upstream {base} TLS failed while sending the body: {reason}")
        }
        Cause::Other(detail) => format!("upstream {base} body could not be read: {detail}"),
        Cause::Refused | Cause::NameNotResolved | Cause::ConnectTimedOut => {
            format!("upstream {base} body could not be read")
        }
    }
}

/// Finds the most specific cause in the source chain of `error`.
fn cause(error: &(dyn StdError + 'static)) -> Cause {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    let mut innermost = error;
    while let Some(link) = current {
        if let Some(found) = cause_of_link(link) {
            return found;
        }
        innermost = link;
        current = next_link(link);
    }
    Cause::Other(innermost.to_string())
}

/// Returns the error that `link` wraps.
///
/// `io::Error::source` skips the error an I/O error wraps and returns that
/// error's source, so a rustls error inside one or more I/O errors is only
/// reachable through `get_ref`.
fn next_link<'a>(link: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match link.downcast_ref::<io::Error>() {
        Some(io_error) => io_error
            .get_ref()
            .map(|inner| inner as &(dyn StdError + 'static)),
        None => link.source(),
    }
}

fn cause_of_link(link: &(dyn StdError + 'static)) -> Option<Cause> {
    // hyper-util labels resolver failures with this exact text, and its
    // error type is not public.
    if link.to_string() == "dns error" {
        return Some(Cause::NameNotResolved);
    }
    if let Some(tls) = link.downcast_ref::<rustls::Error>() {
        return Some(Cause::Tls(tls.to_string()));
    }
    match link.downcast_ref::<io::Error>()?.kind() {
        io::ErrorKind::ConnectionRefused => Some(Cause::Refused),
        io::ErrorKind::TimedOut => Some(Cause::ConnectTimedOut),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => Some(Cause::Reset),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused connection wrapped in another error is still found.
    #[test]
    fn finds_refused_connection_in_chain() {
        let outer = Outer(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(cause(&outer), Cause::Refused);
    }

    /// A rustls error inside nested I/O errors is reported with its reason.
    #[test]
    fn finds_tls_error_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = io::Error::new(io::ErrorKind::InvalidData, tls);
        let outer = Outer(io::Error::other(inner));
        let Cause::Tls(reason) = cause(&outer) else {
            panic!("no TLS cause found");
        };
        assert!(reason.contains("UnknownIssuer"), "{reason}");
    }

    /// Without a known cause, the innermost message is kept.
    #[test]
    fn keeps_innermost_message() {
        let outer = Outer(io::Error::other("socket exploded"));
        assert_eq!(cause(&outer), Cause::Other("socket exploded".to_owned()));
    }

    #[derive(Debug)]
    struct Outer(io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer")
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
}
