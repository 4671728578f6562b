//! nbwss-store: the service's embedded transactional store, built on redb.
//!
//! It keeps endpoint records (tokens encrypted at rest), named secrets, admin
//! API keys (as SHA-256 digests), one durable notification outbox per group,
//! the notification batches in flight, and the job poller's cursor. Every
//! mutation is one redb write transaction with immediate durability, so a
//! `kill -9` at any point leaves the store consistent.
//!
//! This crate does no networking and validates no endpoint details. Deciding
//! what to send, when to retry and who may call what is the service's job.
//! It runs on Unix only, because it relies on file modes.
//!
//! Start with [`Store::open`].

#![warn(missing_docs)]

mod api_keys;
mod batch;
mod cipher;
mod endpoints;
mod error;
mod fsutil;
mod keyfile;
mod outbox;
mod permissions;
mod poller;
mod secret;
mod secrets;
mod store;
mod tables;

pub use api_keys::{ADMIN_KEY_NAME, AdminKey, ApiKeyRecord};
pub use batch::Batch;
pub use endpoints::{EndpointState, StoredEndpoint};
pub use error::{Result, StoreError};
pub use permissions::{Permission, Permissions};
pub use secret::Secret;
pub use store::{DATABASE_FILE, KEY_FILE, Store};
