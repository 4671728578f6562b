//! COMMAND payloads: the REST call an endpoint asks the service to make, and
//! the response the service sends back, including the error responses it
//! generates itself.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::error_code::ErrorCode;
use crate::message::nest;
use crate::value::{self, FieldError};

/// Header marking a response the service generated instead of the REST API.
pub const ERROR_HEADER: &str = "x-nbwss-error";

/// The HTTP methods a COMMAND may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
    /// OPTIONS
    Options,
}

impl Method {
    /// Every accepted method.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
    ];

    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// Looks a method up by its exact, upper-case name.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// COMMAND REQUEST payload.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandRequest {
    /// Origin-form path and query, such as `/netbackup/admin/jobs`.
    pub uri: String,
    /// The HTTP method.
    pub method: Method,
    /// Headers to forward; values may hold credentials and are never logged.
    pub headers: BTreeMap<String, String>,
    /// The request body. A nested object or array on input is serialised.
    pub parameters: Option<String>,
}

impl fmt::Debug for CommandRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandRequest")
            .field("uri", &self.uri)
            .field("method", &self.method)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("parameters_len", &self.parameters.as_ref().map(String::len))
            .finish()
    }
}

impl CommandRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, uri: impl Into<String>) -> CommandRequest {
        CommandRequest {
            uri: uri.into(),
            method,
            headers: BTreeMap::new(),
            parameters: None,
        }
    }

    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<CommandRequest, FieldError> {
        let uri = value::string(&map, "uri").map_err(nest)?.to_owned();
        let method_name = value::string(&map, "method").map_err(nest)?;
        let method = Method::from_name(method_name).ok_or_else(|| {
            (
                "payload.method".to_owned(),
                format!(
                    "{method_name:?} is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
                ),
            )
        })?;
        // NOTE: a missing `headers` object is read as empty rather than
        // rejected, because a call without headers is still well formed.
        let headers = match map.get("headers") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(value) => string_map(value, "payload.headers")?,
        };
        let parameters = match map.remove("parameters") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(nested @ (Value::Object(_) | Value::Array(_))) => Some(nested.to_string()),
            Some(other) => {
                return Err(nest(value::wrong_type(
                    "parameters",
                    "a string, an object or an array",
                    &other,
                )));
            }
        };
        Ok(CommandRequest {
            uri,
            method,
            headers,
            parameters,
        })
    }
}

/// COMMAND RESPONSE payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResponse {
    /// The upstream HTTP status, or the status of a service-generated error.
    pub status_code: u16,
    /// Response headers, names lower-cased, repeats joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// The body as text; base64 when `body_base64` is set. `None` when empty.
    pub body: Option<String>,
    /// Whether `body` is base64 because the bytes were not valid UTF-8.
    pub body_base64: bool,
}

impl CommandResponse {
    /// Builds a response from raw body bytes, choosing base64 only when the
    /// bytes are not UTF-8.
    pub fn from_bytes(
        status_code: u16,
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> CommandResponse {
        if body.is_empty() {
            return CommandResponse {
                status_code,
                headers,
                body: None,
                body_base64: false,
            };
        }
        match String::from_utf8(body) {
            Ok(text) => CommandResponse {
                status_code,
                headers,
                body: Some(text),
                body_base64: false,
            },
            Err(e) => CommandResponse {
                status_code,
                headers,
                body: Some(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
                body_base64: true,
            },
        }
    }

    /// An error generated by the service, in the REST API's error shape with
    /// the `x-nbwss-error` header naming `code`.
    pub fn error(code: ErrorCode, message: &str) -> CommandResponse {
        let status = code.status();
        let body = json!({ "errorCode": status, "errorMessage": message }).to_string();
        let headers = BTreeMap::from([
            ("content-type".to_owned(), "application/json".to_owned()),
            (ERROR_HEADER.to_owned(), code.as_str().to_owned()),
        ]);
        CommandResponse {
            status_code: status,
            headers,
            body: Some(body),
            body_base64: false,
        }
    }

    /// The service's error code when the service generated this response.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.headers
            .get(ERROR_HEADER)
            .and_then(|name| ErrorCode::from_name(name))
    }

    /// The body bytes, decoding base64 when needed.
    pub fn body_bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        match &self.body {
            None => Ok(Vec::new()),
            Some(text) if self.body_base64 => {
                base64::engine::general_purpose::STANDARD.decode(text)
            }
            Some(text) => Ok(text.clone().into_bytes()),
        }
    }

    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<CommandResponse, FieldError> {
        let status = value::integer(&map, "statusCode").map_err(nest)?;
        let status_code = u16::try_from(status)
            .ok()
            .filter(|s| (100..=999).contains(s))
            .ok_or_else(|| {
                (
                    "payload.statusCode".to_owned(),
                    format!("{status} is not an HTTP status from 100 to 999"),
                )
            })?;
        let headers = match map.get("headers") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(value) => string_map(value, "payload.headers")?,
        };
        let body = match map.remove("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(other) => return Err(nest(value::wrong_type("body", "a string", &other))),
        };
        let body_base64 = match map.get("bodyEncoding") {
            None | Some(Value::Null) => false,
            Some(Value::String(encoding)) if encoding == "base64" => true,
            Some(other) => {
                return Err((
                    "payload.bodyEncoding".to_owned(),
                    format!("must be \"base64\" when present, found {other}"),
                ));
            }
        };
        Ok(CommandResponse {
            status_code,
            headers,
            body,
            body_base64,
        })
    }
}

fn string_map(value: &Value, key: &str) -> Result<BTreeMap<String, String>, FieldError> {
    let Value::Object(map) = value else {
        return Err((
            key.to_owned(),
            format!(
                "must be an object of strings, found {}",
                value::type_name(value)
            ),
        ));
    };
    map.iter()
        .map(|(name, v)| match v {
            Value::String(s) => Ok((name.clone(), s.clone())),
            other => Err((
                format!("{key}.{name}"),
                format!("must be a string, found {}", value::type_name(other)),
            )),
        })
        .collect()
}
