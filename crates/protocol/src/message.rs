//! The envelope every message shares, and the typed bodies inside it.
//!
//! [`Message::parse`] checks one WebSocket text message against the protocol:
//! exactly the envelope keys with their JSON types (unknown extra keys are
//! ignored), `version` `"1.0"` on requests, and a payload of the right shape
//! for the `type` and `subType`. [`Message::to_json`] writes exactly the
//! documented keys. Size limits are applied by the caller before parsing.

use serde_json::{Map, Value};

use crate::command::{CommandRequest, CommandResponse};
use crate::error_code::ErrorCode;
use crate::notification::{self, NotificationItem};
use crate::value::{self, FieldError};

/// The only protocol version this crate speaks.
pub const PROTOCOL_VERSION: &str = "1.0";

/// The `type` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// Authentication of the service to the endpoint.
    Connect,
    /// A REST call from the endpoint through the service.
    Command,
    /// Events pushed by the service.
    Notification,
}

impl MessageType {
    /// The wire name, such as `COMMAND`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Connect => "CONNECT",
            MessageType::Command => "COMMAND",
            MessageType::Notification => "NOTIFICATION",
        }
    }

    fn from_name(name: &str) -> Option<MessageType> {
        match name {
            "CONNECT" => Some(MessageType::Connect),
            "COMMAND" => Some(MessageType::Command),
            "NOTIFICATION" => Some(MessageType::Notification),
            _ => None,
        }
    }
}

/// The `subType` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubType {
    /// Sent by the side that starts an exchange.
    Request,
    /// The reply, carrying the request's `id`.
    Response,
}

impl SubType {
    /// The wire name, `REQUEST` or `RESPONSE`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubType::Request => "REQUEST",
            SubType::Response => "RESPONSE",
        }
    }
}

/// CONNECT REQUEST payload, sent by the service right after the socket opens.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ConnectRequest {
    /// The endpoint's token. Never logged.
    pub token: String,
    /// Optional extension: the backup server's host name.
    pub server_name: Option<String>,
    /// Optional extension: the service's version.
    pub service_version: Option<String>,
    /// Optional extension: features the service supports.
    pub capabilities: Vec<String>,
}

impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("token", &"***")
            .field("server_name", &self.server_name)
            .field("service_version", &self.service_version)
            .field("capabilities", &self.capabilities)
            .finish()
    }
}

/// CONNECT RESPONSE payload: whether the endpoint accepted the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectResponse {
    /// `true` when the token was accepted.
    pub valid: bool,
}

/// The typed content of a message, one variant per `type` and `subType`.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// CONNECT REQUEST.
    ConnectRequest(ConnectRequest),
    /// CONNECT RESPONSE.
    ConnectResponse(ConnectResponse),
    /// COMMAND REQUEST.
    CommandRequest(CommandRequest),
    /// COMMAND RESPONSE.
    CommandResponse(CommandResponse),
    /// NOTIFICATION REQUEST: one or more items.
    NotificationRequest(Vec<NotificationItem>),
    /// NOTIFICATION RESPONSE: the acknowledgement.
    NotificationResponse,
}

impl Body {
    /// The message type this body belongs to.
    pub fn message_type(&self) -> MessageType {
        match self {
            Body::ConnectRequest(_) | Body::ConnectResponse(_) => MessageType::Connect,
            Body::CommandRequest(_) | Body::CommandResponse(_) => MessageType::Command,
            Body::NotificationRequest(_) | Body::NotificationResponse => MessageType::Notification,
        }
    }

    /// Whether this body is a REQUEST or a RESPONSE.
    pub fn sub_type(&self) -> SubType {
        match self {
            Body::ConnectRequest(_) | Body::CommandRequest(_) | Body::NotificationRequest(_) => {
                SubType::Request
            }
            _ => SubType::Response,
        }
    }
}

