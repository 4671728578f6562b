//! Login, logout and the authentication check in front of every other route.
//!
//! A request is authenticated by its `Authorization` header holding, with or
//! without a `Bearer ` prefix, either a token from `POST /netbackup/login`
//! or the configured API key (NetBackup sends both raw). Issuing and
//! expiring tokens is left to `crate::token`. No credential is ever logged.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::error::ApiError;
use super::json_response;
use crate::Simulator;
use crate::token::secrets_equal;

/// The body of `POST /netbackup/login`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoginRequest {
    user_name: String,
    /// Any JSON value, checked to be a string by hand, because serde's type
    /// error would quote the value in the message and the log.
    password: serde_json::Value,
    /// Accepted for compatibility with NetBackup clients, and ignored.
    #[serde(default, rename = "domainType")]
    _domain_type: Option<IgnoredAny>,
    /// Accepted for compatibility with NetBackup clients, and ignored.
    #[serde(default, rename = "domainName")]
    _domain_name: Option<IgnoredAny>,
}

/// `POST /netbackup/login`: 201 with `{"token", "tokenType": "BEARER"}`, or
/// 401 for a wrong user name or password.
pub(crate) async fn login(
    State(sim): State<Arc<Simulator>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(ApiError::UnreadableBody)?;
    let request: LoginRequest = serde_json::from_slice(&body).map_err(ApiError::InvalidBody)?;
    let serde_json::Value::String(password) = &request.password else {
        return Err(ApiError::PasswordNotText);
    };
    let config = sim.config();
    // Both comparisons always run, so the time taken does not tell which
    // one failed. It can still reveal a length mismatch.
    let user_matches = secrets_equal(request.user_name.as_bytes(), config.username.as_bytes());
    let password_matches = secrets_equal(password.as_bytes(), config.password.as_bytes());
    if !(user_matches & password_matches) {
        tracing::debug!(user = %request.user_name, "login rejected");
        return Err(ApiError::LoginFailed);
    }
    let token = {
        let mut state = sim.state();
        let now = state.now;
        state.tokens.issue(&request.user_name, now)
    };
    tracing::debug!(user = %request.user_name, "login accepted");
    Ok(json_response(
        StatusCode::CREATED,
        &serde_json::json!({"token": token, "tokenType": "BEARER"}),
    ))
}

/// `POST /netbackup/logout`: revokes the token in the request and returns
/// 204. With an API key there is nothing to revoke, and the status is the
/// same.
pub(crate) async fn logout(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let credential = read_credential(&headers)?;
    sim.state().tokens.revoke(credential);
    Ok(StatusCode::NO_CONTENT)
}

/// Passes a request on only with a valid token or API key, and returns 401
/// otherwise.
pub(crate) async fn require_auth(
    State(sim): State<Arc<Simulator>>,
    request: Request,
    next: Next,
) -> Response {
    if let Err(error) = authenticate(&sim, request.headers()) {
        return error.into_response();
    }
    next.run(request).await
}

fn authenticate(sim: &Simulator, headers: &HeaderMap) -> Result<(), ApiError> {
    let credential = read_credential(headers)?;
    let api_key = &sim.config().api_key;
    if !api_key.is_empty() && secrets_equal(credential.as_bytes(), api_key.as_bytes()) {
        return Ok(());
    }
    let state = sim.state();
    if state.tokens.is_valid(credential, state.now) {
        return Ok(());
    }
    Err(ApiError::InvalidCredentials)
}

/// Returns the credential in `Authorization`, without a `Bearer ` prefix.
fn read_credential(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::MissingCredentials);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::InvalidCredentials)?
        .trim();
    let credential = match text.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => text[7..].trim_start(),
        _ => text,
    };
    if credential.is_empty() {
        return Err(ApiError::MissingCredentials);
    }
    Ok(credential)
}
