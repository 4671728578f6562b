//! `GET /api/v1/openapi.json`: the OpenAPI 3.0 document of the admin API,
//! written by hand.
//!
//! Each operation names the permission it needs in `x-nbwss-permission`.
//! A test compares the paths, methods and permissions here with the route
//! table in `routes.rs`, in both directions. No test compares the schemas
//! with `views.rs`, so they are kept in step by hand.

use axum::Json;
use serde_json::{Map, Value, json};

use super::schemas::schemas;

/// Serves the document.
pub(super) async fn serve() -> Json<Value> {
    Json(document())
}

/// Builds the OpenAPI 3.0 document.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "nbwss admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Local administration of the nbwss service: the endpoint registry, \
                status, health, metrics, notification ingest, API keys, secrets and reload. \
                Errors are {\"error\": {\"code\", \"message\"}}.",
        },
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An nbwss API key; the first start writes one with every \
                        permission to admin.key in the data directory.",
                },
            },
            "schemas": schemas(),
        },
        "paths": paths(),
    })
}

fn paths() -> Value {
    json!({
        "/healthz": {
            "get": public("health", "Responds \"ok\" while the process serves requests.",
                text("ok")),
        },
        "/ready": {
            "get": public("ready", "200 when every group with an activated endpoint is \
                connected, else 503 listing the groups that are not.", json!({
                    "200": ok("Ready.", schema("Ready")),
                    "503": ok("Not ready.", schema("Ready")),
                })),
        },
        "/metrics": {
            "get": public("metrics", "Prometheus text exposition format.",
                text("Prometheus metrics")),
        },
        "/api/v1/openapi.json": {
            "get": public("openapi", "This document.", json!({
                "200": ok("The OpenAPI document.", json!({"type": "object"})),
            })),
        },
        "/api/v1/servers": {
            "get": secured("listServers", "VIEW", "Lists every endpoint record; never the token.",
                None, responses("The records.", "ServerList", &[])),
            "post": secured("addServers", "CREATE", "Validates and registers the endpoints of a \
                details document. A chain that is not trusted for the host needs its leaf \
                fingerprint in acceptFingerprint, which is then pinned.",
                Some(body("AddRequest")), created("The records added.", "AddResponse",
                    &["400", "409", "422", "502"])),
        },
        "/api/v1/servers/validate": {
            "post": secured("validateDetails", "VIEW", "Reports each endpoint's certificate \
                chain; stores nothing.", Some(body("DetailsDocument")),
                responses("One result per entry.", "ValidateResponse", &["400"])),
        },
        "/api/v1/servers/validate-url": {
            "post": secured("validateDetailsUrl", "VIEW", "Fetches a details document from an \
                https:// URL and validates it; stores nothing.", Some(body("ValidateUrlRequest")),
                responses("One result per entry.", "ValidateResponse", &["400", "502"])),
        },
        "/api/v1/servers/{host}/activate": {
            "post": with_host(secured("activateServer", "UPDATE", "Activates an endpoint.", None,
                responses("The record.", "Server", &["404"]))),
        },
        "/api/v1/servers/{host}/deactivate": {
            "post": with_host(secured("deactivateServer", "UPDATE", "Deactivates an endpoint and \
                closes its live connection.", None, responses("The record.", "Server", &["404"]))),
        },
        "/api/v1/servers/{host}": {
            "delete": with_host(secured("removeServer", "DELETE", "Removes an endpoint and closes \
                its live connection.", None, responses("The removed record.", "Server", &["404"]))),
        },
        "/api/v1/servers/{host}/token": {
            "get": with_host(secured("showServerToken", "UPDATE", "Returns the endpoint's token: \
                the only route that does.", None, responses("The token.", "Token", &["404"]))),
        },
        "/api/v1/status": {
            "get": secured("status", "VIEW", "Version, uptime, groups with their connection and \
                backlog, and the effective configuration.", None,
                responses("The status.", "Status", &[])),
        },
        "/api/v1/notifications": {
            "post": secured("ingestNotifications", "CREATE", "Validates notification items and \
                queues them durably for every group with an activated endpoint.",
                Some(body("NotificationItems")),
                responses("Stored.", "IngestReceipt", &["400", "409", "503"])),
        },
        "/api/v1/secrets/upstream-api-key": {
            "put": secured("setUpstreamApiKey", "UPDATE", "Stores the job poller's API key, \
                encrypted.", Some(body("SecretRequest")), responses("Stored.", "Secret", &["400"])),
            "delete": secured("deleteUpstreamApiKey", "UPDATE", "Deletes the job poller's API key.",
                None, responses("Deleted.", "Secret", &[])),
        },
        "/api/v1/api-keys": {
            "post": secured("createApiKey", "VIEW, CREATE, UPDATE and DELETE", "Creates an API \
                key; the response is the only time the key is shown.",
                Some(body("CreateApiKeyRequest")), created("The key.", "CreatedApiKey", &["400"])),
            "get": secured("listApiKeys", "VIEW, CREATE, UPDATE and DELETE", "Lists API keys \
                without their secrets.", None, responses("The keys.", "ApiKeyList", &[])),
        },
        "/api/v1/api-keys/{id}": {
            "delete": with_id(secured("deleteApiKey", "VIEW, CREATE, UPDATE and DELETE",
                "Deletes an API key.", None, responses("The deleted key.", "ApiKey", &["404"]))),
        },
        "/api/v1/reload": {
            "post": secured("reload", "UPDATE", "Reads nbwss.properties again; applies log.level \
                live and reports the other changed keys as needing a restart.", None,
                responses("What changed.", "Reload", &["400", "409"])),
        },
    })
}

