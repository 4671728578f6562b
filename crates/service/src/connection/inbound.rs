//! Reading just enough of an oversized message to answer it.
//!
//! A message over the policy limit but under the memory limit is already in
//! memory; its envelope is read without building the payload so a COMMAND
//! REQUEST can be answered with 413 and the connection kept up.

use serde::Deserialize;
use serde::de::IgnoredAny;

#[derive(Deserialize)]
struct Envelope {
    id: Option<String>,
    #[serde(rename = "type")]
    message_type: Option<String>,
    #[serde(rename = "subType")]
    sub_type: Option<String>,
    #[allow(dead_code)]
    payload: Option<IgnoredAny>,
}

/// The id of an oversized COMMAND REQUEST, when the text is one.
pub(crate) fn oversized_command_id(text: &str) -> Option<String> {
    let envelope: Envelope = serde_json::from_str(text).ok()?;
    let is_command_request = envelope.message_type.as_deref() == Some("COMMAND")
        && envelope.sub_type.as_deref() == Some("REQUEST");
    envelope
        .id
        .filter(|id| is_command_request && !id.is_empty())
}

/// The first bytes of an undecodable message, escaped, for a log line.
pub(crate) fn preview(bytes: &[u8]) -> String {
    const PREVIEW_BYTES: usize = 64;
    let end = bytes.len().min(PREVIEW_BYTES);
    bytes[..end].escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of a command request is found without parsing the payload.
    #[test]
    fn finds_command_id() {
        let text = r#"{"version":"1.0","id":"A1","type":"COMMAND","subType":"REQUEST","timeStamp":1,"payload":{"uri":"/x"}}"#;
        assert_eq!(oversized_command_id(text).as_deref(), Some("A1"));
    }

    /// Other message types give no id to answer.
    #[test]
    fn ignores_other_types() {
        let text = r#"{"id":"A1","type":"NOTIFICATION","subType":"RESPONSE"}"#;
        assert_eq!(oversized_command_id(text), None);
        assert_eq!(oversized_command_id("not json"), None);
    }
}
