//! Media type negotiation for every route.
//!
//! Responses with a JSON body carry `application/vnd.netbackup+json;
//! version=<n>`, where `<n>` comes from a `version` parameter of that media
//! type in the request's `Accept` header, else in its `Content-Type`, else
//! [`DEFAULT_VERSION`]. Any well-formed version is echoed: the simulator
//! serves the same shapes whatever the version. An `Accept` header without
//! the NetBackup media type (`application/json`, `*/*`) gets the default.
//! A request `Content-Type` other than the NetBackup media type or
//! `application/json` is rejected with 415.

use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The NetBackup media type, without parameters.
pub(crate) const NETBACKUP_JSON: &str = "application/vnd.netbackup+json";

/// Version echoed when the request names none.
pub(crate) const DEFAULT_VERSION: &str = "8.0";

/// Maximum length of a version string such as `10.3`.
const MAX_VERSION_LENGTH: usize = 8;

/// Negotiates the media type around the inner service.
pub(crate) async fn negotiate(request: Request, next: Next) -> Response {
    let version = match requested_version(request.headers()) {
        Ok(version) => version,
        Err(error) => return with_media_type(error.into_response(), DEFAULT_VERSION),
    };
    if let Err(error) = check_content_type(request.headers()) {
        return with_media_type(error.into_response(), &version);
    }
    let response = next.run(request).await;
    with_media_type(response, &version)
}

/// Finds the requested version in `Accept`, then in `Content-Type`.
fn requested_version(headers: &HeaderMap) -> Result<String, ApiError> {
    for name in [ACCEPT, CONTENT_TYPE] {
        for value in headers.get_all(name) {
            let Ok(text) = value.to_str() else { continue };
            for media_range in text.split(',') {
                if let Some(version) = netbackup_version(media_range)? {
                    return Ok(version);
                }
            }
        }
    }
    Ok(DEFAULT_VERSION.to_owned())
}

/// Returns the `version` parameter of a NetBackup media range, `None` for
/// another media type or when the parameter is absent.
fn netbackup_version(media_range: &str) -> Result<Option<String>, ApiError> {
    let mut parts = media_range.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case(NETBACKUP_JSON) {
        return Ok(None);
    }
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("version") {
            continue;
        }
        let version = value.trim().trim_matches('"');
        if !is_valid_version(version) {
            return Err(ApiError::UnsupportedVersion(version.to_owned()));
        }
        return Ok(Some(version.to_owned()));
    }
    Ok(None)
}

/// Accepts digits separated by single dots, such as `8`, `8.0` or `10.3`.
fn is_valid_version(version: &str) -> bool {
    version.len() <= MAX_VERSION_LENGTH
        && version
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let media_type = text.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case(NETBACKUP_JSON)
        || media_type.eq_ignore_ascii_case("application/json")
    {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType(text.into_owned()))
}

/// Replaces `application/json` on a response with the versioned NetBackup
/// media type. Other responses pass unchanged.
fn with_media_type(mut response: Response, version: &str) -> Response {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_json {
        return response;
    }
    // The version passed `is_valid_version`, so the value is plain ASCII.
    if let Ok(value) = HeaderValue::from_str(&format!("{NETBACKUP_JSON};version={version}")) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(accept).expect("valid header"));
        headers
    }

    /// The version in a NetBackup `Accept` range is returned.
    #[test]
    fn reads_version_from_accept() {
        let version = requested_version(&headers(
            "application/json, application/vnd.netbackup+json;version=9.1",
        ));
        assert_eq!(version.expect("valid"), "9.1");
    }

    /// A plain JSON `Accept` gets the default version.
    #[test]
    fn defaults_for_plain_json() {
        let version = requested_version(&headers("application/json"));
        assert_eq!(version.expect("valid"), DEFAULT_VERSION);
    }

    /// A malformed version is rejected and named.
    #[test]
    fn rejects_malformed_version() {
        let error = requested_version(&headers("application/vnd.netbackup+json;version=abc"))
            .expect_err("malformed");
        assert_eq!(
            error.to_string(),
            "unsupported API version 'abc'; expected a version such as 8.0"
        );
    }
}
