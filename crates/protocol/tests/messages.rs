//! Envelope and payload parsing against every row of the protocol's tables,
//! including examples in the style of the original NBWSS documentation.

use nbwss_protocol::{
    Body, CommandRequest, CommandResponse, ConnectRequest, ConnectResponse, DecodeError, ErrorCode,
    Message, MessageType, Method, SubType,
};
use serde_json::{Value, json};

const ID: &str = "0D3FE7D1-2C79-4D9B-B0D2-35A8B2D7F36A";

fn envelope(message_type: &str, sub_type: &str, payload: Value) -> Value {
    json!({"version": "1.0", "id": ID, "type": message_type, "subType": sub_type,
           "timeStamp": 1557225238, "payload": payload})
}

fn invalid_code(result: Result<Message, DecodeError>) -> (ErrorCode, String) {
    match result {
        Err(DecodeError::Invalid { code, reason, .. }) => (code, reason),
        other => panic!("expected an invalid message, got {other:?}"),
    }
}

fn job_record() -> Value {
    json!({"jobId": 144, "parentJobId": 144, "jobType": "BACKUP", "state": "DONE",
           "status": 0, "startTime": 1557225238, "policyName": "vmware2",
           "policyType": "VMWARE", "scheduleType": "ST_FULL", "clientName": "client1.example.com"})
}

/// The original's CONNECT example, printed without commas, is not JSON.
#[test]
fn printed_example_without_commas_is_unanswerable() {
    let printed = format!(
        "{{\n\"version\": \"1.0\"\n\"id\": \"{ID}\"\n\"type\": \"CONNECT\"\n\"subType\": \"REQUEST\"\n\"timeStamp\": 1557225238\n\"payload\": {{\"token\": \"abc\"}}\n}}"
    );
    assert!(matches!(
        Message::parse(&printed),
        Err(DecodeError::Unanswerable { .. })
    ));
}

/// The original's CONNECT example with commas parses into a typed request.
#[test]
fn parses_connect_request_example() {
    let text = format!(
        "{{\n\"version\": \"1.0\",\n\"id\": \"{ID}\",\n\"type\": \"CONNECT\",\n\"subType\": \"REQUEST\",\n\"timeStamp\": 1557225238,\n\"payload\": {{\"token\": \"abc\"}}\n}}"
    );
    let message = Message::parse(&text).expect("valid");
    assert_eq!(message.id, ID);
    assert_eq!(message.time_stamp, 1557225238);
    assert_eq!(
        message.body,
        Body::ConnectRequest(ConnectRequest {
            token: "abc".into(),
            ..Default::default()
        })
    );
}

/// CONNECT RESPONSE carries `valid` true or false.
#[test]
fn parses_connect_response() {
    for valid in [true, false] {
        let message = Message::from_value(envelope("CONNECT", "RESPONSE", json!({"valid": valid})))
            .expect("valid");
        assert_eq!(
            message.body,
            Body::ConnectResponse(ConnectResponse { valid })
        );
    }
}

/// A CONNECT RESPONSE whose `valid` is a string is invalid.
#[test]
fn rejects_connect_response_with_string_valid() {
    let (code, reason) = invalid_code(Message::from_value(envelope(
        "CONNECT",
        "RESPONSE",
        json!({"valid": "true"}),
    )));
    assert_eq!(code, ErrorCode::InvalidMessage);
    assert!(reason.contains("payload.valid"), "{reason}");
}

/// The CONNECT extension keys are read when present.
#[test]
fn parses_connect_extensions() {
    let payload = json!({"token": "t", "serverName": "nbu1", "serviceVersion": "0.1.0", "capabilities": ["error-responses"]});
    let message = Message::from_value(envelope("CONNECT", "REQUEST", payload)).expect("valid");
    let Body::ConnectRequest(request) = message.body else {
        panic!("not a connect request")
    };
    assert_eq!(request.server_name.as_deref(), Some("nbu1"));
    assert_eq!(request.capabilities, vec!["error-responses".to_owned()]);
}

