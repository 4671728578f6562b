//! `/api/v1/api-keys`: create, list and delete admin API keys. Every route
//! here needs a key with all four permissions.
//!
//! A new key's plaintext is returned once, by create; the store keeps only
//! its digest. Authentication itself lives in `auth.rs`.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nbwss_store::{Permission, Permissions, StoreError};
use serde::Deserialize;
use tracing::info;

use super::auth::Caller;
use super::body::parse_json;
use super::error::ApiError;
use super::state::AdminState;
use super::views::{ApiKeyList, ApiKeyView, CreatedApiKey};

/// Longest key name accepted, in characters.
const MAX_NAME_CHARS: usize = 100;

/// The body of `POST /api/v1/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    name: String,
    permissions: Vec<String>,
}

/// Creates a key and returns it with its record.
pub(super) async fn create(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let request: CreateRequest = parse_json(&body)?;
    let name = check_name(&request.name)?;
    let permissions = parse_permissions(&request.permissions)?;
    let (record, key) = state
        .blocking("creating an API key", move |registry| {
            Ok(registry.store().create_api_key(&name, permissions)?)
        })
        .await?;
    info!(
        new_key_id = %record.id,
        name = %record.name,
        permissions = %record.permissions,
        key_id = %caller.key_id,
        "api key created"
    );
    let created = CreatedApiKey {
        record: ApiKeyView::from(&record),
        key: key.into_inner(),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// Lists every key without its secret, oldest first.
pub(super) async fn list(State(state): State<AdminState>) -> Result<Json<ApiKeyList>, ApiError> {
    let records = state.store().list_api_keys()?;
    Ok(Json(ApiKeyList {
        api_keys: records.iter().map(ApiKeyView::from).collect(),
    }))
}

/// Deletes a key and returns its record. Deleting the key that makes the
/// request is allowed; the next start writes a new admin.key if needed.
pub(super) async fn delete(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ApiKeyView>, ApiError> {
    let target = id.clone();
    let record = state
        .blocking("deleting an API key", move |registry| {
            match registry.store().delete_api_key(&target) {
                Ok(record) => Ok(record),
                Err(StoreError::NotFound { .. }) => Err(ApiError::ApiKeyNotFound { id: target }),
                Err(other) => Err(ApiError::from(other)),
            }
        })
        .await?;
    info!(deleted_key_id = %id, key_id = %caller.key_id, "api key deleted");
    Ok(Json(ApiKeyView::from(&record)))
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    let problem = if trimmed.is_empty() {
        "must not be empty"
    } else if trimmed.chars().count() > MAX_NAME_CHARS {
        "is longer than 100 characters"
    } else if trimmed.chars().any(char::is_control) {
        "contains control characters"
    } else {
        return Ok(trimmed.to_owned());
    };
    Err(ApiError::InvalidBody {
        reason: format!("name {problem}"),
    })
}

fn parse_permissions(names: &[String]) -> Result<Permissions, ApiError> {
    let accepted = "expected a non-empty array of VIEW, CREATE, UPDATE and DELETE";
    if names.is_empty() {
        return Err(ApiError::InvalidBody {
            reason: format!("permissions is empty; {accepted}"),
        });
    }
    names
        .iter()
        .map(|name| {
            name.parse::<Permission>()
                .map_err(|_| ApiError::InvalidBody {
                    reason: format!("unknown permission {name:?}; {accepted}"),
                })
        })
        .collect()
}