/// One protocol message: the envelope's `id` and `timeStamp` plus a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The exchange's id; a RESPONSE repeats its REQUEST's id verbatim.
    pub id: String,
    /// Seconds since the Unix epoch at the sender; informational only.
    pub time_stamp: i64,
    /// The typed payload.
    pub body: Body,
}

/// Why a text message could not be turned into a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The message has no usable `id`, so no response can refer to it.
    #[error("undecodable message: {reason}")]
    Unanswerable {
        /// What was wrong, without quoting the message.
        reason: String,
    },
    /// The message has an `id` but breaks a rule; a request gets an error
    /// response with `code`.
    #[error("invalid message {id:?}: {reason}")]
    Invalid {
        /// The message's `id`.
        id: String,
        /// The message's type, when it was readable.
        message_type: Option<MessageType>,
        /// The message's subType, when it was readable.
        sub_type: Option<SubType>,
        /// `INVALID_MESSAGE` or `UNSUPPORTED_VERSION`.
        code: ErrorCode,
        /// What was wrong, naming the key.
        reason: String,
    },
}

impl DecodeError {
    /// The `id` of the offending message, when it had one.
    pub fn id(&self) -> Option<&str> {
        match self {
            DecodeError::Unanswerable { .. } => None,
            DecodeError::Invalid { id, .. } => Some(id),
        }
    }
}

impl Message {
    /// Builds a message with the current time as `timeStamp`.
    pub fn new(id: impl Into<String>, body: Body) -> Message {
        Message {
            id: id.into(),
            time_stamp: now_seconds(),
            body,
        }
    }

    /// Parses and validates one text message.
    pub fn parse(text: &str) -> Result<Message, DecodeError> {
        let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::Unanswerable {
            reason: format!("not valid JSON ({e})"),
        })?;
        Message::from_value(value)
    }

    /// Validates an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Message, DecodeError> {
        let Value::Object(mut map) = value else {
            return Err(DecodeError::Unanswerable {
                reason: format!("expected a JSON object, found {}", value::type_name(&value)),
            });
        };
        let id = match map.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::String(_)) => return unanswerable("key \"id\" is empty"),
            Some(other) => {
                return unanswerable(&format!(
                    "key \"id\" must be a string, found {}",
                    value::type_name(other)
                ));
            }
            None => return unanswerable("key \"id\" is missing"),
        };
        let mut header = Header {
            id,
            message_type: None,
            sub_type: None,
        };
        header
            .read(&map)
            .map_err(|(key, problem)| header.invalid(ErrorCode::InvalidMessage, &key, &problem))?;
        let version = value::string(&map, "version")
            .map_err(|(key, problem)| header.invalid(ErrorCode::InvalidMessage, &key, &problem))?;
        if version != PROTOCOL_VERSION && header.sub_type == Some(SubType::Request) {
            return Err(header.invalid(
                ErrorCode::UnsupportedVersion,
                "version",
                &format!("{version:?} is not supported, expected \"{PROTOCOL_VERSION}\""),
            ));
        }
        let time_stamp = value::integer(&map, "timeStamp")
            .map_err(|(key, problem)| header.invalid(ErrorCode::InvalidMessage, &key, &problem))?;
        let body = header
            .read_body(map.remove("payload"))
            .map_err(|(key, problem)| header.invalid(ErrorCode::InvalidMessage, &key, &problem))?;
        Ok(Message {
            id: header.id,
            time_stamp,
            body,
        })
    }

    /// Serialises the message with exactly the documented keys.
    pub fn to_value(&self) -> Value {
        crate::encode::to_value(self)
    }

    /// Serialises the message as one JSON text.
    pub fn to_json(&self) -> String {
        crate::encode::to_json(self)
    }
}

fn unanswerable<T>(reason: &str) -> Result<T, DecodeError> {
    Err(DecodeError::Unanswerable {
        reason: reason.to_owned(),
    })
}

/// The parts of the envelope read so far, so errors can name the message's
/// id, type and subType even when a later key is invalid.
struct Header {
    id: String,
    message_type: Option<MessageType>,
    sub_type: Option<SubType>,
}