/// The token never appears in a request's Debug output.
#[test]
fn connect_request_debug_hides_token() {
    let request = ConnectRequest {
        token: "s3cret-token".into(),
        ..Default::default()
    };
    assert!(!format!("{request:?}").contains("s3cret-token"));
}

/// A COMMAND REQUEST in the original's style, with a string body.
#[test]
fn parses_command_request_example() {
    let payload = json!({"uri": "/netbackup/admin/jobs?page[limit]=10", "method": "POST",
        "headers": {"Content-Type": "application/vnd.netbackup+json;version=1.0", "Authorization": "jwt"},
        "parameters": "{\"data\":{\"type\":\"job\"}}"});
    let message = Message::from_value(envelope("COMMAND", "REQUEST", payload)).expect("valid");
    let Body::CommandRequest(request) = message.body else {
        panic!("not a command request")
    };
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.uri, "/netbackup/admin/jobs?page[limit]=10");
    assert_eq!(
        request.headers.get("Authorization").map(String::as_str),
        Some("jwt")
    );
    assert_eq!(
        request.parameters.as_deref(),
        Some("{\"data\":{\"type\":\"job\"}}")
    );
}

/// A nested object as `parameters` is serialised to a string.
#[test]
fn serialises_nested_parameters() {
    let payload =
        json!({"uri": "/netbackup/x", "method": "PUT", "headers": {}, "parameters": {"a": 1}});
    let message = Message::from_value(envelope("COMMAND", "REQUEST", payload)).expect("valid");
    let Body::CommandRequest(request) = message.body else {
        panic!("not a command request")
    };
    assert_eq!(request.parameters.as_deref(), Some("{\"a\":1}"));
}

/// Every accepted method parses; a lower-case or unknown one is rejected.
#[test]
fn checks_command_methods() {
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
        let payload = json!({"uri": "/netbackup/x", "method": method, "headers": {}});
        assert!(
            Message::from_value(envelope("COMMAND", "REQUEST", payload)).is_ok(),
            "{method}"
        );
    }
    for method in ["get", "TRACE", "CONNECT"] {
        let payload = json!({"uri": "/netbackup/x", "method": method, "headers": {}});
        let (code, reason) =
            invalid_code(Message::from_value(envelope("COMMAND", "REQUEST", payload)));
        assert_eq!(code, ErrorCode::InvalidMessage);
        assert!(reason.contains("payload.method"), "{reason}");
    }
}

/// A header value that is not a string is rejected naming the header.
#[test]
fn rejects_non_string_header_value() {
    let payload = json!({"uri": "/netbackup/x", "method": "GET", "headers": {"X-Count": 3}});
    let (_, reason) = invalid_code(Message::from_value(envelope("COMMAND", "REQUEST", payload)));
    assert!(reason.contains("payload.headers.X-Count"), "{reason}");
}

/// A missing `uri` is reported by key.
#[test]
fn rejects_command_without_uri() {
    let payload = json!({"method": "GET", "headers": {}});
    let (_, reason) = invalid_code(Message::from_value(envelope("COMMAND", "REQUEST", payload)));
    assert!(reason.contains("payload.uri"), "{reason}");
}

/// A COMMAND RESPONSE round-trips with exactly the documented keys.
#[test]
fn command_response_round_trips() {
    let response = CommandResponse::from_bytes(
        200,
        [("content-type".to_owned(), "application/json".to_owned())].into(),
        b"{}".to_vec(),
    );
    let message = Message::new(ID, Body::CommandResponse(response.clone()));
    let value = message.to_value();
    let keys: Vec<&str> = value["payload"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["body", "headers", "statusCode"]);
    let parsed = Message::parse(&message.to_json()).expect("valid");
    assert_eq!(parsed.body, Body::CommandResponse(response));
}

