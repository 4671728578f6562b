//! `nbwss endpoint`: runs the reference endpoint server that backup servers
//! dial into, with its HTTP API for the cloud application. The server
//! itself lives in `nbwss_endpoint::reference`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use nbwss_endpoint::reference::{
    DEFAULT_API_LISTEN, DEFAULT_WSS_LISTEN, ReferenceOptions, RunningReference, TlsSource,
    run_reference_server,
};

/// Arguments of `nbwss endpoint`.
#[derive(Debug, Clone, clap::Args)]
pub struct EndpointArgs {
    /// File of accepted CONNECT tokens, one per line; `#` starts a comment.
    #[arg(long)]
    pub tokens_file: PathBuf,
    /// Address of the wss:// listener for backup servers.
    #[arg(long, default_value_t = DEFAULT_WSS_LISTEN)]
    pub listen: SocketAddr,
    /// Address of the plain HTTP API for the cloud application; keep it on
    /// loopback.
    #[arg(long, default_value_t = DEFAULT_API_LISTEN)]
    pub api_listen: SocketAddr,
    /// TLS certificate chain (PEM); a self-signed one is generated when
    /// absent.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Host name or IP that backup servers use to reach this endpoint.
    #[arg(long, default_value = "localhost")]
    pub public_host: String,
    /// groupId written to the details file.
    #[arg(long, default_value = "default")]
    pub group_id: String,
    /// priority written to the details file; lower is tried first.
    #[arg(long, default_value_t = 0)]
    pub priority: u32,
    /// Write the endpoint details JSON here, for `nbwss servers add --file`.
    #[arg(long)]
    pub details_out: Option<PathBuf>,
    /// Largest message accepted from a backup server, in bytes. The default
    /// holds a 64 MiB response body (the service's command.maxResponseBytes)
    /// after base64 and JSON escaping.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
}

/// 96 MiB: a 64 MiB body grows by a third as base64.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 96 * 1024 * 1024;

impl EndpointArgs {
    /// The library's options for these arguments.
    pub fn options(&self) -> ReferenceOptions {
        let mut options = ReferenceOptions::new(self.tokens_file.clone());
        options.wss_listen = self.listen;
        options.api_listen = self.api_listen;
        options.public_host = self.public_host.clone();
        options.group_id = self.group_id.clone();
        options.priority = self.priority;
        options.details_file = self.details_out.clone();
        options.endpoint.max_inbound_message_bytes = self.max_message_bytes;
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            options.tls = TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            };
        } else {
            let mut names = vec![self.public_host.clone()];
            for name in ["localhost".to_owned(), self.listen.ip().to_string()] {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            options.tls = TlsSource::Generate { names };
        }
        options
    }
}

/// Starts the reference server.
pub async fn start(args: &EndpointArgs) -> anyhow::Result<RunningReference> {
    nbwss_tls::install_default_provider();
    run_reference_server(args.options())
        .await
        .context("failed to start the reference endpoint server")
}

/// Runs the reference server until Ctrl-C.
pub async fn run(args: EndpointArgs) -> anyhow::Result<()> {
    let server = start(&args).await?;
    let details = server.details();
    println!("Reference endpoint listening");
    println!("  backup servers connect to: {}", details.url);
    println!("  certificate SHA-256:       {}", server.fingerprint());
    println!(
        "  HTTP API:                  http://{}/api/v1/servers",
        server.api_addr()
    );
    println!(
        "  notification stream:       http://{}/api/v1/notifications/stream",
        server.api_addr()
    );
    if let Some(path) = &args.details_out {
        println!(
            "  endpoint details written:  {} (nbwss servers add --file {0})",
            path.display()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("failed to watch Ctrl-C")?;
    server.shutdown().await;
    Ok(())
}