impl Header {
    fn read(&mut self, map: &Map<String, Value>) -> Result<(), FieldError> {
        let type_name = value::string(map, "type")?;
        self.message_type = Some(MessageType::from_name(type_name).ok_or_else(|| {
            (
                "type".to_owned(),
                format!("{type_name:?} is not one of CONNECT, COMMAND, NOTIFICATION"),
            )
        })?);
        let sub_type = value::string(map, "subType")?;
        self.sub_type = Some(match sub_type {
            "REQUEST" => SubType::Request,
            "RESPONSE" => SubType::Response,
            other => {
                return Err((
                    "subType".to_owned(),
                    format!("{other:?} is not one of REQUEST, RESPONSE"),
                ));
            }
        });
        Ok(())
    }

    /// Reads the payload, taking ownership so large strings move instead
    /// of being copied.
    fn read_body(&self, payload: Option<Value>) -> Result<Body, FieldError> {
        let (Some(message_type), Some(sub_type)) = (self.message_type, self.sub_type) else {
            return Err(("type".to_owned(), "is missing".to_owned()));
        };
        match (message_type, sub_type) {
            (MessageType::Connect, SubType::Request) => {
                read_connect_request(&object_payload(payload)?).map(Body::ConnectRequest)
            }
            (MessageType::Connect, SubType::Response) => {
                let map = object_payload(payload)?;
                let valid = value::boolean(&map, "valid").map_err(nest)?;
                Ok(Body::ConnectResponse(ConnectResponse { valid }))
            }
            (MessageType::Command, SubType::Request) => {
                CommandRequest::from_map(object_payload(payload)?).map(Body::CommandRequest)
            }
            (MessageType::Command, SubType::Response) => {
                CommandResponse::from_map(object_payload(payload)?).map(Body::CommandResponse)
            }
            (MessageType::Notification, SubType::Request) => {
                let payload =
                    payload.ok_or_else(|| ("payload".to_owned(), "is missing".to_owned()))?;
                notification::parse_items(&payload)
                    .map(Body::NotificationRequest)
                    .map_err(|e| ("payload".to_owned(), e.to_string()))
            }
            (MessageType::Notification, SubType::Response) => match payload {
                None | Some(Value::Array(_)) | Some(Value::Object(_)) | Some(Value::Null) => {
                    Ok(Body::NotificationResponse)
                }
                Some(other) => Err(value::wrong_type(
                    "payload",
                    "an array or an object",
                    &other,
                )),
            },
        }
    }

    fn invalid(&self, code: ErrorCode, key: &str, problem: &str) -> DecodeError {
        DecodeError::Invalid {
            id: self.id.clone(),
            message_type: self.message_type,
            sub_type: self.sub_type,
            code,
            reason: format!("key \"{key}\" {problem}"),
        }
    }
}

fn object_payload(payload: Option<Value>) -> Result<Map<String, Value>, FieldError> {
    match payload {
        Some(Value::Object(map)) => Ok(map),
        Some(other) => Err(value::wrong_type("payload", "an object", &other)),
        None => Err(("payload".to_owned(), "is missing".to_owned())),
    }
}

/// Prefixes a payload field's key with `payload.`.
pub(crate) fn nest((key, problem): FieldError) -> FieldError {
    (format!("payload.{key}"), problem)
}

fn read_connect_request(map: &Map<String, Value>) -> Result<ConnectRequest, FieldError> {
    let token = value::string(map, "token").map_err(nest)?.to_owned();
    let optional_string = |key: &str| -> Result<Option<String>, FieldError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(nest(value::wrong_type(key, "a string", other))),
        }
    };
    let capabilities = match map.get("capabilities") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            return Err(nest(value::wrong_type(
                "capabilities",
                "an array of strings",
                other,
            )));
        }
    };
    Ok(ConnectRequest {
        token,
        server_name: optional_string("serverName")?,
        service_version: optional_string("serviceVersion")?,
        capabilities,
    })
}

/// Seconds since the Unix epoch, or 0 if the clock is before it.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
