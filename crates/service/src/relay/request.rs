//! Turns a COMMAND REQUEST into the upstream HTTP request: the `uri` and
//! header checks, the upstream URL and the header map.
//!
//! The rules themselves live in `nbwss_protocol::policy`. This module applies
//! them, then checks that the URL the HTTP client will use still points at
//! the configured upstream. Sending the request is left to the relay.

use nbwss_protocol::policy::{check_headers, check_uri};
use nbwss_protocol::{CommandRequest, ErrorCode, Method};
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// A request that passed every check, ready to send.
pub(super) struct Prepared {
    pub(super) url: Url,
    pub(super) method: reqwest::Method,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<String>,
}

/// A request rejected by the service instead of relayed.
#[derive(Debug)]
pub(super) struct Rejection {
    pub(super) code: ErrorCode,
    /// Names the offending `uri` or header name, never a header value.
    pub(super) message: String,
}

/// Checks `request` and builds the upstream request for it.
///
/// `base_text` is `base` without its trailing `/`, and the `uri` is appended
/// to it. The body is `parameters` unchanged when present.
pub(super) fn prepare(
    request: CommandRequest,
    base: &Url,
    base_text: &str,
    allowed_prefixes: &[String],
) -> Result<Prepared, Rejection> {
    check_uri(&request.uri, allowed_prefixes).map_err(|error| Rejection {
        code: ErrorCode::UriRejected,
        message: error.to_string(),
    })?;
    let forwarded = check_headers(&request.headers).map_err(|error| Rejection {
        code: ErrorCode::HeaderRejected,
        message: error.to_string(),
    })?;
    let url = upstream_url(base, base_text, &request.uri, allowed_prefixes)?;
    let headers = header_map(forwarded)?;
    Ok(Prepared {
        url,
        method: http_method(request.method),
        headers,
        body: request.parameters,
    })
}

/// Appends `uri` to the base URL and checks that the result keeps the base's
/// scheme, host and port and, once normalised, an allowed path prefix.
///
/// `check_uri` already rules out every known way to escape. This check is a
/// second line of defence in case its rules and the URL parser differ. The prefixes are compared with the parser's percent-encoded
/// path, so a prefix with non-ASCII characters never matches here.
fn upstream_url(
    base: &Url,
    base_text: &str,
    uri: &str,
    allowed_prefixes: &[String],
) -> Result<Url, Rejection> {
    let reject = |reason: &str| Rejection {
        code: ErrorCode::UriRejected,
        message: format!("uri {uri:?} rejected: {reason}"),
    };
    let url = Url::parse(&format!("{base_text}{uri}"))
        .map_err(|error| reject(&format!("does not form a valid URL ({error})")))?;
    let same_authority = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if !same_authority {
        return Err(reject("changes the upstream host"));
    }
    let path = url.path();
    if !allowed_prefixes
        .iter()
        .any(|prefix| path.starts_with(prefix.as_str()))
    {
        return Err(reject(&format!(
            "normalised path {path:?} is outside the allowed prefixes ({})",
            allowed_prefixes.join(", ")
        )));
    }
    Ok(url)
}

/// Builds the header map for the forwarded headers.
///
/// Every value is marked sensitive, so the `Debug` output of the map never
/// shows it.
fn header_map(forwarded: Vec<(String, String)>) -> Result<HeaderMap, Rejection> {
    let mut headers = HeaderMap::with_capacity(forwarded.len());
    for (name, value) in forwarded {
        let reject = |reason: &str| Rejection {
            code: ErrorCode::HeaderRejected,
            message: format!("header {name:?} rejected: {reason}"),
        };
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| reject("name is not a valid HTTP header name"))?;
        let mut header_value = HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| reject("value is not a valid HTTP header value"))?;
        header_value.set_sensitive(true);
        headers.append(header_name, header_value);
    }
    Ok(headers)
}

fn http_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
        Method::Options => reqwest::Method::OPTIONS,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const BASE: &str = "https://localhost:1556";

    fn prefixes() -> Vec<String> {
        vec!["/netbackup/".to_owned()]
    }

    fn prepare_request(request: CommandRequest) -> Result<Prepared, Rejection> {
        let base = Url::parse(BASE).expect("test base URL is valid");
        prepare(request, &base, BASE, &prefixes())
    }

    /// An allowed uri keeps the upstream host and its query string.
    #[test]
    fn appends_uri_to_base() {
        let request = CommandRequest::new(Method::Get, "/netbackup/admin/jobs?page[limit]=10");
        let prepared = prepare_request(request).expect("uri is allowed");
        assert_eq!(
            prepared.url.as_str(),
            "https://localhost:1556/netbackup/admin/jobs?page[limit]=10"
        );
    }

    /// A uri with an authority is rejected with 403 before any URL is built.
    #[test]
    fn rejects_uri_with_authority() {
        let request = CommandRequest::new(Method::Get, "//evil.example/netbackup/");
        let rejection = prepare_request(request).err().expect("uri is rejected");
        assert_eq!(rejection.code, ErrorCode::UriRejected);
    }

    /// A uri outside the allowed prefixes is rejected and quoted.
    #[test]
    fn rejects_uri_outside_prefixes() {
        let request = CommandRequest::new(Method::Get, "/admin/secret");
        let rejection = prepare_request(request).err().expect("uri is rejected");
        assert!(
            rejection.message.contains("\"/admin/secret\""),
            "{}",
            rejection.message
        );
    }

    /// A header value with DEL is rejected with 400, naming the header but
    /// not quoting the value.
    #[test]
    fn rejects_header_value_with_delete_character() {
        let mut request = CommandRequest::new(Method::Get, "/netbackup/jobs");
        request.headers = BTreeMap::from([("X-Token".to_owned(), "se\u{7f}cret".to_owned())]);
        let rejection = prepare_request(request).err().expect("header is rejected");
        assert_eq!(rejection.code, ErrorCode::HeaderRejected);
        assert!(
            rejection.message.contains("X-Token"),
            "{}",
            rejection.message
        );
        assert!(!rejection.message.contains("cret"), "{}", rejection.message);
    }

    /// Hop-by-hop headers are dropped and the others kept.
    #[test]
    fn drops_hop_by_hop_headers() {
        let mut request = CommandRequest::new(Method::Post, "/netbackup/jobs");
        request.headers = BTreeMap::from([
            ("Connection".to_owned(), "close".to_owned()),
            ("Accept".to_owned(), "application/json".to_owned()),
        ]);
        let prepared = prepare_request(request).expect("headers are valid");
        assert!(prepared.headers.get("connection").is_none());
        assert!(prepared.headers.get("accept").is_some());
    }
}
