//! The child side of the scale test: an endpoint server from the endpoint
//! library, alone in its process so that its resident memory can be read
//! from `/proc/<pid>/status` without the load generator in it.
//!
//! It talks to the parent over stdin and stdout, one JSON object a line.
//! First it writes [`Hello`]. Then for each `count` line it receives it
//! writes [`Count`]. When stdin closes it shuts down and exits.

use std::collections::HashSet;

use anyhow::Context;
use nbwss_endpoint::{EndpointConfig, EndpointServer};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The CONNECT token the child's endpoint accepts.
pub const TOKEN: &str = "scale-token";

/// The request path of the child's WebSocket.
pub const WS_PATH: &str = "/nbwss";

/// The request line for [`Count`].
pub const COUNT_REQUEST: &str = "count";

/// The child's first line: where to connect and which certificate to pin.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hello {
    /// The port on 127.0.0.1.
    pub port: u16,
    /// SHA-256 fingerprint of the server certificate.
    pub fingerprint: String,
}

/// The child's response to a `count` line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Count {
    /// Backup servers connected now.
    pub connections: usize,
}

/// Runs the child until its stdin closes.
pub async fn run() -> anyhow::Result<()> {
    let cert = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()])?;
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem)?;
    let tokens: HashSet<String> = [TOKEN.to_owned()].into();
    let config = EndpointConfig {
        path: Some(WS_PATH.to_owned()),
        ..EndpointConfig::default()
    };
    let server = EndpointServer::bind("127.0.0.1:0".parse()?, tls, tokens, config)
        .await
        .context("failed to bind the scale endpoint server")?;
    let hello = Hello {
        port: server.local_addr().port(),
        fingerprint: cert.fingerprint.to_string(),
    };
    let mut stdout = tokio::io::stdout();
    write_line(&mut stdout, &serde_json::to_string(&hello)?).await?;

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim() == COUNT_REQUEST {
            let count = Count {
                connections: server.connections().len(),
            };
            write_line(&mut stdout, &serde_json::to_string(&count)?).await?;
        }
    }
    server.shutdown().await;
    Ok(())
}

async fn write_line(stdout: &mut tokio::io::Stdout, line: &str) -> anyhow::Result<()> {
    stdout.write_all(line.as_bytes()).await?;
    stdout.write_all(b"\n").await?;
    stdout.flush().await?;
    Ok(())
}
