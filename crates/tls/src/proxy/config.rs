//! The proxy address: `http://[user:pass@]host:port`.
//!
//! User name and password are percent-decoded. Only plain `http://`
//! proxies are supported, so the hop to the proxy is not encrypted (the
//! tunnelled TLS is). The password never appears in `Debug` or `Display`
//! output or in error messages.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

/// The accepted proxy form, quoted in error messages.
pub(super) const ACCEPTED_FORM: &str = "http://[user:pass@]host:port";

/// Errors from parsing a proxy address or the proxy environment.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProxyError {
    /// The scheme is missing or is not `http`.
    #[error("unsupported proxy scheme in {value:?}: expected {ACCEPTED_FORM}")]
    UnsupportedScheme {
        /// The rejected value, with any password masked.
        value: String,
    },

    /// The value does not have the accepted form.
    #[error("invalid proxy {value:?}: {reason}, expected {ACCEPTED_FORM}")]
    Invalid {
        /// The rejected value, with any password masked.
        value: String,
        /// The reason the value is invalid.
        reason: &'static str,
    },

    /// An environment variable contains an invalid proxy.
    #[error("invalid proxy in environment variable {variable}")]
    InvalidEnv {
        /// The variable, such as `HTTPS_PROXY`.
        variable: &'static str,
        /// The error in its value.
        #[source]
        source: Box<ProxyError>,
    },
}

/// An HTTP proxy that tunnels connections with CONNECT.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Host name or IP address, without brackets for IPv6.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name and password for Basic authentication, percent-decoded.
    pub credentials: Option<(String, String)>,
}

impl ProxyConfig {
    /// Returns `host:port`, with brackets around an IPv6 address.
    pub fn address(&self) -> String {
        authority(&self.host, self.port)
    }
}

/// Formats `host:port`, bracketing IPv6 addresses.
pub(crate) fn authority(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl fmt::Display for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credentials {
            Some((user, _)) => write!(f, "http://{user}:***@{}", self.address()),
            None => write!(f, "http://{}", self.address()),
        }
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("password", &self.credentials.as_ref().map(|_| "***"))
            .finish()
    }
}

impl FromStr for ProxyConfig {
    type Err = ProxyError;

    /// Parses `http://[user:pass@]host:port`, with an optional trailing `/`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| ProxyError::Invalid {
            value: mask_password(value),
            reason,
        };
        let trimmed = value.trim();
        let rest = match trimmed.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            _ => {
                return Err(ProxyError::UnsupportedScheme {
                    value: mask_password(value),
                });
            }
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(invalid("a path, query or fragment is not allowed"));
        }
        let (userinfo, host_port) = match rest.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, rest),
        };
        let credentials = userinfo
            .map(parse_credentials)
            .transpose()
            .map_err(invalid)?;
        let (host, port) = parse_host_port(host_port).map_err(invalid)?;
        Ok(Self {
            host,
            port,
            credentials,
        })
    }
}

fn parse_credentials(userinfo: &str) -> Result<(String, String), &'static str> {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let user = percent_decode(user)?;
    if user.is_empty() {
        return Err("the user name is empty");
    }
    if user.contains(':') {
        // Basic authentication joins user and password with ':'.
        return Err("the user name contains ':'");
    }
    Ok((user, percent_decode(password)?))
}

fn parse_host_port(host_port: &str) -> Result<(String, u16), &'static str> {
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or("missing ']' after the IPv6 address")?;
        address
            .parse::<Ipv6Addr>()
            .map_err(|_| "invalid IPv6 address")?;
        let port = after.strip_prefix(':').ok_or("missing port")?;
        (address, port)
    } else {
        let (host, port) = host_port.rsplit_once(':').ok_or("missing port")?;
        if host.is_empty() {
            return Err("missing host");
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if !host.chars().all(allowed) {
            return Err("the host must be a DNS name, an IPv4 address or a bracketed IPv6 address");
        }
        (host, port)
    };
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|port| *port != 0)
        .ok_or("the port must be a number from 1 to 65535")?;
    Ok((host.to_owned(), port))
}

