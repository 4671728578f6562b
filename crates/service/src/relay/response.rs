//! Reads an upstream response into the parts of a COMMAND RESPONSE: the
//! status, the headers with lower-case names and repeats joined, and the
//! body, read chunk by chunk up to a size limit.
//!
//! Choosing text or base64 for the body is left to
//! `CommandResponse::from_bytes`, and the overall timeout to the relay.

use std::collections::BTreeMap;

use nbwss_protocol::command::ERROR_HEADER;
use reqwest::header::HeaderMap;

/// Response headers that describe the upstream connection rather than the
/// message, so they are not relayed. The body is relayed decoded, which makes
/// `transfer-encoding` in particular wrong for the endpoint. Names starting
/// with `proxy-` are dropped too.
const CONNECTION_HEADERS: [&str; 6] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

/// Initial body buffer size, so that a large `Content-Length` does not
/// reserve memory before the bytes arrive.
const MAX_INITIAL_CAPACITY: usize = 64 * 1024;

/// An upstream response read in full.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: BTreeMap<String, String>,
    pub(super) body: Vec<u8>,
}

/// Failure to read an upstream response in full.
#[derive(Debug)]
pub(super) enum ReadFailure {
    /// The body is larger than the limit, by `Content-Length` or as read.
    TooLarge {
        /// Body bytes read before giving up.
        bytes_read: usize,
    },
    /// The connection failed while the body was being read.
    Body {
        source: reqwest::Error,
        /// Body bytes read before the failure.
        bytes_read: usize,
    },
}

/// Reads `response`, stopping as soon as the body exceeds `max_body_bytes`.
///
/// A `Content-Length` over the limit fails before any of the body is read.
/// Dropping `response` early closes its connection instead of returning it
/// to the pool.
pub(super) async fn read(
    mut response: reqwest::Response,
    max_body_bytes: usize,
) -> Result<Reply, ReadFailure> {
    let announced = response.content_length().unwrap_or(0);
    if announced > max_body_bytes as u64 {
        return Err(ReadFailure::TooLarge { bytes_read: 0 });
    }
    let status = response.status().as_u16();
    let headers = joined_headers(response.headers());
    let capacity = usize::try_from(announced)
        .unwrap_or(usize::MAX)
        .min(MAX_INITIAL_CAPACITY);
    let mut body = Vec::with_capacity(capacity);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(source) => {
                return Err(ReadFailure::Body {
                    source,
                    bytes_read: body.len(),
                });
            }
        };
        if chunk.len() > max_body_bytes - body.len() {
            return Err(ReadFailure::TooLarge {
                bytes_read: body.len() + chunk.len(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Lower-cases header names and joins repeated values with `", "`, in the
/// order received.
///
/// Values that are not valid UTF-8 are converted lossily. Connection headers
/// and the service's own error header are dropped, so an upstream cannot make
/// its response look service-generated.
pub(super) fn joined_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut joined = BTreeMap::new();
    for name in headers.keys() {
        // `HeaderName` is always lower case.
        let name = name.as_str();
        let dropped = CONNECTION_HEADERS.contains(&name)
            || name.starts_with("proxy-")
            || name == ERROR_HEADER;
        if dropped {
            continue;
        }
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        joined.insert(name.to_owned(), values.join(", "));
    }
    joined
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    /// Repeated headers come out as one entry, values joined in order.
    #[test]
    fn joins_repeated_headers() {
        let mut headers = HeaderMap::new();
        headers.append("x-multi", HeaderValue::from_static("one"));
        headers.append("x-multi", HeaderValue::from_static("two"));
        let joined = joined_headers(&headers);
        assert_eq!(joined.get("x-multi").map(String::as_str), Some("one, two"));
    }

    /// The service's error header is not taken from the upstream.
    #[test]
    fn drops_upstream_error_header() {
        let mut headers = HeaderMap::new();
        headers.insert(ERROR_HEADER, HeaderValue::from_static("UPSTREAM_TIMEOUT"));
        assert!(joined_headers(&headers).is_empty());
    }

    /// Transfer-Encoding is dropped because the body is relayed decoded.
    #[test]
    fn drops_transfer_encoding() {
        let mut headers = HeaderMap::new();
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        assert!(joined_headers(&headers).is_empty());
    }
}