/// Non-UTF-8 bodies travel as base64 with `bodyEncoding`.
#[test]
fn binary_body_uses_base64() {
    let response = CommandResponse::from_bytes(200, Default::default(), vec![0xff, 0x00, 0x80]);
    let value = Message::new(ID, Body::CommandResponse(response.clone())).to_value();
    assert_eq!(value["payload"]["bodyEncoding"], "base64");
    assert_eq!(
        response.body_bytes().expect("base64"),
        vec![0xff, 0x00, 0x80]
    );
}

/// An empty body is absent from the payload.
#[test]
fn empty_body_is_absent() {
    let response = CommandResponse::from_bytes(204, Default::default(), Vec::new());
    let value = Message::new(ID, Body::CommandResponse(response)).to_value();
    assert!(value["payload"].get("body").is_none());
}

/// A generated error carries the REST API's error shape and the header.
#[test]
fn error_response_has_documented_shape() {
    let response = CommandResponse::error(
        ErrorCode::UpstreamUnreachable,
        "upstream https://localhost:1556 refused the connection",
    );
    assert_eq!(response.status_code, 502);
    assert_eq!(
        response.headers.get("x-nbwss-error").map(String::as_str),
        Some("UPSTREAM_UNREACHABLE")
    );
    assert_eq!(
        response.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    let body: Value = serde_json::from_str(response.body.as_deref().expect("body")).expect("json");
    assert_eq!(
        body,
        json!({"errorCode": 502, "errorMessage": "upstream https://localhost:1556 refused the connection"})
    );
    assert_eq!(response.error_code(), Some(ErrorCode::UpstreamUnreachable));
}

/// A NOTIFICATION REQUEST with a JOB record in the original's shape.
#[test]
fn parses_job_notification() {
    let payload = json!([{"notificationType": "INFO", "object": "JOB", "data": [job_record()]}]);
    let message =
        Message::from_value(envelope("NOTIFICATION", "REQUEST", payload.clone())).expect("valid");
    assert_eq!(message.to_value()["payload"], payload);
}

/// A NOTIFICATION REQUEST with an IMAGE record.
#[test]
fn parses_image_notification() {
    let payload = json!([{"notificationType": "INFO", "object": "IMAGE", "data": [{
        "backupId": "client1_1557225238", "clientName": "client1", "clientType": "VMWARE",
        "backupTime": 1557225238, "createdTime": 1557225300, "operationId": "CREATE"}]}]);
    let message =
        Message::from_value(envelope("NOTIFICATION", "REQUEST", payload.clone())).expect("valid");
    assert_eq!(message.to_value()["payload"], payload);
}

/// NOTIFICATION RESPONSE payload may be `[]`, `{}` or absent.
#[test]
fn accepts_each_acknowledgement_form() {
    for payload in [Some(json!([])), Some(json!({})), None] {
        let mut value = envelope("NOTIFICATION", "RESPONSE", json!(null));
        match payload {
            Some(p) => value["payload"] = p,
            None => {
                value.as_object_mut().expect("object").remove("payload");
            }
        }
        let message = Message::from_value(value).expect("valid");
        assert_eq!(message.body, Body::NotificationResponse);
    }
}

/// A request whose version is not 1.0 gets UNSUPPORTED_VERSION.
#[test]
fn rejects_unsupported_version_on_request() {
    let mut value = envelope(
        "COMMAND",
        "REQUEST",
        json!({"uri": "/netbackup/x", "method": "GET", "headers": {}}),
    );
    value["version"] = json!("2.0");
    let (code, reason) = invalid_code(Message::from_value(value));
    assert_eq!(code, ErrorCode::UnsupportedVersion);
    assert!(reason.contains("2.0"), "{reason}");
}

/// Ids are compared exactly and kept verbatim, lower case included.
#[test]
fn keeps_id_verbatim() {
    let mut value = envelope("CONNECT", "RESPONSE", json!({"valid": true}));
    value["id"] = json!("0d3fe7d1-2c79-4d9b-b0d2-35a8b2d7f36a");
    let message = Message::from_value(value).expect("valid");
    assert_eq!(message.id, "0d3fe7d1-2c79-4d9b-b0d2-35a8b2d7f36a");
}

/// Unknown extra envelope keys are ignored.
#[test]
fn ignores_unknown_envelope_keys() {
    let mut value = envelope("CONNECT", "RESPONSE", json!({"valid": true}));
    value["extra"] = json!({"anything": 1});
    assert!(Message::from_value(value).is_ok());
}

/// Each missing or mistyped envelope key is named in the error.
#[test]
fn names_bad_envelope_keys() {
    let cases: [(&str, Value); 5] = [
        ("type", json!("PING")),
        ("subType", json!("REPLY")),
        ("timeStamp", json!("1557225238")),
        ("version", json!(1.0)),
        ("payload", json!("text")),
    ];
    for (key, bad) in cases {
        let mut value = envelope(
            "COMMAND",
            "REQUEST",
            json!({"uri": "/netbackup/x", "method": "GET", "headers": {}}),
        );
        value[key] = bad;
        let (code, reason) = invalid_code(Message::from_value(value));
        assert_eq!(code, ErrorCode::InvalidMessage, "{key}");
        assert!(reason.contains(&format!("\"{key}\"")), "{key}: {reason}");
    }
}

/// A message without an id, or not an object, cannot be answered.
#[test]
fn missing_id_is_unanswerable() {
    let mut value = envelope("COMMAND", "REQUEST", json!({}));
    value.as_object_mut().expect("object").remove("id");
    assert!(matches!(
        Message::from_value(value),
        Err(DecodeError::Unanswerable { .. })
    ));
    assert!(matches!(
        Message::parse("[1,2]"),
        Err(DecodeError::Unanswerable { .. })
    ));
    assert!(matches!(
        Message::parse("{\"id\": 7}"),
        Err(DecodeError::Unanswerable { .. })
    ));
}

/// Serialisation writes exactly the six envelope keys with the right types.
#[test]
fn serialises_exact_envelope() {
    let message = Message::new(
        ID,
        Body::CommandRequest(CommandRequest::new(Method::Get, "/netbackup/admin/jobs")),
    );
    let value = message.to_value();
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec!["id", "payload", "subType", "timeStamp", "type", "version"]
    );
    assert_eq!(value["version"], "1.0");
    assert_eq!(value["type"], "COMMAND");
    assert_eq!(value["subType"], "REQUEST");
    assert!(value["timeStamp"].is_i64());
    assert_eq!(message.body.message_type(), MessageType::Command);
    assert_eq!(message.body.sub_type(), SubType::Request);
}

