//! [`Store`]: opening the data directory and running transactions.
//!
//! `Store::open` creates the directory (0700), the database `nbwss.redb`
//! (0600) and the key file `secret.key`, then checks that the key matches
//! the database. Every mutation in this crate is one redb write transaction
//! committed with immediate durability, so a `kill -9` leaves either all of
//! it or none of it on disk. The record operations live in the sibling
//! modules as further `impl Store` blocks.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use redb::{
    Builder, Database, DatabaseError, ReadTransaction, ReadableDatabase, ReadableTable,
    WriteTransaction,
};

use crate::cipher::{Cipher, KEY_LEN, SealedKind};
use crate::error::{Result, StoreError};
use crate::fsutil::{PRIVATE_FILE_MODE, create_private_dir};
use crate::keyfile::{create_key, load_key, rejected};
use crate::tables;

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "nbwss.redb";

/// File name of the key file inside the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Maximum memory redb may use as page cache. redb's own default is 1 GiB,
/// which is far more than this store's working set needs.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Plaintext of the key check value. Only its successful decryption matters.
const KEY_CHECK_PLAINTEXT: &[u8] = b"nbwss key check";

/// The embedded store: endpoints, secrets, API keys, outboxes and poller
/// state in one redb database.
///
/// Cloning is cheap and every clone uses the same database. All operations
/// are synchronous and may block on disk I/O, so async callers should run
/// long ones through `tokio::task::spawn_blocking`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    cipher: Cipher,
    data_dir: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store in `data_dir`, creating the directory, the database
    /// and the key file when they do not exist.
    ///
    /// # Errors
    ///
    /// [`StoreError::AlreadyOpen`] when another process uses the database,
    /// [`StoreError::KeyFile`] when `secret.key` has the wrong length, can be
    /// accessed by group or others, is missing while the database contains
    /// encrypted values, or does not match the database.
    pub fn open(data_dir: &Path) -> Result<Store> {
        create_private_dir(data_dir)?;
        let db_path = data_dir.join(DATABASE_FILE);
        let db = open_database(&db_path)?;

        let key_path = data_dir.join(KEY_FILE);
        let txn = db.begin_write()?;
        create_tables(&txn)?;
        let key_check = read_key_check(&txn)?;
        let key = match (load_key(&key_path)?, &key_check) {
            (Some(key), _) => key,
            (None, None) => create_key(&key_path)?,
            (None, Some(_)) => {
                return Err(rejected(
                    &key_path,
                    "missing, but the store contains values encrypted with it \
                     (restore the file from a backup)"
                        .to_owned(),
                ));
            }
        };
        let cipher = Cipher::new(&key);
        verify_or_write_key_check(&txn, &cipher, key_check.as_deref(), &key_path)?;
        txn.commit()?;

        tracing::debug!(data_dir = %data_dir.display(), "store opened");
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                cipher,
                data_dir: data_dir.to_path_buf(),
            }),
        })
    }

    /// Returns the data directory this store was opened in.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub(crate) fn cipher(&self) -> &Cipher {
        &self.inner.cipher
    }

    /// Runs `operation` in a write transaction and commits it when it
    /// returns `Ok`. On `Err` the transaction is aborted and nothing changes.
    pub(crate) fn write<T>(
        &self,
        operation: impl FnOnce(&WriteTransaction) -> Result<T>,
    ) -> Result<T> {
        let txn = self.inner.db.begin_write()?;
        match operation(&txn) {
            Ok(value) => {
                txn.commit()?;
                Ok(value)
            }
            Err(error) => {
                if let Err(abort_error) = txn.abort() {
                    tracing::debug!(error = %abort_error, "failed to abort transaction");
                }
                Err(error)
            }
        }
    }

    /// Runs `operation` on a consistent snapshot of the database.
    pub(crate) fn read<T>(
        &self,
        operation: impl FnOnce(&ReadTransaction) -> Result<T>,
    ) -> Result<T> {
        let txn = self.inner.db.begin_read()?;
        operation(&txn)
    }
}

/// Creates the database file with mode 0600 if needed, then opens it.
fn open_database(path: &Path) -> Result<Database> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
        .map_err(|error| StoreError::io(path, error))?;

    // The integrity check verifies every page checksum at each open, so a
    // damaged file is reported as an error instead of being trusted. It reads
    // the whole file, which makes opening a large store slower.
    Builder::new()
        .set_cache_size(CACHE_BYTES)
        .set_check_integrity_on_open(true)
        .create(path)
        .map_err(|error| match error {
            DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen {
                path: path.to_path_buf(),
            },
            other => StoreError::Open {
                path: path.to_path_buf(),
                source: other.into(),
            },
        })
}

/// Creates every table, so read transactions never meet a missing one.
fn create_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(tables::META)?;
    txn.open_table(tables::ENDPOINTS)?;
    txn.open_table(tables::SECRETS)?;
    txn.open_table(tables::API_KEYS)?;
    txn.open_table(tables::OUTBOX_ITEMS)?;
    txn.open_table(tables::OUTBOX_GROUPS)?;
    txn.open_table(tables::OUTBOX_BATCHES)?;
    txn.open_table(tables::POLLER_CURSORS)?;
    txn.open_table(tables::POLLER_JOBS)?;
    Ok(())
}

fn read_key_check(txn: &WriteTransaction) -> Result<Option<Vec<u8>>> {
    let meta = txn.open_table(tables::META)?;
    let value = meta.get(tables::KEY_CHECK)?;
    Ok(value.map(|guard| guard.value().to_vec()))
}

/// Checks the stored key check value against `cipher`, or stores one when
/// the database has none yet.
fn verify_or_write_key_check(
    txn: &WriteTransaction,
    cipher: &Cipher,
    key_check: Option<&[u8]>,
    key_path: &Path,
) -> Result<()> {
    let Some(sealed) = key_check else {
        let sealed = cipher.seal(SealedKind::KeyCheck, KEY_FILE, KEY_CHECK_PLAINTEXT)?;
        let mut meta = txn.open_table(tables::META)?;
        meta.insert(tables::KEY_CHECK, sealed.as_slice())?;
        return Ok(());
    };
    if cipher.open(SealedKind::KeyCheck, KEY_FILE, sealed).is_err() {
        return Err(rejected(
            key_path,
            format!(
                "its {KEY_LEN}-byte key is not the one that encrypted this store \
                 (restore the original file)"
            ),
        ));
    }
    Ok(())
}

/// Returns the current time in seconds since the Unix epoch.
pub(crate) fn now_secs() -> i64 {
    since_epoch().as_secs().try_into().unwrap_or(i64::MAX)
}

/// Returns the current time in milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> i64 {
    since_epoch().as_millis().try_into().unwrap_or(i64::MAX)
}

fn since_epoch() -> std::time::Duration {
    // A clock set before 1970 reads as the epoch rather than failing.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Store;

    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

    /// `Store` can be shared across threads and tasks.
    #[test]
    fn store_is_send_sync_clone() {
        assert_send_sync_clone::<Store>();
    }
}
