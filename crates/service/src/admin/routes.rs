//! The route table: every admin API route with its method, path, who may
//! call it and its handler, in one constant.
//!
//! [`router`] builds the axum router from [`ROUTES`], wrapping each route
//! in the permission check its [`Access`] names, and the OpenAPI test reads
//! the same table, so a route cannot be served without being documented.
//! Unknown paths and methods get the API's JSON error shape.

use axum::Router;
use axum::http::{Method, Uri};
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodFilter, MethodRouter, on};

pub use super::auth::Access;
use super::auth::authorize;
use super::error::ApiError;
use super::state::AdminState;
use super::{
    add, api_keys, health, notifications, openapi, reload, secrets, servers, status, validate,
};
use nbwss_store::Permission;

/// One admin API route.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path in axum and OpenAPI syntax, such as `/api/v1/servers/{host}`.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The OpenAPI `operationId`.
    pub operation_id: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<AdminState>,
}

const VIEW: Access = Access::Requires(Permission::View);
const CREATE: Access = Access::Requires(Permission::Create);
const UPDATE: Access = Access::Requires(Permission::Update);
const DELETE: Access = Access::Requires(Permission::Delete);

/// Every route the admin API serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/healthz",
        access: Access::Public,
        operation_id: "health",
        handler: |filter| on(filter, health::healthz),
    },
    Route {
        method: Method::GET,
        path: "/ready",
        access: Access::Public,
        operation_id: "ready",
        handler: |filter| on(filter, health::ready),
    },
    Route {
        method: Method::GET,
        path: "/metrics",
        access: Access::Public,
        operation_id: "metrics",
        handler: |filter| on(filter, health::render_metrics),
    },
    Route {
        method: Method::GET,
        path: "/api/v1/openapi.json",
        access: Access::Public,
        operation_id: "openapi",
        handler: |filter| on(filter, openapi::serve),
    },
    Route {
        method: Method::GET,
        path: "/api/v1/servers",
        access: VIEW,
        operation_id: "listServers",
        handler: |filter| on(filter, servers::list),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/servers",
        access: CREATE,
        operation_id: "addServers",
        handler: |filter| on(filter, add::add),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/servers/validate",
        access: VIEW,
        operation_id: "validateDetails",
        handler: |filter| on(filter, validate::validate),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/servers/validate-url",
        access: VIEW,
        operation_id: "validateDetailsUrl",
        handler: |filter| on(filter, validate::validate_url),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/servers/{host}/activate",
        access: UPDATE,
        operation_id: "activateServer",
        handler: |filter| on(filter, servers::activate),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/servers/{host}/deactivate",
        access: UPDATE,
        operation_id: "deactivateServer",
        handler: |filter| on(filter, servers::deactivate),
    },
    Route {
        method: Method::DELETE,
        path: "/api/v1/servers/{host}",
        access: DELETE,
        operation_id: "removeServer",
        handler: |filter| on(filter, servers::remove),
    },
    Route {
        method: Method::GET,
        path: "/api/v1/servers/{host}/token",
        access: UPDATE,
        operation_id: "showServerToken",
        handler: |filter| on(filter, servers::show_token),
    },
    Route {
        method: Method::GET,
        path: "/api/v1/status",
        access: VIEW,
        operation_id: "status",
        handler: |filter| on(filter, status::status),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/notifications",
        access: CREATE,
        operation_id: "ingestNotifications",
        handler: |filter| on(filter, notifications::ingest),
    },
    Route {
        method: Method::PUT,
        path: "/api/v1/secrets/upstream-api-key",
        access: UPDATE,
        operation_id: "setUpstreamApiKey",
        handler: |filter| on(filter, secrets::set_upstream_api_key),
    },
    Route {
        method: Method::DELETE,
        path: "/api/v1/secrets/upstream-api-key",
        access: UPDATE,
        operation_id: "deleteUpstreamApiKey",
        handler: |filter| on(filter, secrets::delete_upstream_api_key),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/api-keys",
        access: Access::RequiresAll,
        operation_id: "createApiKey",
        handler: |filter| on(filter, api_keys::create),
    },
    Route {
        method: Method::GET,
        path: "/api/v1/api-keys",
        access: Access::RequiresAll,
        operation_id: "listApiKeys",
        handler: |filter| on(filter, api_keys::list),
    },
    Route {
        method: Method::DELETE,
        path: "/api/v1/api-keys/{id}",
        access: Access::RequiresAll,
        operation_id: "deleteApiKey",
        handler: |filter| on(filter, api_keys::delete),
    },
    Route {
        method: Method::POST,
        path: "/api/v1/reload",
        access: UPDATE,
        operation_id: "reload",
        handler: |filter| on(filter, reload::reload),
    },
];

/// Builds the router from [`ROUTES`].
pub fn router(state: AdminState) -> Router {
    let mut router = Router::new();
    for route in ROUTES {
        let filter = MethodFilter::try_from(route.method.clone())
            .expect("the route table uses only standard methods");
        let guard = from_fn_with_state((state.clone(), route.access), authorize);
        router = router.route(route.path, (route.handler)(filter).route_layer(guard));
    }
    router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}
