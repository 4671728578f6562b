//! A NetBackup REST API simulator for developing and testing against nbwss
//! without a real backup server.
//!
//! It serves, over HTTPS, the parts of the NetBackup REST API that nbwss
//! uses: login and API-key authentication, the jobs list with filtering,
//! sorting and paging, a job by id, the catalog images list, and VM server
//! credentials as a small writable resource. Jobs are created every
//! [`SimConfig::job_interval`] and move QUEUED, ACTIVE, DONE with a seeded,
//! mostly successful mix of exit statuses, and successful backups add
//! catalog images.
//!
//! The caller binds the listener and builds the TLS configuration (this
//! crate makes no certificates), then calls [`Simulator::run`]. Tests call
//! [`Simulator::serve`] instead and step the clock with
//! [`Simulator::advance_by`].
//!
//! ```no_run
//! # async fn example(tls: std::sync::Arc<rustls::ServerConfig>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use nbwss_sim::{SimConfig, Simulator};
//!
//! let config = SimConfig {
//!     username: "admin".into(),
//!     password: "change-me".into(),
//!     ..SimConfig::default()
//! };
//! let sim = Arc::new(Simulator::new(config)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:1556").await?;
//! sim.run(listener, tls, async { let _ = tokio::signal::ctrl_c().await; }).await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod api;
mod catalog;
mod clock;
mod config;
mod filter;
mod image;
mod job;
mod server;
mod simulator;
mod state;
mod timefmt;
mod token;
mod vmserver;

pub use clock::CLOCK_PERIOD;
pub use config::{ConfigError, MAX_PERIOD, MAX_RETAINED, MIN_PERIOD, SimConfig};
pub use server::{DRAIN_TIMEOUT, HANDSHAKE_TIMEOUT, HEADER_READ_TIMEOUT};
pub use simulator::Simulator;
