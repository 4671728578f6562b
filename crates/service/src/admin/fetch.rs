//! Fetching an endpoint details document from the cloud provider's
//! `https://` URL.
//!
//! The server is verified against the system roots, or only against
//! `caFile` when one is given. The proxy rules are the ones used for
//! endpoints. Redirects are followed only to other `https://` URLs, and
//! the body is capped. URLs in messages and logs lose their query, which
//! may carry a signature. Parsing the document is left to the caller.

use std::path::Path;
use std::time::Duration;

use nbwss_tls::ProxySettings;
use reqwest::Url;

use super::error::ApiError;

/// Largest details document accepted, in bytes.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Upper bound on the whole fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// A failure to fetch the document.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("invalid proxy for the details URL")]
    Proxy(#[source] reqwest::Error),
    #[error("failed to load the CA file")]
    CaFile(#[source] nbwss_tls::RootsError),
    #[error("failed to build the HTTPS client")]
    Client(#[source] reqwest::Error),
    #[error("request failed")]
    Request(#[source] reqwest::Error),
    #[error("the server responded with status {0}; expected 200")]
    Status(u16),
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("the document is not UTF-8 text")]
    NotText,
}

/// Fetches the document at `url` and returns its text.
pub(super) async fn fetch_details(
    url: &str,
    ca_file: Option<&Path>,
    proxy: &ProxySettings,
) -> Result<String, ApiError> {
    let parsed = Url::parse(url).map_err(|error| ApiError::InvalidBody {
        reason: format!("detailsUrl {:?} is not a URL: {error}", redact(url)),
    })?;
    if parsed.scheme() != "https" {
        return Err(ApiError::InsecureDetailsUrl { url: redact(url) });
    }
    let redacted = redact(url);
    tracing::debug!(url = %redacted, "fetching endpoint details");
    fetch(parsed, ca_file, proxy)
        .await
        .map_err(|error| ApiError::DetailsUrlFailed {
            url: redacted,
            source: Box::new(error),
        })
}

async fn fetch(
    url: Url,
    ca_file: Option<&Path>,
    proxy: &ProxySettings,
) -> Result<String, FetchError> {
    let client = client(&url, ca_file, proxy)?;
    let mut response = client.get(url).send().await.map_err(request_failed)?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_failed)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| FetchError::NotText)
}

/// reqwest quotes the URL in its errors; the URL shown is the redacted
/// one in [`ApiError::DetailsUrlFailed`], so it is dropped here.
fn request_failed(error: reqwest::Error) -> FetchError {
    FetchError::Request(error.without_url())
}

fn client(
    url: &Url,
    ca_file: Option<&Path>,
    proxy: &ProxySettings,
) -> Result<reqwest::Client, FetchError> {
    let roots = match ca_file {
        Some(path) => nbwss_tls::root_store(Some(path), false),
        None => nbwss_tls::root_store(None, true),
    }
    .map_err(FetchError::CaFile)?;
    let tls = std::sync::Arc::unwrap_or_clone(nbwss_tls::client_config(roots, None));
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if attempt.url().scheme() != "https" {
            attempt.error("redirected to a URL that is not https://")
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(redirects)
        .timeout(FETCH_TIMEOUT);
    let host = url.host_str().unwrap_or_default();
    builder = match proxy.proxy_for(host) {
        Some(config) => {
            let mut proxy = reqwest::Proxy::https(format!("http://{}", config.address()))
                .map_err(FetchError::Proxy)?;
            if let Some((user, password)) = &config.credentials {
                proxy = proxy.basic_auth(user, password);
            }
            builder.proxy(proxy)
        }
        None => builder.no_proxy(),
    };
    builder.build().map_err(FetchError::Client)
}

/// Returns the URL for messages and logs: without its query and fragment,
/// which may carry a signature, and with any password masked.
pub(super) fn redact(url: &str) -> String {
    let cut = |text: &str| match text.find(['?', '#']) {
        Some(index) => format!("{}?...", &text[..index]),
        None => text.to_owned(),
    };
    let Ok(mut parsed) = Url::parse(url) else {
        return cut(url);
    };
    let had_query = parsed.query().is_some() || parsed.fragment().is_some();
    parsed.set_query(None);
    parsed.set_fragment(None);
    if parsed.password().is_some() {
        // Only URLs without a host reject a password, and those have none.
        let _ = parsed.set_password(Some("***"));
    }
    let mut text = parsed.to_string();
    if had_query {
        text.push_str("?...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signed query is left out of what is shown.
    #[test]
    fn redact_drops_query() {
        assert_eq!(
            redact("https://cloud.example/d?sig=abc"),
            "https://cloud.example/d?..."
        );
    }

    /// A password in the URL is masked.
    #[test]
    fn redact_masks_password() {
        assert_eq!(
            redact("https://user:pw@cloud.example/d"),
            "https://user:***@cloud.example/d"
        );
    }

    /// A URL without a query is shown as it is.
    #[test]
    fn redact_keeps_plain_url() {
        assert_eq!(redact("https://cloud.example/d"), "https://cloud.example/d");
    }
}
