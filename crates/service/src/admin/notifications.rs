//! `POST /api/v1/notifications`: the ingest for local scripts such as
//! backup exit hooks.
//!
//! The body is the NOTIFICATION payload: an array of items. Validating and
//! durably queueing them is the notification pipeline's job; this handler
//! maps its outcome to a status and returns once the items are stored.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::Value;
use tracing::info;

use super::auth::Caller;
use super::body::parse_json;
use super::error::ApiError;
use super::state::AdminState;
use crate::notify::{IngestError, IngestReceipt};

/// Queues the items for every group with an activated endpoint.
pub(super) async fn ingest(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<IngestReceipt>, ApiError> {
    let notifier = state
        .context()
        .notifier
        .as_ref()
        .ok_or(ApiError::NotAvailable {
            what: "notification ingest",
        })?;
    let items: Value = parse_json(&body)?;
    let receipt = notifier.ingest(items).await.map_err(|error| match error {
        IngestError::Invalid(item) => ApiError::InvalidNotification(item),
        IngestError::QueueFull { group, limit } => ApiError::QueueFull { group, limit },
        IngestError::NoGroups => ApiError::NoActivatedGroup,
        IngestError::Store(store) => ApiError::Store(store),
    })?;
    info!(
        items = receipt.items,
        groups = receipt.groups.len(),
        key_id = %caller.key_id,
        "notifications ingested"
    );
    Ok(Json(receipt))
}
