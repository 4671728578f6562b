//! COMMAND calls through a [`BackupServer`] handle against a test client
//! playing the service.

mod common;

use std::time::Duration;

use common::{start, within};
use nbwss_endpoint::{CallError, EndpointConfig};
use nbwss_protocol::{CommandRequest, Method};
use serde_json::json;

fn jobs_request() -> CommandRequest {
    CommandRequest::new(Method::Get, "/netbackup/admin/jobs")
}

/// A response is delivered to the call whose id it carries.
#[tokio::test]
async fn call_returns_matching_response() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let call = tokio::spawn(async move { server.call(jobs_request()).await });
    let (id, request) = client.recv_command().await;
    assert_eq!(request.uri, "/netbackup/admin/jobs");
    assert_eq!(request.method, Method::Get);
    client.respond(&id, 200, r#"{"data":[]}"#).await;
    let response = within(call).await.unwrap().unwrap();
    assert_eq!(response.status_code, 200);
    assert_eq!(response.body.as_deref(), Some(r#"{"data":[]}"#));
}

/// Request ids are upper-case UUIDs.
#[tokio::test]
async fn request_id_is_upper_case_uuid() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let _call = tokio::spawn(async move { server.call(jobs_request()).await });
    let (id, _) = client.recv_command().await;
    assert_eq!(id, id.to_uppercase());
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
}

/// Concurrent calls whose responses come in reverse order each get their
/// own response.
#[tokio::test]
async fn concurrent_calls_answered_out_of_order() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let calls: Vec<_> = (0..5)
        .map(|index| {
            let server = server.clone();
            let request = CommandRequest::new(Method::Get, format!("/netbackup/item/{index}"));
            tokio::spawn(async move { server.call(request).await })
        })
        .collect();
    let mut received = Vec::new();
    for _ in 0..5 {
        received.push(client.recv_command().await);
    }
    for (id, request) in received.iter().rev() {
        client.respond(id, 200, &request.uri).await;
    }
    for (index, call) in calls.into_iter().enumerate() {
        let response = within(call).await.unwrap().unwrap();
        assert_eq!(
            response.body.as_deref(),
            Some(format!("/netbackup/item/{index}").as_str())
        );
    }
}

/// A call on a connection that has ended fails at once.
#[tokio::test]
async fn call_on_closed_connection_fails_fast() {
    let mut test = start(EndpointConfig::default()).await;
    let (client, server) = test.connect().await;
    drop(client);
    test.next_disconnected().await;
    assert!(!server.is_connected());
    let result = within(server.call(jobs_request())).await;
    assert_eq!(result, Err(CallError::ConnectionClosed));
}

/// A call waiting for its response fails when the connection drops.
#[tokio::test]
async fn waiting_call_fails_when_connection_drops() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let call = tokio::spawn({
        let server = server.clone();
        async move { server.call(jobs_request()).await }
    });
    client.recv_command().await;
    drop(client);
    let result = within(call).await.unwrap();
    assert_eq!(result, Err(CallError::ConnectionClosed));
    assert_eq!(server.pending_calls(), 0);
}

/// A call without a response times out and removes its id.
#[tokio::test]
async fn call_times_out() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let timeout = Duration::from_millis(200);
    let call = tokio::spawn({
        let server = server.clone();
        async move { server.call_with_timeout(jobs_request(), timeout).await }
    });
    client.recv_command().await;
    let result = within(call).await.unwrap();
    assert_eq!(result, Err(CallError::TimedOut { timeout }));
    assert_eq!(server.pending_calls(), 0);
}

/// Dropping a call future removes its id; a late response is ignored and
/// the connection keeps working.
#[tokio::test]
async fn dropped_call_forgets_pending_id() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let call = tokio::spawn({
        let server = server.clone();
        async move { server.call(jobs_request()).await }
    });
    let (late_id, _) = client.recv_command().await;
    assert_eq!(server.pending_calls(), 1);
    call.abort();
    assert!(within(call).await.unwrap_err().is_cancelled());
    assert_eq!(server.pending_calls(), 0);

    client.respond(&late_id, 200, "late").await;
    let next = tokio::spawn({
        let server = server.clone();
        async move { server.call(jobs_request()).await }
    });
    let (id, _) = client.recv_command().await;
    client.respond(&id, 201, "fresh").await;
    let response = within(next).await.unwrap().unwrap();
    assert_eq!(response.body.as_deref(), Some("fresh"));
}

/// A COMMAND RESPONSE that breaks the protocol fails the call it names.
#[tokio::test]
async fn invalid_response_fails_call() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let call = tokio::spawn(async move { server.call(jobs_request()).await });
    let (id, _) = client.recv_command().await;
    let invalid = json!({
        "version": "1.0", "id": id, "type": "COMMAND", "subType": "RESPONSE",
        "timeStamp": 0, "payload": {"statusCode": "two hundred"}
    });
    client.send_text(invalid.to_string()).await;
    let result = within(call).await.unwrap();
    assert!(
        matches!(result, Err(CallError::InvalidResponse { .. })),
        "{result:?}"
    );
}

/// A base64 body passes through untouched.
#[tokio::test]
async fn base64_body_passes_through() {
    let mut test = start(EndpointConfig::default()).await;
    let (mut client, server) = test.connect().await;
    let call = tokio::spawn(async move { server.call(jobs_request()).await });
    let (id, _) = client.recv_command().await;
    let response = nbwss_protocol::CommandResponse::from_bytes(
        200,
        Default::default(),
        vec![0xff, 0x00, 0xfe],
    );
    client
        .send(&nbwss_protocol::Message::new(
            id,
            nbwss_protocol::Body::CommandResponse(response),
        ))
        .await;
    let response = within(call).await.unwrap().unwrap();
    assert!(response.body_base64);
    assert_eq!(response.body_bytes().unwrap(), vec![0xff, 0x00, 0xfe]);
}
