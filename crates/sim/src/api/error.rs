//! Error responses: every failure becomes `{"errorCode": n, "errorMessage":
//! "..."}` with a fitting HTTP status, the shape NetBackup's REST API uses.
//!
//! The codes are the simulator's own, grouped by area. NetBackup's real codes
//! differ, so clients should key on the HTTP status:
//!
//! | code | status | meaning |
//! |---|---|---|
//! | 8000 | 401 | no `Authorization` header |
//! | 8001 | 401 | token or API key not valid (unknown, expired or revoked) |
//! | 8002 | 401 | login with a wrong user name or password |
//! | 9000 | 400 | invalid, unknown or repeated query parameter |
//! | 9001 | 400 | invalid `filter` |
//! | 9002 | 400 | invalid request body (status 413 when too large) |
//! | 9100 | 404 | resource not found |
//! | 9101 | 409 | resource already exists |
//! | 9102 | 400 | resource limit reached |
//! | 9200 | 404 | no such route |
//! | 9201 | 405 | method not allowed on the route |
//! | 9202 | 415 | unsupported `Content-Type` |
//! | 9203 | 406 | unsupported API version in the media type |

use std::error::Error as _;

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::json_response;
use crate::filter::FilterError;
use crate::vmserver::VmServerError;

/// A request the simulator rejects.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("missing Authorization header; send a token from POST /netbackup/login or an API key")]
    MissingCredentials,
    #[error("invalid, expired or revoked token or API key in the Authorization header")]
    InvalidCredentials,
    #[error("invalid user name or password")]
    LoginFailed,
    #[error("invalid value '{value}' for parameter '{name}'; expected {expected}")]
    InvalidParameter {
        name: String,
        value: String,
        expected: String,
    },
    #[error("unknown query parameter '{name}'; accepted: {accepted}")]
    UnknownParameter { name: String, accepted: String },
    #[error("query parameter '{name}' is given more than once; give it once")]
    RepeatedParameter { name: String },
    #[error("invalid query string")]
    MalformedQuery(#[source] QueryRejection),
    #[error("invalid path")]
    MalformedPath(#[source] PathRejection),
    #[error(transparent)]
    InvalidFilter(#[from] FilterError),
    #[error("invalid request body")]
    InvalidBody(#[source] serde_json::Error),
    #[error("invalid request body: password must be a JSON string")]
    PasswordNotText,
    #[error("request body could not be read")]
    UnreadableBody(#[source] BytesRejection),
    #[error(transparent)]
    VmServer(#[from] VmServerError),
    #[error("{resource} '{id}' not found")]
    NotFound { resource: &'static str, id: String },
    #[error("no resource at '{0}'")]
    NoRoute(String),
    #[error("method {method} is not allowed on '{path}'")]
    MethodNotAllowed { method: String, path: String },
    #[error(
        "unsupported Content-Type '{0}'; expected application/vnd.netbackup+json or application/json"
    )]
    UnsupportedMediaType(String),
    #[error("unsupported API version '{0}'; expected a version such as 8.0")]
    UnsupportedVersion(String),
}

impl ApiError {
    /// Returns the HTTP status and the `errorCode` for this error.
    fn status_and_code(&self) -> (StatusCode, u32) {
        match self {
            Self::MissingCredentials => (StatusCode::UNAUTHORIZED, 8000),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, 8001),
            Self::LoginFailed => (StatusCode::UNAUTHORIZED, 8002),
            Self::InvalidParameter { .. }
            | Self::UnknownParameter { .. }
            | Self::RepeatedParameter { .. }
            | Self::MalformedQuery(_)
            | Self::MalformedPath(_) => (StatusCode::BAD_REQUEST, 9000),
            Self::InvalidFilter(_) => (StatusCode::BAD_REQUEST, 9001),
            Self::InvalidBody(_) | Self::PasswordNotText => (StatusCode::BAD_REQUEST, 9002),
            Self::UnreadableBody(rejection) => (rejection.status(), 9002),
            Self::VmServer(VmServerError::Malformed(_) | VmServerError::InvalidField { .. }) => {
                (StatusCode::BAD_REQUEST, 9002)
            }
            Self::VmServer(VmServerError::Exists(_)) => (StatusCode::CONFLICT, 9101),
            Self::VmServer(VmServerError::Full(_)) => (StatusCode::BAD_REQUEST, 9102),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, 9100),
            Self::NoRoute(_) => (StatusCode::NOT_FOUND, 9200),
            Self::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, 9201),
            Self::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, 9202),
            Self::UnsupportedVersion(_) => (StatusCode::NOT_ACCEPTABLE, 9203),
        }
    }

    /// Builds the message followed by each underlying cause, joined with ": ".
    ///
    /// A cause is skipped when the text so far already ends with it, because
    /// axum's rejections print their inner error and also return it as
    /// their source.
    fn message_chain(&self) -> String {
        let mut message = self.to_string();
        let mut source = self.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.ends_with(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = self.message_chain();
        tracing::debug!(status = status.as_u16(), error_code = code, error = %message, "request rejected");
        json_response(
            status,
            &serde_json::json!({"errorCode": code, "errorMessage": message}),
        )
    }
}
