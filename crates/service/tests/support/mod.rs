//! Shared helpers for the connection tests, all on 127.0.0.1 with port 0:
//!
//! - [`harness`]: a service on a temporary data directory, waits on its
//!   live state, and checks of service-generated error responses.
//! - [`peer`]: a TLS WebSocket endpoint that tests drive by hand, so it can
//!   misbehave.
//! - [`upstream`]: an HTTPS REST API stand-in with echo, slow and large
//!   handlers.
//! - [`proxy`]: an HTTP CONNECT proxy with optional Basic credentials.
//!
//! Every test binary uses only part of this module, so unused items are
//! allowed here. What to assert is left to the tests.

#![allow(dead_code)]

pub mod harness;
pub mod peer;
pub mod proxy;
pub mod upstream;

use std::time::Duration;

/// Upper bound on any single wait; never reached when the code works.
pub const WAIT: Duration = Duration::from_secs(30);

/// Interval of the poll loops that wait for a state.
pub const POLL: Duration = Duration::from_millis(20);
