//! The audit events of the command relay, tested in a binary of their own.
//!
//! The test installs a thread-local subscriber, but tracing caches whether a
//! callsite is enabled for the whole process. A callsite first reached by a
//! test running in parallel could then be cached as disabled.

mod relay_upstream;

use std::io::Write;
use std::sync::{Arc, Mutex};

use nbwss_protocol::Method;
use nbwss_service::relay::Relay;
use serde_json::Value;

use relay_upstream::{Event, call, context, request, settings, start_upstream};

/// Shared buffer the audit test's subscriber writes JSON lines into.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("lock not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn audit_events(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("lock not poisoned").clone();
        String::from_utf8(bytes)
            .expect("log output is UTF-8")
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).expect("log line is JSON"))
            .filter(|event| event["target"] == "nbwss::audit")
            .collect()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock not poisoned")).into_owned()
    }
}

/// Each call, relayed, rejected or cancelled, writes one audit event with
/// its fields, and no log line contains a header value, a body or a query.
#[tokio::test(flavor = "current_thread")]
async fn audit_records_each_call_without_header_values() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut upstream = start_upstream().await;
    let relay = Relay::new(settings(&upstream)).expect("relay builds");
    let mut post = request(
        Method::Post,
        "/netbackup/echo?filter=secret-query",
        &[("Authorization", "Bearer secret-token")],
    );
    post.parameters = Some("secret-body".to_owned());
    let relayed = call(&relay, post).await;
    assert_eq!(relayed.status_code, 200);
    let rejected = call(&relay, request(Method::Get, "/admin/jobs", &[])).await;
    assert_eq!(rejected.status_code, 403);
    let cancelled = {
        let relay = relay.clone();
        tokio::spawn(async move {
            let hang = request(Method::Get, "/netbackup/hang", &[]);
            relay.relay(hang, &context()).await
        })
    };
    assert_eq!(upstream.next_event().await, Event::HangStarted);
    cancelled.abort();
    // The upstream handler is dropped only after the relay future closed
    // its connection, so the cancelled event has been written by now.
    assert_eq!(upstream.next_event().await, Event::HangDropped);

    let events = captured.audit_events();
    assert_eq!(events.len(), 3, "{events:?}");
    let fields = &events[0]["fields"];
    assert_eq!(fields["endpoint"], "cloud.example");
    assert_eq!(fields["conn_id"], 7);
    assert_eq!(fields["msg_id"], context().msg_id);
    assert_eq!(fields["method"], "POST");
    assert_eq!(fields["path"], "/netbackup/echo");
    assert_eq!(fields["status"], 200);
    assert!(fields["duration_ms"].is_u64(), "{fields}");
    assert_eq!(fields["request_bytes"], "secret-body".len());
    assert!(fields["response_bytes"].as_u64() > Some(0), "{fields}");
    assert!(fields.get("error_code").is_none(), "{fields}");
    let rejected_fields = &events[1]["fields"];
    assert_eq!(rejected_fields["status"], 403);
    assert_eq!(rejected_fields["error_code"], "URI_REJECTED");
    let cancelled_fields = &events[2]["fields"];
    assert_eq!(cancelled_fields["message"], "command cancelled");
    assert_eq!(cancelled_fields["path"], "/netbackup/hang");
    let text = captured.text();
    assert!(!text.contains("secret-token"), "Authorization value logged");
    assert!(!text.contains("secret-body"), "request body logged");
    assert!(!text.contains("secret-query"), "query string logged");
}
