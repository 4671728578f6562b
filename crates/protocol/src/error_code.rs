//! The error codes the service puts in the `x-nbwss-error` header of a
//! COMMAND RESPONSE it generated itself, each with its HTTP status.

use std::fmt;

/// Reason the service generated a COMMAND RESPONSE itself instead of
/// relaying the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The envelope or payload does not match the protocol.
    InvalidMessage,
    /// `version` is not `"1.0"`.
    UnsupportedVersion,
    /// The `uri` breaks a relay rule.
    UriRejected,
    /// A header name or value is invalid.
    HeaderRejected,
    /// A COMMAND arrived before the CONNECT exchange completed.
    NotConnected,
    /// The `id` is already in flight on this connection.
    DuplicateId,
    /// The inbound message is over the policy size limit.
    MessageTooLarge,
    /// Too many commands are in flight and the queue is full.
    TooManyRequests,
    /// The connection to the REST API failed.
    UpstreamUnreachable,
    /// The REST API did not answer within `command.timeout`.
    UpstreamTimeout,
    /// The REST API's body is over `command.maxResponseBytes`.
    ResponseTooLarge,
}

impl ErrorCode {
    /// Every code, in the order of the protocol's table.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidMessage,
        ErrorCode::UnsupportedVersion,
        ErrorCode::UriRejected,
        ErrorCode::HeaderRejected,
        ErrorCode::NotConnected,
        ErrorCode::DuplicateId,
        ErrorCode::MessageTooLarge,
        ErrorCode::TooManyRequests,
        ErrorCode::UpstreamUnreachable,
        ErrorCode::UpstreamTimeout,
        ErrorCode::ResponseTooLarge,
    ];

    /// The code as it appears on the wire, such as `URI_REJECTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidMessage => "INVALID_MESSAGE",
            ErrorCode::UnsupportedVersion => "UNSUPPORTED_VERSION",
            ErrorCode::UriRejected => "URI_REJECTED",
            ErrorCode::HeaderRejected => "HEADER_REJECTED",
            ErrorCode::NotConnected => "NOT_CONNECTED",
            ErrorCode::DuplicateId => "DUPLICATE_ID",
            ErrorCode::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorCode::TooManyRequests => "TOO_MANY_REQUESTS",
            ErrorCode::UpstreamUnreachable => "UPSTREAM_UNREACHABLE",
            ErrorCode::UpstreamTimeout => "UPSTREAM_TIMEOUT",
            ErrorCode::ResponseTooLarge => "RESPONSE_TOO_LARGE",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidMessage
            | ErrorCode::UnsupportedVersion
            | ErrorCode::HeaderRejected => 400,
            ErrorCode::UriRejected => 403,
            ErrorCode::NotConnected | ErrorCode::DuplicateId => 409,
            ErrorCode::MessageTooLarge => 413,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::UpstreamUnreachable | ErrorCode::ResponseTooLarge => 502,
            ErrorCode::UpstreamTimeout => 504,
        }
    }

    /// Looks a code up by its wire name.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each code maps to the status in the protocol's table.
    #[test]
    fn statuses_match_protocol_table() {
        let expected = [400, 400, 403, 400, 409, 409, 413, 429, 502, 504, 502];
        for (code, status) in ErrorCode::ALL.into_iter().zip(expected) {
            assert_eq!(code.status(), status, "{code}");
        }
    }

    /// Wire names round-trip through `from_name`.
    #[test]
    fn names_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
    }
}