fn public(operation_id: &str, summary: &str, responses: Value) -> Value {
    json!({
        "operationId": operation_id,
        "summary": summary,
        "security": [],
        "responses": responses,
    })
}

fn secured(
    operation_id: &str,
    permission: &str,
    summary: &str,
    request: Option<Value>,
    mut responses: Value,
) -> Value {
    if let Some(map) = responses.as_object_mut() {
        map.insert("401".to_owned(), error("Missing or invalid API key."));
        map.insert(
            "403".to_owned(),
            error("The key lacks the permission; the message names it."),
        );
    }
    let mut operation = Map::new();
    operation.insert("operationId".to_owned(), json!(operation_id));
    operation.insert("summary".to_owned(), json!(summary));
    operation.insert("security".to_owned(), json!([{"apiKey": []}]));
    operation.insert("x-nbwss-permission".to_owned(), json!(permission));
    if let Some(request) = request {
        operation.insert("requestBody".to_owned(), request);
    }
    operation.insert("responses".to_owned(), responses);
    Value::Object(operation)
}

fn with_host(operation: Value) -> Value {
    with_parameter(operation, "host", "The endpoint's hostName.")
}

fn with_id(operation: Value) -> Value {
    with_parameter(operation, "id", "The API key's id.")
}

fn with_parameter(mut operation: Value, name: &str, description: &str) -> Value {
    if let Some(map) = operation.as_object_mut() {
        map.insert(
            "parameters".to_owned(),
            json!([{
                "name": name,
                "in": "path",
                "required": true,
                "description": description,
                "schema": {"type": "string"},
            }]),
        );
    }
    operation
}

fn responses(description: &str, name: &str, errors: &[&str]) -> Value {
    with_errors(json!({"200": ok(description, schema(name))}), errors)
}

fn created(description: &str, name: &str, errors: &[&str]) -> Value {
    with_errors(json!({"201": ok(description, schema(name))}), errors)
}

fn with_errors(mut responses: Value, errors: &[&str]) -> Value {
    if let Some(map) = responses.as_object_mut() {
        for status in errors {
            map.insert(
                (*status).to_owned(),
                error("See error.code and error.message."),
            );
        }
    }
    responses
}

fn text(description: &str) -> Value {
    json!({
        "200": {
            "description": description,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema}},
    })
}

fn error(description: &str) -> Value {
    ok(description, schema("Error"))
}

fn body(name: &str) -> Value {
    json!({
        "required": true,
        "content": {"application/json": {"schema": schema(name)}},
    })
}

fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}
