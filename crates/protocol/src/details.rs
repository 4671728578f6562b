//! Endpoint details: the JSON document that registers a cloud endpoint with
//! the service, as one object or an array of them.
//!
//! Every key is required. Errors name the entry index, the key, the bad value
//! and what is accepted; a token's value is never quoted, only described.
//! Whether the endpoint is reachable and its certificate trusted is checked
//! elsewhere, when the administrator validates it.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::value;

/// The largest token accepted, in bytes of UTF-8.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Maximum length of a group id, in bytes of UTF-8.
pub const MAX_GROUP_ID_BYTES: usize = 256;

/// One endpoint's registration details.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointDetails {
    /// Host name or IP of the cloud server; the record's unique key.
    pub host_name: String,
    /// `wss://host[:port]/path`.
    pub url: String,
    /// Endpoints of one group share at most one live connection.
    pub group_id: String,
    /// Lower number is tried first within the group.
    pub priority: u32,
    /// The token sent in CONNECT. Never logged or printed.
    pub token: String,
}

impl fmt::Debug for EndpointDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointDetails")
            .field("host_name", &self.host_name)
            .field("url", &self.url)
            .field("group_id", &self.group_id)
            .field("priority", &self.priority)
            .field("token", &"***")
            .finish()
    }
}

/// Options for [`parse_details`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DetailsOptions {
    /// Accept `ws://` URLs whose host is a loopback address. For tests only.
    pub allow_insecure_loopback: bool,
}

/// An entry of a details document that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetailsError {
    /// The text is not JSON, or not an object or array of objects.
    #[error("endpoint details are not valid: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// One key of one entry is missing or invalid.
    #[error("endpoint details entry {index}: key \"{key}\" {problem}")]
    Invalid {
        /// Zero-based index of the entry (0 for a single object).
        index: usize,
        /// The offending key.
        key: String,
        /// What is wrong and what is accepted, the token masked.
        problem: String,
    },
}

/// Parses a details document: one object or a non-empty array of objects.
pub fn parse_details(
    text: &str,
    options: DetailsOptions,
) -> Result<Vec<EndpointDetails>, DetailsError> {
    let document: Value = serde_json::from_str(text).map_err(|e| DetailsError::Malformed {
        reason: format!("not valid JSON ({e})"),
    })?;
    let entries = match document {
        Value::Object(map) => vec![Value::Object(map)],
        Value::Array(items) if !items.is_empty() => items,
        Value::Array(_) => {
            return Err(DetailsError::Malformed {
                reason: "the array is empty; expected at least one endpoint".to_owned(),
            });
        }
        other => {
            return Err(DetailsError::Malformed {
                reason: format!(
                    "expected an object or an array of objects, found {}",
                    value::type_name(&other)
                ),
            });
        }
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            parse_entry(entry, options).map_err(|(key, problem)| DetailsError::Invalid {
                index,
                key,
                problem,
            })
        })
        .collect()
}

type EntryError = (String, String);

fn parse_entry(entry: &Value, options: DetailsOptions) -> Result<EndpointDetails, EntryError> {
    let Value::Object(map) = entry else {
        return Err((
            "entry".to_owned(),
            format!("must be an object, found {}", value::type_name(entry)),
        ));
    };
    let host_name = value::string(map, "hostName")?;
    check_host_name(host_name).map_err(|p| ("hostName".to_owned(), p))?;
    let url = value::string(map, "url")?;
    WsUrl::parse(url, options).map_err(|p| ("url".to_owned(), p))?;
    let group_id = value::string(map, "groupId")?;
    if group_id.trim().is_empty() {
        return Err(("groupId".to_owned(), "must not be empty".to_owned()));
    }
    if group_id.chars().any(char::is_control) {
        return Err((
            "groupId".to_owned(),
            "must not contain control characters".to_owned(),
        ));
    }
    if group_id.len() > MAX_GROUP_ID_BYTES {
        return Err((
            "groupId".to_owned(),
            format!("is longer than {MAX_GROUP_ID_BYTES} bytes"),
        ));
    }
    let priority = read_priority(map)?;
    let token = read_token(map)?;
    Ok(EndpointDetails {
        host_name: host_name.to_owned(),
        url: url.to_owned(),
        group_id: group_id.to_owned(),
        priority,
        token,
    })
}

