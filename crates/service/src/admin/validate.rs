//! `POST /api/v1/servers/validate` and `POST /api/v1/servers/validate-url`:
//! parse a details document and report each endpoint's certificate chain.
//!
//! Validation stores nothing. Entries are checked concurrently; one that
//! cannot be reached gets an `error` instead of a report, and the others
//! are still reported.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use futures_util::future::join_all;
use nbwss_protocol::details::{DetailsOptions, EndpointDetails, parse_details};
use serde::Deserialize;

use super::body::parse_json;
use super::error::ApiError;
use super::fetch::fetch_details;
use super::probe::check;
use super::state::AdminState;
use super::views::ValidateResponse;

/// The body of `POST /api/v1/servers/validate-url`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ValidateUrlRequest {
    /// The `https://` URL that returns the details document.
    url: String,
    /// A PEM file with the CA that signed the URL's server, used instead
    /// of the system roots.
    ca_file: Option<PathBuf>,
}

/// Validates the details document in the body.
pub(super) async fn validate(
    State(state): State<AdminState>,
    body: Bytes,
) -> Result<Json<ValidateResponse>, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::InvalidBody {
        reason: "the body is not UTF-8 text".to_owned(),
    })?;
    let entries = parse_details(text, details_options(&state))?;
    Ok(Json(check_all(&state, &entries).await))
}

/// Fetches the details document from a URL and validates it.
pub(super) async fn validate_url(
    State(state): State<AdminState>,
    body: Bytes,
) -> Result<Json<ValidateResponse>, ApiError> {
    let request: ValidateUrlRequest = parse_json(&body)?;
    let entries = details_from_url(&state, &request.url, request.ca_file.as_deref()).await?;
    Ok(Json(check_all(&state, &entries).await))
}

/// Fetches and parses the details document at `url`.
pub(super) async fn details_from_url(
    state: &AdminState,
    url: &str,
    ca_file: Option<&Path>,
) -> Result<Vec<EndpointDetails>, ApiError> {
    let text = fetch_details(url, ca_file, &state.context().proxy).await?;
    Ok(parse_details(&text, details_options(state))?)
}

/// The details parsing options the service runs with.
pub(super) fn details_options(state: &AdminState) -> DetailsOptions {
    DetailsOptions {
        allow_insecure_loopback: state.context().allow_insecure_loopback,
    }
}

async fn check_all(state: &AdminState, entries: &[EndpointDetails]) -> ValidateResponse {
    let checks = entries.iter().map(|details| check(state, details));
    ValidateResponse {
        endpoints: join_all(checks).await,
    }
}
