//! The HTTP API: routes, the layers around them, and the JSON response
//! helper. Serving it over TLS is left to `crate::server`.
//!
//! Routes, all under `/netbackup`:
//!
//! | method | path | auth |
//! |---|---|---|
//! | POST | `/login` | no |
//! | POST | `/logout` | yes |
//! | GET | `/admin/jobs`, `/admin/jobs/{jobId}` | yes |
//! | GET | `/catalog/images`, `/catalog/images/{backupId}` | yes |
//! | GET, POST | `/config/servers/vmservers` | yes |
//! | GET, DELETE | `/config/servers/vmservers/{serverName}` | yes |
//!
//! Anything else gets a 404 or 405 error document.

mod auth;
mod error;
mod images;
mod jobs;
mod listing;
mod media;
mod vmservers;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::Simulator;
use error::ApiError;

/// Builds the router with every route and layer, bound to `sim`.
pub(crate) fn router(sim: Arc<Simulator>) -> Router {
    let protected = Router::new()
        .route("/netbackup/logout", post(auth::logout))
        .route("/netbackup/admin/jobs", get(jobs::list))
        .route("/netbackup/admin/jobs/{job_id}", get(jobs::get))
        .route("/netbackup/catalog/images", get(images::list))
        .route("/netbackup/catalog/images/{backup_id}", get(images::get))
        .route(
            "/netbackup/config/servers/vmservers",
            get(vmservers::list).post(vmservers::create),
        )
        .route(
            "/netbackup/config/servers/vmservers/{server_name}",
            get(vmservers::get).delete(vmservers::delete),
        )
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&sim),
            auth::require_auth,
        ));
    Router::new()
        .route("/netbackup/login", post(auth::login))
        .merge(protected)
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(media::negotiate))
        .layer(middleware::from_fn(log_request))
        .with_state(sim)
}

/// Builds a response with `value` as its JSON body. The media layer then
/// turns `application/json` into the versioned NetBackup media type.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(uri.path().to_owned())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// Logs each request's method, path and status at debug, but no headers.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request served");
    response
}
