//! VM server credentials: create, get, list, conflict and delete, over HTTPS.

mod common;

use common::{API_KEY, TestServer, config, data, start};
use reqwest::Method;
use serde_json::{Value, json};

const VM_SERVERS: &str = "/netbackup/config/servers/vmservers";

fn vm_server(name: &str) -> Value {
    json!({"vmServer": {
        "serverName": name,
        "vmType": "VMWARE_VIRTUAL_CENTER_SERVER",
        "userId": "administrator@vsphere.local",
        "password": "vc-secret-password",
        "port": 443,
    }})
}

async fn create(server: &TestServer, body: &Value) -> common::Reply {
    server
        .send(Method::POST, VM_SERVERS, Some(API_KEY), Some(body))
        .await
}

/// Creating a VM server returns 201 with the resource and no password.
#[tokio::test]
async fn create_returns_resource_without_password() {
    let server = start(config()).await;
    let reply = create(&server, &vm_server("vc1.example.com")).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["data"]["id"], "vc1.example.com");
    let attributes = &reply.json["data"]["attributes"]["vmServer"];
    assert_eq!(attributes["serverName"], "vc1.example.com");
    assert_eq!(attributes["vmType"], "VMWARE_VIRTUAL_CENTER_SERVER");
    assert!(!reply.text.contains("vc-secret-password"), "{}", reply.text);
    assert!(!reply.text.contains("password"), "{}", reply.text);
    assert_eq!(
        reply.location.as_deref(),
        Some("/netbackup/config/servers/vmservers/vc1.example.com")
    );
}

/// A created VM server can be fetched by name, in any letter case.
#[tokio::test]
async fn created_server_can_be_fetched() {
    let server = start(config()).await;
    create(&server, &vm_server("vc1.example.com")).await;
    let document = server
        .get_ok(&format!("{VM_SERVERS}/VC1.example.com"))
        .await;
    assert_eq!(
        document["data"]["attributes"]["vmServer"]["userId"],
        "administrator@vsphere.local"
    );
}

/// The list contains every created VM server, sorted by name.
#[tokio::test]
async fn list_holds_created_servers() {
    let server = start(config()).await;
    for name in ["vc2.example.com", "vc1.example.com"] {
        let reply = create(&server, &vm_server(name)).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let document = server.get_ok(VM_SERVERS).await;
    let ids: Vec<&Value> = data(&document).iter().map(|item| &item["id"]).collect();
    assert_eq!(ids, [&json!("vc1.example.com"), &json!("vc2.example.com")]);
    assert_eq!(document["meta"]["pagination"]["count"], 2);
}

/// Creating a name that exists returns 409 with code 9101.
#[tokio::test]
async fn duplicate_name_conflicts() {
    let server = start(config()).await;
    create(&server, &vm_server("vc1.example.com")).await;
    let reply = create(&server, &vm_server("vc1.example.com")).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.json["errorCode"], 9101);
    assert_eq!(
        reply.json["errorMessage"],
        "VM server 'vc1.example.com' already exists"
    );
}

/// Deleting returns 204, after which the server is not found.
#[tokio::test]
async fn delete_removes_server() {
    let server = start(config()).await;
    create(&server, &vm_server("vc1.example.com")).await;
    let path = format!("{VM_SERVERS}/vc1.example.com");
    let deleted = server
        .send(Method::DELETE, &path, Some(API_KEY), None)
        .await;
    assert_eq!(deleted.status, 204);
    let fetched = server.get(&path).await;
    assert_eq!(fetched.status, 404);
    let again = server
        .send(Method::DELETE, &path, Some(API_KEY), None)
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(
        again.json["errorMessage"],
        "VM server 'vc1.example.com' not found"
    );
}

/// A body missing a required field is a 400 that names the field.
#[tokio::test]
async fn rejects_missing_field() {
    let server = start(config()).await;
    let body = json!({"vmServer": {"serverName": "vc1", "userId": "u", "password": "p"}});
    let reply = create(&server, &body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["errorCode"], 9002);
    let message = reply.json["errorMessage"].as_str().expect("message");
    assert!(message.contains("vmType"), "{message}");
}

/// An unknown VM type is a 400 that lists the accepted types.
#[tokio::test]
async fn rejects_unknown_vm_type() {
    let server = start(config()).await;
    let mut body = vm_server("vc1.example.com");
    body["vmServer"]["vmType"] = json!("XEN");
    let reply = create(&server, &body).await;
    assert_eq!(reply.status, 400);
    let message = reply.json["errorMessage"].as_str().expect("message");
    assert!(message.contains("'XEN'"), "{message}");
    assert!(message.contains("VMWARE_ESX_SERVER"), "{message}");
}

/// A body that is not JSON is a 400.
#[tokio::test]
async fn rejects_malformed_json() {
    let server = start(config()).await;
    let reply = server
        .client
        .post(format!("{}{VM_SERVERS}", server.base))
        .header("Authorization", API_KEY)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request completes");
    let reply = common::read_reply(reply).await;
    assert_eq!(reply.status, 400);
    let message = reply.json["errorMessage"].as_str().expect("message");
    assert!(message.starts_with("invalid request body: "), "{message}");
}

/// A body sent as `text/plain` is a 415.
#[tokio::test]
async fn rejects_plain_text_content_type() {
    let server = start(config()).await;
    let reply = server
        .client
        .post(format!("{}{VM_SERVERS}", server.base))
        .header("Authorization", API_KEY)
        .header("Content-Type", "text/plain")
        .body(vm_server("vc1").to_string())
        .send()
        .await
        .expect("request completes");
    let reply = common::read_reply(reply).await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.json["errorCode"], 9202);
}
