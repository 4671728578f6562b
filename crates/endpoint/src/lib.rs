//! The cloud side of NBWSS: a WebSocket server that backup servers dial
//! into, and a reference endpoint server built on it.
//!
//! A backup server's service connects over `wss://`, sends a CONNECT REQUEST
//! with a token, and, once the [`TokenValidator`] accepts it, appears to the
//! application as a [`BackupServer`] handle. Through the handle the
//! application makes COMMAND calls, which the service relays to the backup
//! server's REST API. The service pushes NOTIFICATION REQUESTs, which the
//! application takes from [`Notifications`] and acknowledges with
//! [`ReceivedNotification::ack`] once handled. Resends of an acknowledged id
//! are acknowledged again without reaching the application.
//!
//! Limits: one [`EndpointServer`] serves one TLS certificate on one address,
//! and duplicate notification ids are recognised per connection only.
//! Scaling out over several machines is left to the application.
//!
//! ```no_run
//! use std::collections::HashSet;
//! use std::sync::Arc;
//!
//! use nbwss_endpoint::{EndpointConfig, EndpointServer, Event};
//! use nbwss_protocol::{CommandRequest, Method};
//!
//! # async fn example(tls: Arc<rustls::ServerConfig>) -> Result<(), Box<dyn std::error::Error>> {
//! let tokens: HashSet<String> = ["secret-token".to_owned()].into();
//! let config = EndpointConfig {
//!     path: Some("/nbwss".to_owned()),
//!     ..EndpointConfig::default()
//! };
//! let server = EndpointServer::bind("0.0.0.0:8443".parse()?, tls, tokens, config).await?;
//!
//! // Acknowledge each notification once it is handled.
//! let mut notifications = server.notifications().expect("taken only here");
//! tokio::spawn(async move {
//!     while let Some(notification) = notifications.recv().await {
//!         println!("{} items from {}", notification.items.len(), notification.server.id());
//!         let _ = notification.ack();
//!     }
//! });
//!
//! // Call the REST API of every backup server that connects.
//! let mut events = server.events();
//! while let Ok(event) = events.recv().await {
//!     if let Event::Connected(backup_server) = event {
//!         let request = CommandRequest::new(Method::Get, "/netbackup/admin/jobs");
//!         let response = backup_server.call(request).await?;
//!         println!("status {}", response.status_code);
//!     }
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod closing;
mod config;
mod connection;
mod event;
mod handle;
mod handshake;
mod inbound;
mod notifications;
pub mod reference;
mod server;
mod validator;

pub use config::{DEFAULT_MAX_INBOUND_MESSAGE_BYTES, EndpointConfig};
pub use connection::MAX_MISSED_PONGS;
pub use event::{DisconnectReason, Event};
pub use handle::{BackupServer, CallError};
pub use notifications::{AckError, Notifications, ReceivedNotification};
pub use server::EndpointServer;
pub use validator::TokenValidator;