/// Decodes `%XX` escapes and checks that the result is UTF-8.
fn percent_decode(text: &str) -> Result<String, &'static str> {
    const BAD_ESCAPE: &str = "invalid percent-encoding in the credentials";
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text
                .get(index + 1..index + 3)
                .filter(|hex| hex.bytes().all(|digit| digit.is_ascii_hexdigit()))
                .ok_or(BAD_ESCAPE)?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| BAD_ESCAPE)?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| "the credentials are not valid UTF-8 after decoding")
}

/// Replaces the password in a proxy URL with `***`, so the value can go
/// into an error message.
pub(super) fn mask_password(value: &str) -> String {
    let trimmed = value.trim();
    let (prefix, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), trimmed),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return trimmed.to_owned();
    };
    let user = rest[..at].split(':').next().unwrap_or_default();
    format!("{prefix}{user}:***{}", &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<ProxyConfig, ProxyError> {
        value.parse()
    }

    /// Host and port are taken from a plain proxy URL.
    #[test]
    fn parses_host_and_port() {
        let proxy = parse("http://proxy.example:3128").unwrap();
        assert_eq!(proxy.host, "proxy.example");
        assert_eq!(proxy.port, 3128);
        assert_eq!(proxy.credentials, None);
    }

    /// Credentials are percent-decoded.
    #[test]
    fn decodes_credentials() {
        let proxy = parse("http://al%40ice:p%3As%25s@10.0.0.1:8080/").unwrap();
        let expected = ("al@ice".to_owned(), "p:s%s".to_owned());
        assert_eq!(proxy.credentials, Some(expected));
    }

    /// An IPv6 proxy is written in brackets and stored without them.
    #[test]
    fn parses_bracketed_ipv6() {
        let proxy = parse("http://[::1]:3128").unwrap();
        assert_eq!(proxy.host, "::1");
        assert_eq!(proxy.address(), "[::1]:3128");
    }

    /// Schemes other than http are rejected with the accepted form.
    #[test]
    fn rejects_other_schemes() {
        for value in ["https://proxy:3128", "socks5://proxy:1080", "proxy:3128"] {
            let error = parse(value).unwrap_err();
            assert!(
                matches!(error, ProxyError::UnsupportedScheme { .. }),
                "{value}: {error:?}"
            );
            assert!(error.to_string().contains(ACCEPTED_FORM), "{error}");
        }
    }

    /// Missing ports, bad ports, paths and bad escapes are rejected.
    #[test]
    fn rejects_malformed_values() {
        let cases = [
            "http://proxy",
            "http://proxy:0",
            "http://proxy:70000",
            "http://proxy:port",
            "http://:3128",
            "http://proxy:3128/path",
            "http://u:%zz@proxy:3128",
            "http://u:%+1@proxy:3128",
            "http://u%3Ax:p@proxy:3128",
            "http://:pass@proxy:3128",
            "http://[::1:3128",
            "http://pro xy:3128",
            "http://::1:3128",
        ];
        for value in cases {
            let result = parse(value);
            assert!(
                matches!(result, Err(ProxyError::Invalid { .. })),
                "{value}: {result:?}"
            );
        }
    }

    /// Errors quote the value with the password masked.
    #[test]
    fn error_masks_password() {
        let error = parse("http://alice:s3cret@proxy").unwrap_err().to_string();
        assert!(!error.contains("s3cret"), "{error}");
        assert!(error.contains("http://alice:***@proxy"), "{error}");
    }

    /// Display and Debug never show the password.
    #[test]
    fn formatting_hides_password() {
        let proxy = parse("http://alice:s3cret@proxy:3128").unwrap();
        let display = proxy.to_string();
        let debug = format!("{proxy:?}");
        assert_eq!(display, "http://alice:***@proxy:3128");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
