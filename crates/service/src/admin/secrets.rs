//! `PUT` and `DELETE /api/v1/secrets/upstream-api-key`: the job poller's
//! API key for the backup server's REST API, stored encrypted.
//!
//! The value is never returned or logged. Reading it is left to the job
//! poller, under [`UPSTREAM_API_KEY_SECRET`].

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use nbwss_store::{Secret, StoreError};
use serde::Deserialize;
use tracing::info;

use super::auth::Caller;
use super::body::parse_json;
use super::error::ApiError;
use super::state::AdminState;
use super::views::SecretView;
use crate::notify::UPSTREAM_API_KEY_SECRET;

/// Largest secret accepted, in bytes of UTF-8.
const MAX_SECRET_BYTES: usize = 8 * 1024;

/// The body of `PUT /api/v1/secrets/upstream-api-key`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretRequest {
    value: String,
}

// The value must not reach a log line, even through a derived Debug.
impl std::fmt::Debug for SecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRequest").finish_non_exhaustive()
    }
}

/// Stores the upstream API key, replacing any previous one.
pub(super) async fn set_upstream_api_key(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<SecretView>, ApiError> {
    let request: SecretRequest = parse_json(&body).map_err(|_| ApiError::InvalidBody {
        // serde quotes unexpected values, so its message could echo the key.
        reason: "expected {\"value\": \"<api key>\"}".to_owned(),
    })?;
    check_value(&request.value)?;
    let secret = Secret::new(request.value);
    state
        .blocking("storing the upstream API key", move |registry| {
            Ok(registry
                .store()
                .set_secret(UPSTREAM_API_KEY_SECRET, &secret)?)
        })
        .await?;
    info!(secret = UPSTREAM_API_KEY_SECRET, key_id = %caller.key_id, "secret stored");
    Ok(Json(SecretView {
        name: UPSTREAM_API_KEY_SECRET.to_owned(),
        set: true,
    }))
}

/// Deletes the upstream API key; deleting an unset key succeeds.
pub(super) async fn delete_upstream_api_key(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<SecretView>, ApiError> {
    state
        .blocking("deleting the upstream API key", |registry| {
            match registry.store().delete_secret(UPSTREAM_API_KEY_SECRET) {
                Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
                Err(other) => Err(ApiError::from(other)),
            }
        })
        .await?;
    info!(secret = UPSTREAM_API_KEY_SECRET, key_id = %caller.key_id, "secret deleted");
    Ok(Json(SecretView {
        name: UPSTREAM_API_KEY_SECRET.to_owned(),
        set: false,
    }))
}

fn check_value(value: &str) -> Result<(), ApiError> {
    let problem = if value.is_empty() {
        "must not be empty".to_owned()
    } else if value.len() > MAX_SECRET_BYTES {
        format!(
            "is {} bytes long; at most {MAX_SECRET_BYTES} bytes are accepted",
            value.len()
        )
    } else if value.trim() != value {
        "has leading or trailing whitespace; remove it (the value is not shown)".to_owned()
    } else {
        return Ok(());
    };
    Err(ApiError::InvalidBody {
        reason: format!("value {problem}"),
    })
}
