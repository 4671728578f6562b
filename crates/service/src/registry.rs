//! The endpoint registry: the registered endpoints, their administrative
//! state, and the live connection state the connection manager reports.
//!
//! Records are kept in the embedded store; this type keeps an in-memory copy
//! for the connection manager, bumps a change counter on every mutation so
//! the manager reacts at once, and keeps the live state, which is not
//! persisted. Validating details and certificates happens before a record
//! reaches [`Registry::add`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use nbwss_protocol::details::EndpointDetails;
use nbwss_store::{EndpointState, Secret, Store, StoreError, StoredEndpoint};
use nbwss_tls::Fingerprint;
use serde::Serialize;
use tokio::sync::watch;

/// Result alias for registry operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A registered endpoint as the connection manager sees it.
#[derive(Clone, Debug)]
pub struct EndpointEntry {
    /// The registration details, token included.
    pub details: EndpointDetails,
    /// The accepted leaf certificate fingerprint, when one was pinned.
    pub pin: Option<Fingerprint>,
    /// Whether the service should connect to it.
    pub activated: bool,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
}

/// Live connection state of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionState {
    /// A CONNECT exchange completed and the connection is up.
    Connected,
    /// An attempt is under way.
    Connecting,
    /// No connection.
    Disconnected,
    /// The endpoint responded to CONNECT with `valid: false`.
    Rejected,
}

/// Live state with its history, as shown by `servers list`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveStatus {
    /// Current state.
    pub state: ConnectionState,
    /// When the state last changed, seconds since the Unix epoch.
    pub since: i64,
    /// The last error, without secrets.
    pub last_error: Option<String>,
    /// Attempts since the last successful CONNECT.
    pub attempts: u64,
    /// Id of the current or last connection.
    pub conn_id: Option<u64>,
}

impl Default for LiveStatus {
    fn default() -> Self {
        LiveStatus {
            state: ConnectionState::Disconnected,
            since: nbwss_protocol::message::now_seconds(),
            last_error: None,
            attempts: 0,
            conn_id: None,
        }
    }
}

/// The registry; cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    entries: RwLock<BTreeMap<String, EndpointEntry>>,
    live: Mutex<BTreeMap<String, LiveStatus>>,
    changes: watch::Sender<u64>,
}

impl Registry {
    /// Loads every record from `store`.
    pub fn load(store: Store) -> Result<Registry> {
        let entries = store
            .list_endpoints()?
            .into_iter()
            .map(|stored| (stored.host_name.clone(), entry_from_stored(stored)))
            .collect();
        Ok(Registry {
            inner: Arc::new(Inner {
                store,
                entries: RwLock::new(entries),
                live: Mutex::new(BTreeMap::new()),
                changes: watch::channel(0).0,
            }),
        })
    }

    /// The store behind the registry.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A copy of every entry, ordered by host name.
    pub fn snapshot(&self) -> Vec<EndpointEntry> {
        read(&self.inner.entries).values().cloned().collect()
    }

    /// One entry by host name.
    pub fn get(&self, host: &str) -> Option<EndpointEntry> {
        read(&self.inner.entries).get(host).cloned()
    }

    /// A receiver that changes whenever a record is added, removed or
    /// changes state.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Stores a new, activated record and applies it at once.
    pub fn add(&self, details: EndpointDetails, pin: Option<Fingerprint>) -> Result<EndpointEntry> {
        let now = nbwss_protocol::message::now_seconds();
        let stored = StoredEndpoint {
            host_name: details.host_name.clone(),
            url: details.url.clone(),
            group_id: details.group_id.clone(),
            priority: details.priority,
            token: Secret::new(details.token.clone()),
            pinned_fingerprint: pin.map(|p| p.to_string()),
            state: EndpointState::Activated,
            created_at: now,
            updated_at: now,
        };
        self.inner.store.add_endpoint(&stored)?;
        let entry = entry_from_stored(stored);
        write(&self.inner.entries).insert(entry.details.host_name.clone(), entry.clone());
        self.changed();
        Ok(entry)
    }

    /// Activates or deactivates a record and applies it at once.
    pub fn set_activated(&self, host: &str, activated: bool) -> Result<EndpointEntry> {
        let state = if activated {
            EndpointState::Activated
        } else {
            EndpointState::Deactivated
        };
        let stored = self.inner.store.set_state(host, state)?;
        let entry = entry_from_stored(stored);
        write(&self.inner.entries).insert(host.to_owned(), entry.clone());
        self.changed();
        Ok(entry)
    }

    /// Removes a record and applies it at once.
    pub fn remove(&self, host: &str) -> Result<EndpointEntry> {
        let stored = self.inner.store.remove_endpoint(host)?;
        write(&self.inner.entries).remove(host);
        lock(&self.inner.live).remove(host);
        self.changed();
        Ok(entry_from_stored(stored))
    }

    /// The live state of one endpoint.
    pub fn live(&self, host: &str) -> LiveStatus {
        lock(&self.inner.live)
            .get(host)
            .cloned()
            .unwrap_or_default()
    }

    /// Applies `update` to the live state of `host`; a change of state
    /// records the time.
    pub fn update_live(&self, host: &str, update: impl FnOnce(&mut LiveStatus)) {
        if !read(&self.inner.entries).contains_key(host) {
            return;
        }
        let mut live = lock(&self.inner.live);
        let status = live.entry(host.to_owned()).or_default();
        let before = status.state;
        update(status);
        if status.state != before {
            status.since = nbwss_protocol::message::now_seconds();
        }
    }

    fn changed(&self) {
        self.inner
            .changes
            .send_modify(|generation| *generation += 1);
    }
}

fn entry_from_stored(stored: StoredEndpoint) -> EndpointEntry {
    EndpointEntry {
        pin: stored
            .pinned_fingerprint
            .as_deref()
            .and_then(|text| text.parse().ok()),
        activated: stored.state == EndpointState::Activated,
        created_at: stored.created_at,
        details: EndpointDetails {
            host_name: stored.host_name,
            url: stored.url,
            group_id: stored.group_id,
            priority: stored.priority,
            token: stored.token.into_inner(),
        },
    }
}

// A poisoned lock only means another thread panicked while holding it; the
// maps stay usable, so recover the guard instead of propagating the panic.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock<T>(lock: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
