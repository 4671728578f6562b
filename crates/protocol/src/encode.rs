//! Writing a [`Message`] as JSON in one pass.
//!
//! The types here borrow from the message and serialise with exactly the
//! documented keys, so a large body is escaped straight into an output
//! buffer sized for it instead of being copied into a value tree first.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::command::{CommandRequest, CommandResponse};
use crate::message::{Body, ConnectRequest, Message, PROTOCOL_VERSION};
use crate::notification::{NotificationItem, ObjectKind, Records};

/// Bytes reserved beyond the body for the envelope and headers.
const ENVELOPE_ALLOWANCE: usize = 512;

#[derive(Serialize)]
struct Envelope<'a> {
    version: &'static str,
    id: &'a str,
    #[serde(rename = "type")]
    message_type: &'static str,
    #[serde(rename = "subType")]
    sub_type: &'static str,
    #[serde(rename = "timeStamp")]
    time_stamp: i64,
    payload: Payload<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Payload<'a> {
    ConnectRequest(ConnectRequestOut<'a>),
    ConnectResponse { valid: bool },
    CommandRequest(CommandRequestOut<'a>),
    CommandResponse(CommandResponseOut<'a>),
    Notification(Vec<ItemOut<'a>>),
    Empty([(); 0]),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectRequestOut<'a> {
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_version: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    capabilities: &'a [String],
}

#[derive(Serialize)]
struct CommandRequestOut<'a> {
    uri: &'a str,
    method: &'static str,
    headers: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommandResponseOut<'a> {
    status_code: u16,
    headers: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_encoding: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemOut<'a> {
    notification_type: &'a str,
    object: ObjectKind,
    data: &'a Records,
}

impl Serialize for Records {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Records::Jobs(records) => records.serialize(serializer),
            Records::Images(records) => records.serialize(serializer),
        }
    }
}

fn payload(body: &Body) -> Payload<'_> {
    match body {
        Body::ConnectRequest(request) => Payload::ConnectRequest(connect_request(request)),
        Body::ConnectResponse(response) => Payload::ConnectResponse {
            valid: response.valid,
        },
        Body::CommandRequest(request) => Payload::CommandRequest(command_request(request)),
        Body::CommandResponse(response) => Payload::CommandResponse(command_response(response)),
        Body::NotificationRequest(items) => Payload::Notification(items.iter().map(item).collect()),
        Body::NotificationResponse => Payload::Empty([]),
    }
}

fn connect_request(request: &ConnectRequest) -> ConnectRequestOut<'_> {
    ConnectRequestOut {
        token: &request.token,
        server_name: request.server_name.as_deref(),
        service_version: request.service_version.as_deref(),
        capabilities: &request.capabilities,
    }
}

fn command_request(request: &CommandRequest) -> CommandRequestOut<'_> {
    CommandRequestOut {
        uri: &request.uri,
        method: request.method.as_str(),
        headers: &request.headers,
        parameters: request.parameters.as_deref(),
    }
}

fn command_response(response: &CommandResponse) -> CommandResponseOut<'_> {
    CommandResponseOut {
        status_code: response.status_code,
        headers: &response.headers,
        body: response.body.as_deref(),
        body_encoding: (response.body.is_some() && response.body_base64).then_some("base64"),
    }
}

fn item(item: &NotificationItem) -> ItemOut<'_> {
    ItemOut {
        notification_type: &item.notification_type,
        object: item.object(),
        data: &item.records,
    }
}

fn envelope(message: &Message) -> Envelope<'_> {
    Envelope {
        version: PROTOCOL_VERSION,
        id: &message.id,
        message_type: message.body.message_type().as_str(),
        sub_type: message.body.sub_type().as_str(),
        time_stamp: message.time_stamp,
        payload: payload(&message.body),
    }
}

/// A size hint for the output: the largest text field plus the envelope.
fn capacity(message: &Message) -> usize {
    let large = match &message.body {
        Body::CommandRequest(request) => request.parameters.as_ref().map_or(0, String::len),
        Body::CommandResponse(response) => response.body.as_ref().map_or(0, String::len),
        _ => 0,
    };
    // Escaping grows text a little; a small margin avoids a reallocation
    // for ordinary JSON bodies.
    large + large / 16 + ENVELOPE_ALLOWANCE
}

/// Serialises `message` as one JSON text.
pub(crate) fn to_json(message: &Message) -> String {
    let mut buffer = Vec::with_capacity(capacity(message));
    // Writing into a Vec cannot fail, and every key is a string, so the
    // serialiser has no error to report here.
    let _ = serde_json::to_writer(&mut buffer, &envelope(message));
    // serde_json writes UTF-8 only.
    String::from_utf8(buffer).unwrap_or_default()
}

/// Serialises `message` as a JSON value, for tests and inspection.
pub(crate) fn to_value(message: &Message) -> serde_json::Value {
    serde_json::to_value(envelope(message)).unwrap_or(serde_json::Value::Null)
}