/// Each body serialises to exactly its documented payload.
#[test]
fn serialises_each_payload_shape() {
    let cases = [
        (
            Body::ConnectRequest(ConnectRequest {
                token: "t".into(),
                ..Default::default()
            }),
            json!({"token": "t"}),
        ),
        (
            Body::ConnectResponse(ConnectResponse { valid: false }),
            json!({"valid": false}),
        ),
        (Body::NotificationResponse, json!([])),
        (
            Body::CommandRequest(CommandRequest::new(Method::Delete, "/netbackup/x")),
            json!({"uri": "/netbackup/x", "method": "DELETE", "headers": {}}),
        ),
    ];
    for (body, expected) in cases {
        let text = Message::new(ID, body).to_json();
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["payload"], expected, "{text}");
    }
}

/// A large body with characters that need escaping round-trips intact.
#[test]
fn large_escaped_body_round_trips() {
    let body = "line \"one\"\n\u{1}tab\t\u{e9}".repeat(50_000);
    let response = CommandResponse::from_bytes(200, Default::default(), body.clone().into_bytes());
    let text = Message::new(ID, Body::CommandResponse(response)).to_json();
    let parsed = Message::parse(&text).expect("valid");
    let Body::CommandResponse(parsed) = parsed.body else {
        panic!("not a command response")
    };
    assert_eq!(parsed.body.as_deref(), Some(body.as_str()));
}
