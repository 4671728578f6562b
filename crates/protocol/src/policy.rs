//! The rules a COMMAND's `uri` and headers must pass before the service
//! relays them to the REST API.
//!
//! The `uri` must be an origin-form path that cannot leave the configured
//! prefixes: no scheme, no `//` authority, no `@`, no backslash, no control
//! characters and no `..` segment, also after percent-decoding. Header names
//! must be HTTP tokens and values must not carry CR, LF, NUL or other control
//! characters; hop-by-hop headers are dropped rather than rejected.

use std::collections::BTreeMap;

/// A `uri` that breaks a rule, rejected with 403 `URI_REJECTED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("uri {uri:?} rejected: {reason}")]
pub struct UriRejected {
    /// The offending uri.
    pub uri: String,
    /// Which rule it breaks.
    pub reason: String,
}

/// A header that breaks a rule, rejected with 400 `HEADER_REJECTED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("header {name:?} rejected: {reason}")]
pub struct HeaderRejected {
    /// The offending header's name (its value is never quoted).
    pub name: String,
    /// Which rule it breaks.
    pub reason: String,
}

/// How many rounds of percent-decoding are undone before a path that still
/// decodes further is rejected as too deeply encoded.
const DECODE_ROUNDS: usize = 4;

/// The longest `uri` relayed, in bytes; longer ones are rejected before any
/// upstream call.
pub const MAX_URI_BYTES: usize = 32 * 1024;

/// Checks `uri` against the relay rules and the allowed path prefixes.
pub fn check_uri(uri: &str, allowed_prefixes: &[String]) -> Result<(), UriRejected> {
    let reject = |reason: &str| UriRejected {
        uri: uri.chars().take(256).collect(),
        reason: reason.to_owned(),
    };
    if uri.len() > MAX_URI_BYTES {
        return Err(reject(&format!("is longer than {MAX_URI_BYTES} bytes")));
    }
    if !uri.starts_with('/') {
        return Err(reject("must start with \"/\""));
    }
    if uri.starts_with("//") {
        return Err(reject("must not start with \"//\""));
    }
    if uri.contains("://") {
        return Err(reject("must not contain a scheme"));
    }
    if uri.contains('@') {
        return Err(reject("must not contain \"@\""));
    }
    if uri.contains('\\') {
        return Err(reject("must not contain a backslash"));
    }
    if uri.contains('#') {
        return Err(reject("must not contain a fragment (\"#\")"));
    }
    if uri.chars().any(char::is_control) {
        return Err(reject("must not contain control characters"));
    }
    let path = uri.split('?').next().unwrap_or(uri);
    if path.contains(' ') {
        return Err(reject(
            "must not contain a space in the path; percent-encode it",
        ));
    }
    check_decoded_path(path).map_err(|reason| reject(&reason))?;
    if !allowed_prefixes
        .iter()
        .any(|prefix| path.starts_with(prefix.as_str()))
    {
        return Err(reject(&format!(
            "path is outside the allowed prefixes ({})",
            allowed_prefixes.join(", ")
        )));
    }
    Ok(())
}

/// Whether a path segment means "parent", also with a `;` parameter as
/// Java servlet containers read `..;x`.
fn is_parent_segment(segment: &[u8]) -> bool {
    segment.split(|b| *b == b';').next() == Some(b"..".as_slice())
}

fn check_decoded_path(path: &str) -> Result<(), String> {
    let mut current = path.as_bytes().to_vec();
    for round in 0..=DECODE_ROUNDS {
        if current.split(|b| *b == b'/').any(is_parent_segment) {
            return Err("must not contain a \"..\" path segment".to_owned());
        }
        if current.iter().any(|b| b.is_ascii_control()) {
            return Err(
                "must not contain control characters, also when percent-encoded".to_owned(),
            );
        }
        if current.contains(&b'\\') {
            return Err("must not contain a backslash, also when percent-encoded".to_owned());
        }
        if std::str::from_utf8(&current).is_err() {
            return Err("must percent-encode valid UTF-8 only".to_owned());
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return Ok(());
        }
        if round == DECODE_ROUNDS {
            break;
        }
        current = decoded;
    }
    Err(format!(
        "is percent-encoded more than {DECODE_ROUNDS} times over"
    ))
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' && i + 2 < input.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(high), Some(low)) = (hex(input[i + 1]), hex(input[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// Header names the service never forwards, compared lower-case. Any name
/// starting with `proxy-` is dropped too.
pub const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    // The service sets the length of the body it sends itself.
    "content-length",
];

/// Checks every header and returns the ones to forward, hop-by-hop ones
/// dropped. Names keep their case.
pub fn check_headers(
    headers: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, HeaderRejected> {
    let mut forwarded = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let reject = |reason: &str| HeaderRejected {
            name: name.clone(),
            reason: reason.to_owned(),
        };
        if name.is_empty() {
            return Err(reject("name is empty"));
        }
        if let Some(bad) = name.chars().find(|c| !is_token_char(*c)) {
            return Err(reject(&format!(
                "name contains {bad:?}, which is not allowed in an HTTP header name"
            )));
        }
        if value.contains(['\r', '\n', '\0']) {
            return Err(reject("value contains CR, LF or NUL"));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(reject("value contains a control character"));
        }
        let lower = name.to_ascii_lowercase();
        if HOP_BY_HOP.contains(&lower.as_str()) || lower.starts_with("proxy-") {
            continue;
        }
        forwarded.push((name.clone(), value.clone()));
    }
    Ok(forwarded)
}

/// Whether `c` may appear in an HTTP header name (RFC 9110 `tchar`).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}
