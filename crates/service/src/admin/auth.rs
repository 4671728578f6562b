//! API key authentication and permission checks.
//!
//! Each route's [`Access`] comes from the route table; this middleware
//! reads `Authorization: Bearer <api key>`, authenticates it against the
//! store and checks the permission before the handler runs. A missing or
//! invalid key gets 401, a key without the permission 403 naming it. The
//! key itself is never logged; its public id is, as `key_id`.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nbwss_store::{ApiKeyRecord, Permission, Permissions};

use super::error::ApiError;
use super::state::AdminState;

/// The callers a route accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a key: health, readiness, metrics, the document.
    Public,
    /// A key with this permission.
    Requires(Permission),
    /// A key with all four permissions: API key management.
    RequiresAll,
}

impl Access {
    /// Returns the permission names as the OpenAPI document and errors
    /// show them, or `None` for a public route.
    pub fn describe(self) -> Option<String> {
        match self {
            Access::Public => None,
            Access::Requires(permission) => Some(permission.as_str().to_owned()),
            Access::RequiresAll => Some("VIEW, CREATE, UPDATE and DELETE".to_owned()),
        }
    }

    fn allows(self, granted: Permissions) -> bool {
        match self {
            Access::Public => true,
            Access::Requires(permission) => granted.contains(permission),
            Access::RequiresAll => granted == Permissions::ALL,
        }
    }
}

/// The authenticated caller, put in the request extensions for handlers
/// that log who changed what.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The key's public id.
    pub key_id: String,
}

/// Rejects the request unless its API key grants `access`.
pub(super) async fn authorize(
    State((state, access)): State<(AdminState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    match check(&state, access, &request) {
        Ok(record) => {
            request
                .extensions_mut()
                .insert(Caller { key_id: record.id });
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

fn check(state: &AdminState, access: Access, request: &Request) -> Result<ApiKeyRecord, ApiError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .ok_or(ApiError::MissingApiKey)?;
    let key = bearer_key(header.as_bytes()).ok_or(ApiError::InvalidApiKey)?;
    // A read transaction: redb readers do not wait for the writer, so this
    // runs inline.
    let record = state
        .store()
        .authenticate(key)?
        .ok_or(ApiError::InvalidApiKey)?;
    if !access.allows(record.permissions) {
        tracing::debug!(key_id = %record.id, "admin request lacks a permission");
        return Err(ApiError::PermissionDenied {
            permission: access.describe().unwrap_or_default(),
        });
    }
    Ok(record)
}

/// Extracts the key from `Bearer <key>`; the scheme is case-insensitive.
fn bearer_key(header: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, key) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let key = key.trim();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scheme matches in any case and surrounding blanks are dropped.
    #[test]
    fn bearer_key_accepts_any_case() {
        assert_eq!(bearer_key(b"bearer  abc "), Some("abc"));
    }

    /// A Basic header is not a bearer key.
    #[test]
    fn bearer_key_rejects_basic() {
        assert_eq!(bearer_key(b"Basic abc"), None);
    }

    /// A bearer header without a key is rejected.
    #[test]
    fn bearer_key_rejects_empty() {
        assert_eq!(bearer_key(b"Bearer "), None);
    }

    /// Key management needs every permission, not just one.
    #[test]
    fn requires_all_rejects_partial_set() {
        let partial: Permissions = [Permission::View, Permission::Create].into_iter().collect();
        assert!(!Access::RequiresAll.allows(partial));
    }
}
