//! Reading JSON request bodies into typed values, with failures in the
//! admin API's error shape rather than axum's plain-text rejections.
//!
//! The body size limit is axum's default (2 MiB); the content type is not
//! checked, so `curl -d` works without a header.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Parses `body` as JSON into `T`, naming the problem and its position.
pub(super) fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidBody {
            reason: "the body is empty; expected a JSON object".to_owned(),
        });
    }
    serde_json::from_slice(body).map_err(|error| ApiError::InvalidBody {
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[allow(dead_code)]
        name: String,
    }

    /// An empty body is rejected with a message that says so.
    #[test]
    fn rejects_empty_body() {
        let error = parse_json::<Sample>(&Bytes::from_static(b"  ")).unwrap_err();
        assert!(error.to_string().contains("empty"), "{error}");
    }

    /// An unknown field is named.
    #[test]
    fn names_unknown_field() {
        let body = Bytes::from_static(br#"{"name":"a","nmae":"b"}"#);
        let error = parse_json::<Sample>(&body).unwrap_err();
        assert!(error.to_string().contains("nmae"), "{error}");
    }
}
