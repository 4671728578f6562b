//! The store's error type, one variant per thing that can go wrong.
//!
//! Messages are short and name the value involved. The underlying cause (an
//! I/O, redb or JSON error) is only reachable through `source()`, so callers
//! that print the chain see it once. Deciding how loud an error is belongs to
//! the caller.

use std::path::PathBuf;

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Errors returned by [`crate::Store`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory in the data directory could not be created, read
    /// or written. Check the path's ownership, permissions and free space.
    #[error("i/o failed on \"{path}\"")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system error.
        #[source]
        source: std::io::Error,
    },

    /// Another process (or another `Store` in this process) has the database
    /// open. Stop it first, because only one writer may use the data directory.
    #[error("store \"{path}\" is already open in another process")]
    AlreadyOpen {
        /// The database file.
        path: PathBuf,
    },

    /// The database file could not be opened, for example because it is not
    /// a redb file or fails its integrity check.
    #[error("failed to open store \"{path}\"")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The redb error.
        #[source]
        source: redb::Error,
    },

    /// A read or write transaction failed inside redb.
    #[error("store operation failed")]
    Database {
        /// The redb error.
        #[source]
        source: redb::Error,
    },

    /// A stored record could not be decoded. The database was changed by
    /// something other than this crate, or by an incompatible version.
    #[error("stored {what} \"{name}\" is corrupt")]
    Corrupt {
        /// The kind of record, such as `endpoint`.
        what: &'static str,
        /// The record's key.
        name: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },

    /// The key file that encrypts secrets at rest is unusable. The reason
    /// states the problem and what is expected.
    #[error("key file \"{path}\" rejected: {reason}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// Description of the problem and the expected value.
        reason: String,
    },

    /// An encrypted value failed authentication, which usually means the key
    /// file was replaced or the value was moved to another record.
    #[error("failed to decrypt {what} \"{name}\" (wrong key file?)")]
    Crypto {
        /// The kind of record, such as `endpoint token`.
        what: &'static str,
        /// The record's key.
        name: String,
    },

    /// An endpoint with this host name already exists. Host names are unique.
    #[error("endpoint \"{host}\" already exists")]
    DuplicateHost {
        /// The duplicate host name.
        host: String,
    },

    /// The named record does not exist.
    #[error("{what} \"{name}\" not found")]
    NotFound {
        /// The kind of record, such as `endpoint` or `api key`.
        what: &'static str,
        /// The key that was looked up.
        name: String,
    },

    /// Enqueueing would take a group's outbox past its limit. Nothing was
    /// stored, so the caller can retry later or report the queue as full.
    #[error("outbox of group \"{group}\" is full (limit {limit} items)")]
    QueueFull {
        /// The group whose outbox is full.
        group: String,
        /// The maximum number of pending items.
        limit: u64,
    },

    /// A batch is already in flight for this group. Complete it before
    /// beginning another one, because batches are delivered one at a time.
    #[error("group \"{group}\" already has batch \"{id}\" pending")]
    BatchPending {
        /// The group.
        group: String,
        /// The id of the pending batch.
        id: String,
    },

    /// A batch names no items, or an item that is not in the group's outbox.
    #[error("invalid batch for group \"{group}\": {reason}")]
    InvalidBatch {
        /// The group.
        group: String,
        /// Description of the problem.
        reason: String,
    },

    /// The operating system's random number generator failed, so no key,
    /// nonce or API key could be generated.
    #[error("system random number generator failed")]
    RandomUnavailable,

    /// A permission name is not one of the four known ones.
    #[error("unknown permission \"{name}\" (expected view, create, update or delete)")]
    UnknownPermission {
        /// The rejected name.
        name: String,
    },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn not_found(what: &'static str, name: &str) -> Self {
        Self::NotFound {
            what,
            name: name.to_owned(),
        }
    }

    pub(crate) fn corrupt(what: &'static str, name: &str, source: serde_json::Error) -> Self {
        Self::Corrupt {
            what,
            name: name.to_owned(),
            source,
        }
    }
}

/// Implements `From<$error>` for [`StoreError::Database`] for each redb error
/// type a transaction can return, so `?` works inside store operations.
macro_rules! from_redb {
    ($($error:ty),+ $(,)?) => {
        $(
            impl From<$error> for StoreError {
                fn from(error: $error) -> Self {
                    Self::Database {
                        source: redb::Error::from(error),
                    }
                }
            }
        )+
    };
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
);

impl From<redb::Error> for StoreError {
    fn from(source: redb::Error) -> Self {
        Self::Database { source }
    }
}
