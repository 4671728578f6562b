//! The admin API client shared by `servers`, `status`, `reload`, `keys`
//! and `secrets`.
//!
//! The address comes from `--admin-url`, else from `<data-dir>/admin.addr`
//! (written by the running service), else from `admin.listen` in
//! `<config-dir>/nbwss.properties`. The key comes from `--api-key` or
//! `NBWSS_API_KEY`, else from `<data-dir>/admin.key`. The key is sent as a
//! bearer token and never printed. Formatting results is left to
//! `output.rs`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use nbwss_service::admin::{ADMIN_KEY_FILE, ErrorBody};
use nbwss_service::config::{Config, ConfigError};
use nbwss_service::service::ADMIN_ADDR_FILE;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Time allowed for one admin request; validation dials the endpoints, and
/// each dial and handshake has its own 30 s bound in the service.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The admin API address and credentials, shared by every admin
/// subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Folder with nbwss.properties, read for admin.listen.
    #[arg(
        long,
        env = "NBWSS_CONFIG_DIR",
        default_value = "/etc/nbwss",
        global = true
    )]
    pub config_dir: PathBuf,
    /// Folder with admin.key and admin.addr of the running service.
    #[arg(
        long,
        env = "NBWSS_DATA_DIR",
        default_value = "/var/lib/nbwss",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Admin API base URL, such as http://127.0.0.1:7450.
    #[arg(long, env = "NBWSS_ADMIN_URL", value_name = "URL", global = true)]
    pub admin_url: Option<String>,
    /// API key to use instead of the data folder's admin.key.
    #[arg(
        long,
        env = "NBWSS_API_KEY",
        value_name = "KEY",
        hide_env_values = true,
        global = true
    )]
    pub api_key: Option<String>,
    /// Print JSON for scripts instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,
}

/// An admin request that failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens at the address.
    #[error(
        "the nbwss service is not running at {url}: start it with \
         `nbwss serve --config-dir {} --data-dir {}`",
        config_dir.display(),
        data_dir.display()
    )]
    NotRunning {
        /// The admin API URL tried.
        url: String,
        /// The configuration folder to suggest.
        config_dir: PathBuf,
        /// The data folder to suggest.
        data_dir: PathBuf,
    },
    /// The admin key file could not be read.
    #[error(
        "failed to read the admin key {} (pass the running service's --data-dir, or --api-key)",
        path.display()
    )]
    AdminKey {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// `nbwss.properties` is invalid, so admin.listen is unknown.
    #[error("failed to find the admin API address: pass --admin-url")]
    Config(#[source] ConfigError),
    /// The admin API responded with an error.
    #[error("{message}")]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The error code, such as `DUPLICATE_HOST`.
        code: String,
        /// The error message.
        message: String,
        /// The error's data to act on, for some codes.
        details: Option<Value>,
    },
    /// The request failed on the way.
    #[error("admin request to {url} failed")]
    Http {
        /// The admin API URL.
        url: String,
        /// The reqwest error.
        #[source]
        source: reqwest::Error,
    },
    /// The response is not the JSON expected.
    #[error("invalid response from the admin API (status {status})")]
    InvalidResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}

impl ClientError {
    /// Returns the API error body as JSON, for `--json` output.
    pub fn as_json(&self) -> Option<Value> {
        match self {
            ClientError::Api {
                code,
                message,
                details,
                ..
            } => Some(serde_json::json!({
                "error": {"code": code, "message": message, "details": details},
            })),
            _ => None,
        }
    }
}

/// A client for one admin API.
pub struct AdminClient {
    base: String,
    key: String,
    http: reqwest::Client,
    args: ClientArgs,
}

impl AdminClient {
    /// Finds the address and the key.
    pub fn new(args: &ClientArgs) -> Result<AdminClient, ClientError> {
        let base = base_url(args)?;
        let key = match &args.api_key {
            Some(key) => key.trim().to_owned(),
            None => read_admin_key(args)?,
        };
        // reqwest needs a process-wide rustls provider even for http://.
        nbwss_tls::install_default_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|source| ClientError::Http {
                url: base.clone(),
                source,
            })?;
        Ok(AdminClient {
            base,
            key,
            http,
            args: args.clone(),
        })
    }

    /// Sends a request with an optional JSON body and decodes the response.
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ClientError> {
        self.send_text(method, path, body.map(Value::to_string))
            .await
    }

    /// Sends a request whose body is `text` as it is, such as a details
    /// file, and decodes the response.
    pub async fn send_text<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        text: Option<String>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(&self.key);
        if let Some(text) = text {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(text);
        }
        let response = request.send().await.map_err(|source| self.failed(source))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| self.failed(source))?;
        if !status.is_success() {
            return Err(api_error(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|source| ClientError::InvalidResponse { status, source })
    }

    fn failed(&self, source: reqwest::Error) -> ClientError {
        if source.is_connect() {
            return ClientError::NotRunning {
                url: self.base.clone(),
                config_dir: self.args.config_dir.clone(),
                data_dir: self.args.data_dir.clone(),
            };
        }
        ClientError::Http {
            url: self.base.clone(),
            source: source.without_url(),
        }
    }
}

fn api_error(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ClientError::Api {
            status,
            code: body.error.code,
            message: body.error.message,
            details: body.error.details,
        },
        Err(_) => ClientError::Api {
            status,
            code: String::new(),
            message: format!(
                "the admin API responded with status {status}: {}",
                String::from_utf8_lossy(bytes).trim()
            ),
            details: None,
        },
    }
}

fn base_url(args: &ClientArgs) -> Result<String, ClientError> {
    if let Some(url) = &args.admin_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let written = std::fs::read_to_string(args.data_dir.join(ADMIN_ADDR_FILE))
        .ok()
        .and_then(|text| text.trim().parse::<SocketAddr>().ok());
    let addr = match written {
        Some(addr) => addr,
        None => {
            Config::load(&args.config_dir, &[])
                .map_err(ClientError::Config)?
                .admin_listen
        }
    };
    Ok(format!("http://{}", reachable(addr)))
}

/// Replaces a wildcard listen address with the loopback address of the
/// same family, which reaches it.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

fn read_admin_key(args: &ClientArgs) -> Result<String, ClientError> {
    let path = args.data_dir.join(ADMIN_KEY_FILE);
    std::fs::read_to_string(&path)
        .map(|text| text.trim().to_owned())
        .map_err(|source| ClientError::AdminKey { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wildcard IPv4 listen address is reached on 127.0.0.1.
    #[test]
    fn reachable_maps_wildcard_to_loopback() {
        let addr: SocketAddr = "0.0.0.0:7450".parse().unwrap();
        assert_eq!(reachable(addr).to_string(), "127.0.0.1:7450");
    }

    /// A specific address is kept.
    #[test]
    fn reachable_keeps_specific_address() {
        let addr: SocketAddr = "[::1]:7450".parse().unwrap();
        assert_eq!(reachable(addr).to_string(), "[::1]:7450");
    }
}
