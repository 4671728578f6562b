//! The HTTP client that carries relayed commands: one pooled reqwest client
//! with a rustls config on the `ring` provider, and the checks on the base
//! URL it is used with.
//!
//! The client trusts the system roots (or the webpki-roots set when the
//! system has none) plus the configured CA file. It follows no redirects and
//! ignores the proxy environment variables, because the upstream is the
//! backup server's own REST API. Timeouts are applied per call by the relay.
//!
//! Besides the forwarded headers, the request carries `host` and
//! `content-length` set by hyper, and `accept: */*` when the command has no
//! Accept header, because reqwest 0.13 always has that default.

use std::path::Path;

use reqwest::Url;

use super::RelayError;

/// Parses the upstream base URL: `http` or `https`, a host, an optional
/// port, and nothing else.
pub(super) fn parse_base_url(text: &str) -> Result<Url, RelayError> {
    let invalid = |problem: &str| RelayError::InvalidUpstreamUrl {
        url: text.to_owned(),
        problem: problem.to_owned(),
    };
    let url = Url::parse(text).map_err(|error| invalid(&error.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid(&format!(
            "scheme {:?} is not supported",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the host is missing"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // The error quotes the URL, so the credentials are removed first.
        let mut redacted = url.clone();
        // Both setters only fail for URLs without a host, ruled out above.
        let _ = redacted.set_username("***");
        let _ = redacted.set_password(None);
        return Err(RelayError::InvalidUpstreamUrl {
            url: redacted.to_string(),
            problem: "it contains credentials".to_owned(),
        });
    }
    if url.path() != "/" {
        return Err(invalid("it has a path"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it has a query or a fragment"));
    }
    Ok(url)
}

/// Builds the pooled client, trusting the system roots and `ca_file`.
pub(super) fn build(ca_file: Option<&Path>) -> Result<reqwest::Client, RelayError> {
    let roots = nbwss_tls::root_store(ca_file, true).map_err(|source| RelayError::CaFile {
        path: ca_file.map(Path::to_path_buf).unwrap_or_default(),
        source,
    })?;
    // No pin: the upstream is verified the usual WebPKI way, host name
    // included. reqwest takes the config by value.
    let tls = std::sync::Arc::unwrap_or_clone(nbwss_tls::client_config(roots, None));
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(RelayError::Client)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bare https URL with a port is accepted.
    #[test]
    fn accepts_host_and_port() {
        let url = parse_base_url("https://localhost:1556").expect("URL is valid");
        assert_eq!(url.as_str(), "https://localhost:1556/");
    }

    /// A trailing slash is the same as none.
    #[test]
    fn accepts_trailing_slash() {
        assert!(parse_base_url("https://localhost:1556/").is_ok());
    }

    /// A base URL with a path is rejected, naming the problem.
    #[test]
    fn rejects_url_with_path() {
        let error = parse_base_url("https://localhost:1556/netbackup").unwrap_err();
        assert!(error.to_string().contains("has a path"), "{error}");
    }

    /// Credentials in the base URL are rejected and left out of the message.
    #[test]
    fn rejects_url_with_credentials() {
        let error = parse_base_url("https://user:secret@localhost:1556").unwrap_err();
        assert!(error.to_string().contains("credentials"), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    /// A scheme other than http or https is rejected and quoted.
    #[test]
    fn rejects_ftp_scheme() {
        let error = parse_base_url("ftp://localhost:1556").unwrap_err();
        assert!(error.to_string().contains("\"ftp\""), "{error}");
    }

    /// A missing CA file fails the build and names the file.
    #[test]
    fn rejects_missing_ca_file() {
        let error = build(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }
}
