//! Endpoint details: every key and rule, with errors that name the value.

use nbwss_protocol::details::{DetailsError, DetailsOptions, WsUrl, parse_details};
use serde_json::{Value, json};

fn entry() -> Value {
    json!({"hostName": "cloud.example.com", "url": "wss://cloud.example.com:8443/nbwss",
           "groupId": "g1", "priority": 0, "token": "tok-123"})
}

fn problem(value: Value) -> (String, String) {
    match parse_details(&value.to_string(), DetailsOptions::default()) {
        Err(DetailsError::Invalid { key, problem, .. }) => (key, problem),
        other => panic!("expected an invalid entry, got {other:?}"),
    }
}

/// One object and an array both parse.
#[test]
fn parses_object_and_array() {
    let one = parse_details(&entry().to_string(), DetailsOptions::default()).expect("valid");
    assert_eq!(one.len(), 1);
    let mut second = entry();
    second["hostName"] = json!("cloud2.example.com");
    let two = parse_details(
        &json!([entry(), second]).to_string(),
        DetailsOptions::default(),
    )
    .expect("valid");
    assert_eq!(two[1].host_name, "cloud2.example.com");
}

/// Each missing key is named.
#[test]
fn names_missing_keys() {
    for key in ["hostName", "url", "groupId", "priority", "token"] {
        let mut value = entry();
        value.as_object_mut().expect("object").remove(key);
        assert_eq!(problem(value).0, key);
    }
}

/// ws:// is rejected with a message saying why.
#[test]
fn rejects_ws_url() {
    let mut value = entry();
    value["url"] = json!("ws://cloud.example.com/nbwss");
    let (key, message) = problem(value);
    assert_eq!(key, "url");
    assert!(message.contains("use wss://"), "{message}");
}

/// ws:// on loopback passes only with the test switch.
#[test]
fn allows_ws_loopback_with_switch() {
    let options = DetailsOptions {
        allow_insecure_loopback: true,
    };
    assert!(WsUrl::parse("ws://127.0.0.1:9000/x", options).is_ok());
    assert!(WsUrl::parse("ws://cloud.example.com/x", options).is_err());
}

/// Negative, fractional and string priorities are rejected.
#[test]
fn rejects_bad_priority() {
    for bad in [json!(-1), json!(1.5), json!("1")] {
        let mut value = entry();
        value["priority"] = bad.clone();
        let (key, message) = problem(value);
        assert_eq!(key, "priority", "{bad}");
        assert!(!message.is_empty());
    }
}

/// Empty, padded and oversized tokens are rejected without quoting them.
#[test]
fn rejects_bad_tokens_without_quoting() {
    for (bad, expected) in [
        (String::new(), "must not be empty"),
        (
            " padded-secret".to_owned(),
            "leading or trailing whitespace",
        ),
        (
            "padded-secret\t".to_owned(),
            "leading or trailing whitespace",
        ),
        ("x".repeat(8 * 1024 + 1), "at most 8192 bytes"),
    ] {
        let mut value = entry();
        value["token"] = json!(bad);
        let (key, message) = problem(value);
        assert_eq!(key, "token");
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains("padded-secret"), "{message}");
    }
}

/// Unicode tokens up to 8 KiB are accepted.
#[test]
fn accepts_unicode_token() {
    let mut value = entry();
    value["token"] = json!("jeton-é-🔑");
    let parsed = parse_details(&value.to_string(), DetailsOptions::default()).expect("valid");
    assert_eq!(parsed[0].token, "jeton-é-🔑");
}

/// Wrong types are reported with what was found.
#[test]
fn reports_wrong_types() {
    let mut value = entry();
    value["groupId"] = json!(7);
    let (key, message) = problem(value);
    assert_eq!(key, "groupId");
    assert!(message.contains("found an integer"), "{message}");
}

/// Debug output never shows the token.
#[test]
fn debug_hides_token() {
    let parsed = parse_details(&entry().to_string(), DetailsOptions::default()).expect("valid");
    assert!(!format!("{parsed:?}").contains("tok-123"));
}

/// URL parts are split with default ports and IPv6 brackets.
#[test]
fn parses_url_parts() {
    let url = WsUrl::parse("wss://[::1]:9443/a?b=c", DetailsOptions::default()).expect("valid");
    assert_eq!(
        (url.host.as_str(), url.port, url.path.as_str()),
        ("::1", 9443, "/a?b=c")
    );
    let url = WsUrl::parse("wss://h.example", DetailsOptions::default()).expect("valid");
    assert_eq!((url.port, url.path.as_str()), (443, "/"));
    assert!(WsUrl::parse("wss://h.example:0/", DetailsOptions::default()).is_err());
    assert!(WsUrl::parse("wss://user@h.example/", DetailsOptions::default()).is_err());
}

/// A group id with a line break or escape sequence is rejected, so it
/// cannot forge log lines or terminal output.
#[test]
fn rejects_group_id_with_control_characters() {
    for bad in ["g1\nforged line", "g1\u{1b}[31m"] {
        let mut value = entry();
        value["groupId"] = json!(bad);
        let (key, message) = problem(value);
        assert_eq!(key, "groupId");
        assert!(message.contains("control characters"), "{message}");
    }
}
