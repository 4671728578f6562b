//! TLS and dialing toolkit shared by the nbwss service, the endpoint server,
//! the simulator and the command line.
//!
//! - [`provider`]: installs rustls' `ring` crypto provider.
//! - [`fingerprint`]: SHA-256 certificate fingerprints in the openssl format.
//! - [`certs`]: certificate generation, PEM loading and server configs.
//! - [`client`]: root stores, client configs (WebPKI or pinned) and connect.
//! - [`report`]: the Validate report on a server's certificate chain.
//! - [`proxy`]: direct or HTTP CONNECT proxy dialing with `NO_PROXY` rules.
//!
//! Every config built here uses the `ring` provider explicitly, so nothing
//! depends on a process default. What to trust, which fingerprint to pin
//! and when to dial are decisions for the callers.

#![warn(missing_docs)]

pub mod certs;
pub mod client;
pub mod fingerprint;
pub mod provider;
pub mod proxy;
pub mod report;
mod timefmt;

pub use certs::{
    CertAuthority, CertError, GeneratedCert, generate_ca, generate_self_signed, load_certs,
    load_key, server_config, server_config_from_files, server_config_from_files_with_alpn,
    server_config_with_alpn,
};
pub use client::{ConnectError, RootsError, client_config, connect, root_store};
pub use fingerprint::{Fingerprint, FingerprintError};
pub use provider::install_default_provider;
pub use proxy::{DialError, NoProxy, ProxyConfig, ProxyError, ProxySettings, dial};
pub use report::{CertInfo, ChainReport, InspectError, Problem, inspect};
