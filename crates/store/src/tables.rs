//! redb table definitions: the on-disk layout of the store.
//!
//! Records are JSON text except where a fixed layout is simpler. Secrets are
//! only ever stored sealed by `cipher`. Renaming a table or changing a key or
//! value type makes existing databases unreadable, so treat these as a file
//! format.

use redb::TableDefinition;

/// Store-wide values. Holds [`KEY_CHECK`] only.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Key in [`META`] of a known value sealed with the store's key, used to
/// detect a replaced or missing key file at start-up.
pub(crate) const KEY_CHECK: &str = "key_check";

/// Endpoints: host name to JSON record. The token field is sealed.
pub(crate) const ENDPOINTS: TableDefinition<&str, &str> = TableDefinition::new("endpoints");

/// Named secrets: name to sealed value.
pub(crate) const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");

/// API keys: key id to JSON record with the SHA-256 digest of the secret.
pub(crate) const API_KEYS: TableDefinition<&str, &str> = TableDefinition::new("api_keys");

/// Outbox items: (group, seq) to (enqueued at in epoch ms, item as JSON).
pub(crate) const OUTBOX_ITEMS: TableDefinition<(&str, u64), (i64, &str)> =
    TableDefinition::new("outbox_items");

/// Outbox counters: group to (next seq to assign, number of items stored).
pub(crate) const OUTBOX_GROUPS: TableDefinition<&str, (u64, u64)> =
    TableDefinition::new("outbox_groups");

/// Batches in flight: group to JSON `{id, seqs}`. At most one per group.
pub(crate) const OUTBOX_BATCHES: TableDefinition<&str, &str> =
    TableDefinition::new("outbox_batches");

/// Job poller cursors: cursor name to cursor value.
pub(crate) const POLLER_CURSORS: TableDefinition<&str, &str> =
    TableDefinition::new("poller_cursors");

/// Job poller memory: job id to the last state seen.
pub(crate) const POLLER_JOBS: TableDefinition<i64, &str> = TableDefinition::new("poller_jobs");
