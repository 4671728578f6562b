//! `/netbackup/config/servers/vmservers`: list, create, get and delete VM
//! server credentials.
//!
//! A resource's attributes wrap the record as `{"vmServer": {...}}`, the
//! shape of the create request, and the password is never returned. Parsing and
//! the registry live in `crate::vmserver`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::error::ApiError;
use super::json_response;
use super::listing::{Collection, ListParams, list_document, resource_object};
use crate::Simulator;
use crate::vmserver::{self, VmServer};

const VM_SERVERS: Collection<VmServer> = Collection {
    path: "/netbackup/config/servers/vmservers",
    type_name: "vmServer",
    filter_fields: vmserver::FILTER_FIELDS,
    sort_fields: vmserver::SORT_FIELDS,
    default_sort: "serverName",
    id: server_name,
    attributes: server_attributes,
    compare: vmserver::compare_vm_servers,
};

fn server_name(server: &VmServer) -> String {
    server.server_name.clone()
}

fn server_attributes(server: &VmServer) -> serde_json::Value {
    json!({"vmServer": server})
}

/// Lists VM servers by name, 10 per page.
pub(crate) async fn list(
    State(sim): State<Arc<Simulator>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(ApiError::MalformedQuery)?;
    let params = ListParams::parse(pairs, &VM_SERVERS)?;
    let document = list_document(&VM_SERVERS, &params, sim.state().vm_servers.iter());
    Ok(json_response(StatusCode::OK, &document))
}

/// Adds a VM server: 201 with the new resource, 409 when the name exists.
pub(crate) async fn create(
    State(sim): State<Arc<Simulator>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(ApiError::UnreadableBody)?;
    let server = VmServer::from_body(&body)?;
    let document = json!({"data": resource_object(&VM_SERVERS, &server)});
    let location = document["data"]["links"]["self"]["href"]
        .as_str()
        .and_then(|href| HeaderValue::from_str(href).ok());
    sim.state().vm_servers.add(server)?;
    let mut response = json_response(StatusCode::CREATED, &document);
    if let Some(location) = location {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Returns one VM server, 404 when there is none by that name.
pub(crate) async fn get(
    State(sim): State<Arc<Simulator>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(name) = path.map_err(ApiError::MalformedPath)?;
    let state = sim.state();
    let server = state
        .vm_servers
        .get(&name)
        .ok_or_else(|| not_found(&name))?;
    let document = json!({"data": resource_object(&VM_SERVERS, server)});
    Ok(json_response(StatusCode::OK, &document))
}

/// Removes a VM server: 204, or 404 when there is none by that name.
pub(crate) async fn delete(
    State(sim): State<Arc<Simulator>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(name) = path.map_err(ApiError::MalformedPath)?;
    if !sim.state().vm_servers.remove(&name) {
        return Err(not_found(&name));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn not_found(name: &str) -> ApiError {
    ApiError::NotFound {
        resource: "VM server",
        id: name.to_owned(),
    }
}
