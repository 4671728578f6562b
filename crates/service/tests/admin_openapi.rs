//! The OpenAPI document against the route table, and the router built
//! from that table against a real service.

mod admin_support;

use std::collections::BTreeSet;

use admin_support::TestService;
use nbwss_service::admin::openapi::document;
use nbwss_service::admin::routes::{Access, ROUTES};
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn documented() -> BTreeSet<(String, String)> {
    let document = document();
    let mut pairs = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths object") {
        for method in item.as_object().expect("path item object").keys() {
            pairs.insert((method.to_uppercase(), path.clone()));
        }
    }
    pairs
}

fn routed() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_owned()))
        .collect()
}

/// Every route in the table is documented.
#[test]
fn every_route_is_documented() {
    let missing: Vec<_> = routed().difference(&documented()).cloned().collect();
    assert!(missing.is_empty(), "undocumented routes: {missing:?}");
}

/// Every documented operation is a route in the table.
#[test]
fn every_documented_operation_is_routed() {
    let extra: Vec<_> = documented().difference(&routed()).cloned().collect();
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

/// Each operation's id and permission match the route table.
#[test]
fn operations_match_route_access() {
    let document = document();
    for route in ROUTES {
        let method = route.method.as_str().to_lowercase();
        let operation = &document["paths"][route.path][&method];
        assert_eq!(
            operation["operationId"], route.operation_id,
            "{} {}",
            route.method, route.path
        );
        let permission = operation
            .get("x-nbwss-permission")
            .and_then(Value::as_str)
            .map(str::to_owned);
        assert_eq!(
            permission,
            route.access.describe(),
            "{} {}",
            route.method,
            route.path
        );
        let public = operation["security"] == Value::Array(Vec::new());
        assert_eq!(
            public,
            route.access == Access::Public,
            "{} {}",
            route.method,
            route.path
        );
    }
}

/// Every `$ref` names a schema the document defines.
#[test]
fn every_reference_resolves() {
    let document = document();
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "{reference} is not defined"
        );
    }
}

fn collect_references(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => references.push(target.clone()),
                    _ => collect_references(item, references),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, references)),
        _ => {}
    }
}

/// The served router handles every route in the table, so none gets the
/// router's own 404 or 405.
#[tokio::test]
async fn router_serves_every_route() {
    let service = TestService::start().await;
    for route in ROUTES {
        let path = route
            .path
            .replace("{host}", "nobody.example")
            .replace("{id}", "0000000000000000");
        let (status, body) = service
            .send(route.method.clone(), &path, Some(&service.admin_key), None)
            .await;
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            code != "NOT_FOUND" && code != "METHOD_NOT_ALLOWED",
            "{} {path}: {status} {body}",
            route.method
        );
    }
    service.stop().await;
}

/// An unknown path and a wrong method get the API's error shape.
#[tokio::test]
async fn unknown_route_gets_json_error() {
    let service = TestService::start().await;
    let (status, body) = service.get("/api/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND", "{body}");
    let (status, body) = service
        .send(
            Method::PATCH,
            "/api/v1/servers",
            Some(&service.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED", "{body}");
    service.stop().await;
}

/// The served document is the same as the built one.
#[tokio::test]
async fn serves_document() {
    let service = TestService::start().await;
    let (status, body) = service
        .send(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, document());
    service.stop().await;
}
