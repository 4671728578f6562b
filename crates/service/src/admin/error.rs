//! The admin API's errors and their one JSON shape:
//! `{"error": {"code": "DUPLICATE_HOST", "message": "...", "details": ...}}`.
//!
//! `code` is a stable upper-case name for scripts, `message` is the error
//! with its causes joined by ": ", and `details` appears only where a
//! caller needs data to act on, such as the fingerprint to accept.
//! Choosing which error a handler returns is left to the handlers.

use std::error::Error as StdError;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use nbwss_protocol::details::DetailsError;
use nbwss_protocol::notification::ItemError;
use nbwss_store::StoreError;

use crate::config::ConfigError;

/// An admin API request that failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` header.
    #[error("missing API key: send the header \"Authorization: Bearer <api key>\"")]
    MissingApiKey,
    /// The key is malformed, unknown or deleted.
    #[error("invalid API key: use the key in the data directory's admin.key or create one")]
    InvalidApiKey,
    /// The key is valid but lacks a permission the route needs.
    #[error("the API key lacks the {permission} permission this request needs")]
    PermissionDenied {
        /// The missing permission, such as `UPDATE`, or `VIEW, CREATE,
        /// UPDATE and DELETE` for key management.
        permission: String,
    },
    /// The request body is not the JSON the route accepts.
    #[error("invalid request body: {reason}")]
    InvalidBody {
        /// The problem and the accepted form.
        reason: String,
    },
    /// The endpoint details break a rule; the message names entry and key.
    #[error(transparent)]
    InvalidDetails(#[from] DetailsError),
    /// No endpoint has this host name.
    #[error("endpoint {host:?} not found; list the endpoints with \"nbwss servers list\"")]
    EndpointNotFound {
        /// The host name in the request.
        host: String,
    },
    /// No API key has this id.
    #[error("api key {id:?} not found; list the keys with \"nbwss keys list\"")]
    ApiKeyNotFound {
        /// The id in the request.
        id: String,
    },
    /// No route matches the path.
    #[error("no route {method} {path}; GET /api/v1/openapi.json lists the routes")]
    RouteNotFound {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// The path exists but not with this method.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// An endpoint with this host name is already registered.
    #[error("endpoint {host:?} already exists; remove it first to register it again")]
    DuplicateHost {
        /// The duplicate host name.
        host: String,
    },
    /// The chain is not trusted or does not match the host, and no
    /// accepted fingerprint matches the leaf.
    #[error(
        "the certificate of {host:?} is not trusted: {problems}; to pin its SHA-256 \
         fingerprint {fingerprint}, add the endpoint again with acceptFingerprint set to it \
         (nbwss servers add ... --accept-fingerprint {fingerprint})"
    )]
    CertificateNotTrusted {
        /// The endpoint's host name.
        host: String,
        /// The leaf certificate's fingerprint.
        fingerprint: String,
        /// The report's problems, joined.
        problems: String,
        /// The validation report, returned as `details`.
        report: Value,
    },
    /// The endpoint could not be dialed or did not complete a TLS
    /// handshake, so its certificate could not be checked.
    #[error("failed to check the certificate of {host:?}")]
    EndpointUnreachable {
        /// The endpoint's host name.
        host: String,
        /// The dial or handshake failure.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The details URL is not `https://`.
    #[error("details URL {url:?} is not accepted: expected an https:// URL")]
    InsecureDetailsUrl {
        /// The URL, its query removed.
        url: String,
    },
    /// The details document could not be fetched from its URL.
    #[error("failed to fetch the endpoint details from {url:?}")]
    DetailsUrlFailed {
        /// The URL, its query removed.
        url: String,
        /// The cause.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// `nbwss.properties` does not validate; nothing was applied.
    #[error("configuration not reloaded, nothing was applied")]
    InvalidConfig(#[source] ConfigError),
    /// The service was started without a configuration directory.
    #[error("reload is not available: the service was started without a configuration directory")]
    ReloadUnavailable,
    /// The new `log.level` validated but the logger refused it.
    #[error("failed to apply log.level {level:?}: {reason}")]
    LogLevelNotApplied {
        /// The new level.
        level: String,
        /// The logger's reason.
        reason: String,
    },
    /// The reloaded connection or relay settings could not be built, such
    /// as a CA file that does not load; nothing was applied.
    #[error("failed to apply the reloaded {what}: {reason}")]
    ReloadNotApplied {
        /// Which settings.
        what: &'static str,
        /// Why, with the cause chain.
        reason: String,
    },
    /// A notification item breaks the payload rules; the message names
    /// the item and key.
    #[error("invalid notification")]
    InvalidNotification(#[source] ItemError),
    /// No group has an activated endpoint, so no outbox would receive the
    /// items.
    #[error(
        "no group has an activated endpoint, so no outbox would receive the items; add or activate an endpoint first"
    )]
    NoActivatedGroup,
    /// A group's notification queue is full; retry later.
    #[error("the notification queue of group {group:?} is full ({limit} items); retry later")]
    QueueFull {
        /// The group.
        group: String,
        /// `notification.maxPendingPerGroup`.
        limit: u64,
    },
    /// A feature of the API is not available in this build.
    #[error("{what} is not available yet")]
    NotAvailable {
        /// The missing feature.
        what: &'static str,
    },
    /// The store failed.
    #[error("store operation failed")]
    Store(#[source] StoreError),
    /// A blocking task panicked or was cancelled.
    #[error("internal error while {doing}")]
    Internal {
        /// The operation under way, such as "adding an endpoint".
        doing: &'static str,
    },
}

impl ApiError {
    /// Returns the HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingApiKey | Self::InvalidApiKey => StatusCode::UNAUTHORIZED,
            Self::PermissionDenied { .. } => StatusCode::FORBIDDEN,
            Self::InvalidBody { .. }
            | Self::InvalidDetails(_)
            | Self::InsecureDetailsUrl { .. }
            | Self::InvalidNotification(_)
            | Self::InvalidConfig(_)
            | Self::ReloadNotApplied { .. } => StatusCode::BAD_REQUEST,
            Self::EndpointNotFound { .. }
            | Self::ApiKeyNotFound { .. }
            | Self::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::DuplicateHost { .. } | Self::ReloadUnavailable | Self::NoActivatedGroup => {
                StatusCode::CONFLICT
            }
            Self::CertificateNotTrusted { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::EndpointUnreachable { .. } | Self::DetailsUrlFailed { .. } => {
                StatusCode::BAD_GATEWAY
            }
            Self::QueueFull { .. } | Self::NotAvailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::LogLevelNotApplied { .. } | Self::Store(_) | Self::Internal { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Returns the stable code that scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingApiKey | Self::InvalidApiKey => "UNAUTHORIZED",
            Self::PermissionDenied { .. } => "FORBIDDEN",
            Self::InvalidBody { .. } => "INVALID_REQUEST",
            Self::InvalidDetails(_) => "INVALID_DETAILS",
            Self::EndpointNotFound { .. } => "ENDPOINT_NOT_FOUND",
            Self::ApiKeyNotFound { .. } => "API_KEY_NOT_FOUND",
            Self::RouteNotFound { .. } => "NOT_FOUND",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::DuplicateHost { .. } => "DUPLICATE_HOST",
            Self::CertificateNotTrusted { .. } => "CERTIFICATE_NOT_TRUSTED",
            Self::EndpointUnreachable { .. } => "ENDPOINT_UNREACHABLE",
            Self::InsecureDetailsUrl { .. } => "INSECURE_DETAILS_URL",
            Self::DetailsUrlFailed { .. } => "DETAILS_URL_FAILED",
            Self::InvalidConfig(_) => "INVALID_CONFIGURATION",
            Self::ReloadUnavailable => "RELOAD_UNAVAILABLE",
            Self::LogLevelNotApplied { .. } => "LOG_LEVEL_NOT_APPLIED",
            Self::ReloadNotApplied { .. } => "RELOAD_NOT_APPLIED",
            Self::InvalidNotification(_) => "INVALID_NOTIFICATION",
            Self::NoActivatedGroup => "NO_ACTIVATED_GROUP",
            Self::QueueFull { .. } => "QUEUE_FULL",
            Self::NotAvailable { .. } => "NOT_AVAILABLE",
            Self::Store(_) => "STORE_FAILED",
            Self::Internal { .. } => "INTERNAL",
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            Self::CertificateNotTrusted {
                host,
                fingerprint,
                report,
                ..
            } => Some(serde_json::json!({
                "hostName": host,
                "fingerprint": fingerprint,
                "report": report,
            })),
            _ => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::DuplicateHost { host } => Self::DuplicateHost { host },
            other => Self::Store(other),
        }
    }
}

/// The JSON body of every error response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable upper-case code, such as `DUPLICATE_HOST`.
    pub code: String,
    /// The error and its causes, joined by ": ".
    pub message: String,
    /// Data to act on, for some codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code(), error = %message_chain(&self), "admin request failed");
        } else {
            tracing::debug!(code = self.code(), error = %message_chain(&self), "admin request rejected");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: message_chain(&self),
                details: self.details(),
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

/// Joins an error and its sources with ": ", skipping a source whose text
/// the previous message already ends with.
pub(crate) fn message_chain(error: &dyn StdError) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
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
