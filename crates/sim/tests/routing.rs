//! Routing, media types and the HTTPS server itself.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{API_KEY, WAIT_LIMIT, config, start};
use nbwss_sim::Simulator;
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// An unknown path gets a JSON 404 with code 9200, even without a token.
#[tokio::test]
async fn unknown_route_is_json_404() {
    let server = start(config()).await;
    let reply = server
        .send(Method::GET, "/netbackup/nothing", None, None)
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json["errorCode"], 9200);
    assert_eq!(
        reply.json["errorMessage"],
        "no resource at '/netbackup/nothing'"
    );
    assert_eq!(
        reply.content_type,
        "application/vnd.netbackup+json;version=8.0"
    );
}

/// A known path with the wrong method gets a JSON 405 with code 9201.
#[tokio::test]
async fn wrong_method_is_json_405() {
    let server = start(config()).await;
    let reply = server
        .send(Method::DELETE, "/netbackup/admin/jobs", Some(API_KEY), None)
        .await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.json["errorCode"], 9201);
    assert_eq!(
        reply.json["errorMessage"],
        "method DELETE is not allowed on '/netbackup/admin/jobs'"
    );
}

/// The version in the request's `Accept` is echoed in the response.
#[tokio::test]
async fn echoes_requested_version() {
    let server = start(config()).await;
    let response = server
        .client
        .get(format!("{}/netbackup/admin/jobs", server.base))
        .header("Authorization", API_KEY)
        .header("Accept", "application/vnd.netbackup+json;version=9.1")
        .send()
        .await
        .expect("request completes");
    let reply = common::read_reply(response).await;
    assert_eq!(
        reply.content_type,
        "application/vnd.netbackup+json;version=9.1"
    );
}

/// A plain `application/json` request gets the default version.
#[tokio::test]
async fn plain_json_gets_default_version() {
    let server = start(config()).await;
    let response = server
        .client
        .get(format!("{}/netbackup/admin/jobs", server.base))
        .header("Authorization", API_KEY)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("request completes");
    let reply = common::read_reply(response).await;
    assert_eq!(
        reply.content_type,
        "application/vnd.netbackup+json;version=8.0"
    );
}

/// A malformed version is a 406 naming it.
#[tokio::test]
async fn rejects_malformed_version() {
    let server = start(config()).await;
    let response = server
        .client
        .get(format!("{}/netbackup/admin/jobs", server.base))
        .header("Authorization", API_KEY)
        .header("Accept", "application/vnd.netbackup+json;version=latest")
        .send()
        .await
        .expect("request completes");
    let reply = common::read_reply(response).await;
    assert_eq!(reply.status, 406);
    assert_eq!(
        reply.json["errorMessage"],
        "unsupported API version 'latest'; expected a version such as 8.0"
    );
}

/// A client that fails the TLS handshake does not stop the server.
#[tokio::test]
async fn failed_handshake_leaves_server_running() {
    let server = start(config()).await;
    let address = server.base.trim_start_matches("https://");
    let mut plain = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buffer = Vec::new();
    // The server closes the connection after the failed handshake.
    tokio::time::timeout(WAIT_LIMIT, plain.read_to_end(&mut buffer))
        .await
        .expect("server closes the connection")
        .ok();
    let reply = server.get("/netbackup/admin/jobs").await;
    assert_eq!(reply.status, 200);
}

/// `serve` returns once shutdown is signalled, even with a client connected.
#[tokio::test]
async fn serve_returns_on_shutdown() {
    let server = start(config()).await;
    let reply = server.get("/netbackup/admin/jobs").await;
    assert_eq!(reply.status, 200);
    server.stop().await;
}

/// `run` advances the clock from real time until shutdown.
#[tokio::test]
async fn run_moves_clock_with_real_time() {
    let sim = Arc::new(Simulator::new(config()).expect("config"));
    let before = sim.now();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let task = tokio::spawn(Arc::clone(&sim).run(listener, common::server_tls(), shutdown));
    // Polls with a deadline, because the clock driver has no event to await.
    let deadline = Instant::now() + WAIT_LIMIT;
    while sim.now() == before {
        assert!(Instant::now() < deadline, "clock did not move");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    tokio::time::timeout(WAIT_LIMIT, task)
        .await
        .expect("run returns after shutdown")
        .expect("run does not panic");
}
