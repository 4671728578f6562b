//! The reference server's HTTP API for the cloud application.
//!
//! - `GET /api/v1/servers`: `{"servers": [{"id", "peer", "serverName",
//!   "serviceVersion", "connectedAt"}]}`, with `connectedAt` in seconds
//!   since the Unix epoch.
//! - `POST /api/v1/servers/{id}/commands` with `{"method", "uri",
//!   "headers"?, "parameters"?, "timeoutSeconds"?}`: runs a COMMAND and
//!   returns its response as `{"statusCode", "headers", "body"?,
//!   "bodyEncoding"?}`, or 404 for an unknown server, 504 when the call
//!   timed out and 502 when the connection closed or the response was
//!   invalid.
//! - `GET /api/v1/notifications/stream`: server-sent events.
//! - `GET /healthz`: `{"status": "ok"}`.
//!
//! Errors are `{"code", "message"}`. The API has no authentication, so it
//! belongs on loopback or behind the application's own access control.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nbwss_protocol::{CommandRequest, CommandResponse, Method};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::stream::{self, Hub};
use crate::handle::{BackupServer, CallError};
use crate::server::EndpointServer;

/// Largest `timeoutSeconds` accepted.
const MAX_TIMEOUT_SECONDS: f64 = 3600.0;

#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) endpoint: EndpointServer,
    pub(crate) hub: Arc<Hub>,
    pub(crate) shutdown: CancellationToken,
}

impl ApiState {
    fn endpoint_call_timeout(&self) -> Duration {
        self.endpoint.config().default_call_timeout
    }
}

pub(crate) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/servers", get(list_servers))
        .route("/api/v1/servers/{id}/commands", post(run_command))
        .route("/api/v1/notifications/stream", get(notification_stream))
        .fallback(not_found)
        .with_state(state)
}

/// The body of `POST /api/v1/servers/{id}/commands`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CommandBody {
    method: String,
    uri: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    timeout_seconds: Option<f64>,
}

async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such API path")
}

async fn list_servers(State(state): State<ApiState>) -> Response {
    let mut servers = state.endpoint.connections();
    servers.sort_by_key(BackupServer::id);
    let servers: Vec<Value> = servers.iter().map(describe).collect();
    Json(json!({ "servers": servers })).into_response()
}

fn describe(server: &BackupServer) -> Value {
    let connected_at = server
        .connected_at()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    json!({
        "id": server.id(),
        "peer": server.peer().to_string(),
        "serverName": server.server_name(),
        "serviceVersion": server.service_version(),
        "connectedAt": connected_at,
    })
}

async fn run_command(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(server) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.endpoint.connection(id))
    else {
        let message = format!("no connected backup server with id {id:?}");
        return error(StatusCode::NOT_FOUND, "SERVER_NOT_FOUND", &message);
    };
    let (request, timeout) = match parse_command(&body) {
        Ok(parsed) => parsed,
        Err(message) => return error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &message),
    };
    let timeout = timeout.unwrap_or_else(|| state.endpoint_call_timeout());
    match server.call_with_timeout(request, timeout).await {
        Ok(response) => Json(response_json(&response)).into_response(),
        Err(failure @ CallError::TimedOut { .. }) => error(
            StatusCode::GATEWAY_TIMEOUT,
            "CALL_TIMED_OUT",
            &failure.to_string(),
        ),
        Err(failure @ CallError::ConnectionClosed) => error(
            StatusCode::BAD_GATEWAY,
            "CONNECTION_CLOSED",
            &failure.to_string(),
        ),
        Err(failure @ CallError::InvalidResponse { .. }) => error(
            StatusCode::BAD_GATEWAY,
            "INVALID_RESPONSE",
            &failure.to_string(),
        ),
    }
}

/// Turns the request body into a COMMAND REQUEST and an optional timeout,
/// or an error message naming the bad value and what is accepted.
fn parse_command(body: &[u8]) -> Result<(CommandRequest, Option<Duration>), String> {
    let body: CommandBody =
        serde_json::from_slice(body).map_err(|e| format!("invalid command body: {e}"))?;
    let method = Method::from_name(&body.method).ok_or_else(|| {
        format!(
            "method {:?} is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
            body.method
        )
    })?;
    let parameters = match body.parameters {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(nested @ (Value::Object(_) | Value::Array(_))) => Some(nested.to_string()),
        Some(_) => {
            return Err("parameters must be a string, an object or an array".to_owned());
        }
    };
    let timeout = match body.timeout_seconds {
        None => None,
        Some(seconds) if seconds > 0.0 && seconds <= MAX_TIMEOUT_SECONDS => {
            Some(Duration::from_secs_f64(seconds))
        }
        Some(seconds) => {
            return Err(format!(
                "timeoutSeconds {seconds} is out of range; expected more than 0 and at most {MAX_TIMEOUT_SECONDS}"
            ));
        }
    };
    let request = CommandRequest {
        uri: body.uri,
        method,
        headers: body.headers,
        parameters,
    };
    Ok((request, timeout))
}

/// Converts a COMMAND RESPONSE to the same JSON shape as on the wire.
fn response_json(response: &CommandResponse) -> Value {
    let mut value = json!({
        "statusCode": response.status_code,
        "headers": response.headers,
    });
    if let Some(body) = &response.body {
        value["body"] = Value::String(body.clone());
        if response.body_base64 {
            value["bodyEncoding"] = Value::String("base64".to_owned());
        }
    }
    value
}

async fn notification_stream(State(state): State<ApiState>) -> Response {
    stream::subscribe(&state.hub, state.shutdown.clone()).into_response()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}