fn read_priority(map: &Map<String, Value>) -> Result<u32, EntryError> {
    let raw = value::required(map, "priority")?;
    let accepted = "expected an integer from 0 to 4294967295";
    match raw {
        Value::Number(n) => match n.as_i64() {
            Some(p) if p < 0 => Err((
                "priority".to_owned(),
                format!("{p} is negative; {accepted}"),
            )),
            Some(p) => u32::try_from(p).map_err(|_| {
                (
                    "priority".to_owned(),
                    format!("{p} is too large; {accepted}"),
                )
            }),
            None => Err((
                "priority".to_owned(),
                format!("{n} is not an integer; {accepted}"),
            )),
        },
        other => Err(value::wrong_type("priority", "an integer", other)),
    }
}

fn read_token(map: &Map<String, Value>) -> Result<String, EntryError> {
    let token = match value::required(map, "token")? {
        Value::String(token) => token,
        other => return Err(value::wrong_type("token", "a string", other)),
    };
    let problem = if token.is_empty() {
        Some("must not be empty".to_owned())
    } else if token.len() > MAX_TOKEN_BYTES {
        Some(format!(
            "is {} bytes long; at most {MAX_TOKEN_BYTES} bytes are accepted",
            token.len()
        ))
    } else if token.trim() != token {
        Some("has leading or trailing whitespace; remove it (the value is not shown)".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(("token".to_owned(), problem)),
        None => Ok(token.clone()),
    }
}

fn check_host_name(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.len() > 253 || !host.trim_end_matches('.').split('.').all(valid_label) {
        return Err(format!("{host:?} is not a valid host name or IP address"));
    }
    Ok(())
}

/// A parsed `wss://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    /// `false` only for a `ws://` URL accepted for loopback tests.
    pub secure: bool,
    /// Host name or IP, without brackets.
    pub host: String,
    /// The port, 443 by default.
    pub port: u16,
    /// The path and query, at least `/`.
    pub path: String,
}

impl WsUrl {
    /// Parses a WebSocket URL, rejecting `ws://` unless `options` allows it
    /// for a loopback host.
    pub fn parse(url: &str, options: DetailsOptions) -> Result<WsUrl, String> {
        let accepted = "expected wss://host[:port]/path";
        let (secure, rest) = if let Some(rest) = url.strip_prefix("wss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("ws://") {
            (false, rest)
        } else {
            return Err(format!("{url:?} is not a wss:// URL; {accepted}"));
        };
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{url:?} contains whitespace; {accepted}"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], rest[i..].to_owned()),
            None => (rest, "/".to_owned()),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path
        };
        if authority.contains('@') {
            return Err(format!("{url:?} contains user information; {accepted}"));
        }
        let (host, port) =
            split_host_port(authority).map_err(|p| format!("{url:?}: {p}; {accepted}"))?;
        check_host_name(&host).map_err(|p| format!("{url:?}: host {p}"))?;
        if !secure {
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !(options.allow_insecure_loopback && loopback) {
                return Err(format!(
                    "{url:?} uses ws://, which is not encrypted; use wss://"
                ));
            }
        }
        Ok(WsUrl {
            secure,
            host,
            port: port.unwrap_or(if secure { 443 } else { 80 }),
            path,
        })
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or("the IPv6 address has no closing \"]\"")?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected {after:?} after the IPv6 address")),
        };
        (rest[..end].to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err("the host is empty".to_owned());
    }
    let port = match port {
        None => None,
        Some(text) => match text.parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => return Err(format!("port {text:?} is not a number from 1 to 65535")),
        },
    };
    Ok((host, port))
}
