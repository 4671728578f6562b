//! The nbwss service: it dials out to registered cloud endpoints, relays
//! their COMMANDs to the backup server's REST API, and pushes notifications.
//!
//! - [`config`]: `nbwss.properties` and flags, validated at start.
//! - [`registry`]: registered endpoints and their live connection state.
//! - [`connection`]: the connection manager and the per-connection session.
//! - [`relay`]: COMMAND checks and the pooled HTTPS client to the REST API.
//! - [`admin`]: the admin HTTP API on `admin.listen`.
//! - [`shutdown`]: the stop signal every task watches.
//! - [`service`]: starts all of the above; [`logging`] sets up log files.
//!
//! The wire format lives in `nbwss-protocol`, TLS and dialing in
//! `nbwss-tls`, and persistence in `nbwss-store`.

#![warn(missing_docs)]

pub mod admin;
pub mod config;
pub mod connection;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod ratelimit;
pub mod registry;
pub mod relay;
pub mod service;
pub mod shutdown;

pub use service::{Service, ServiceOptions, StartError};
