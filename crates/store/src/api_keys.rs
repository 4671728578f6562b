//! Admin API keys: creation, authentication, listing, deletion and the
//! administrator key file.
//!
//! A key reads `nbwss_<id>_<secret>`, where `<id>` is 16 hex digits and
//! `<secret>` is 64 hex digits (32 random bytes). The store keeps the id in
//! the clear and only the SHA-256 digest of the secret, so a copy of the
//! database does not reveal usable keys. Mapping permissions to operations is
//! left to the admin API.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use redb::ReadableTable;
use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};

use crate::cipher::fill_random;
use crate::error::{Result, StoreError};
use crate::fsutil::replace_private_file;
use crate::permissions::Permissions;
use crate::secret::Secret;
use crate::store::{Store, now_secs};
use crate::tables;

/// Record kind used in errors about API keys.
const WHAT: &str = "api key";

/// Prefix of every API key.
const KEY_PREFIX: &str = "nbwss_";

/// Random bytes in a key id and in a key secret.
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// Name given to the administrator key.
pub const ADMIN_KEY_NAME: &str = "admin";

/// An API key as stored, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public identifier, the middle part of the key.
    pub id: String,
    /// Label given when the key was created.
    pub name: String,
    /// Permissions granted to the key.
    pub permissions: Permissions,
    /// Creation time in seconds since the Unix epoch.
    pub created_at: i64,
}

/// The result of [`Store::ensure_admin_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminKey {
    /// The administrator key's record.
    pub record: ApiKeyRecord,
    /// Whether a new key was created and written to the file.
    pub created: bool,
}

/// The JSON form of an API key record. The id is the table key.
#[derive(Serialize, Deserialize)]
struct ApiKeyRow {
    name: String,
    permissions: Permissions,
    created_at: i64,
    /// Hex SHA-256 of the secret part of the key.
    secret_sha256: String,
}

impl Store {
    /// Creates an API key and returns its record and the plaintext key. The
    /// plaintext is not stored, so this is the only time it is available.
    pub fn create_api_key(
        &self,
        name: &str,
        permissions: Permissions,
    ) -> Result<(ApiKeyRecord, Secret)> {
        let id = random_hex(ID_BYTES)?;
        let secret = random_hex(SECRET_BYTES)?;
        let record = ApiKeyRecord {
            id: id.clone(),
            name: name.to_owned(),
            permissions,
            created_at: now_secs(),
        };
        let row = ApiKeyRow {
            name: record.name.clone(),
            permissions,
            created_at: record.created_at,
            secret_sha256: hex(digest(&SHA256, secret.as_bytes()).as_ref()),
        };
        let json =
            serde_json::to_string(&row).map_err(|error| StoreError::corrupt(WHAT, &id, error))?;
        self.write(|txn| {
            let mut table = txn.open_table(tables::API_KEYS)?;
            table.insert(id.as_str(), json.as_str())?;
            Ok(())
        })?;
        tracing::debug!(key_id = %id, name = %name, %permissions, "api key created");
        let key = Secret::new(format!("{KEY_PREFIX}{id}_{secret}"));
        Ok((record, key))
    }

    /// Returns the record of `key` when it is a valid, existing API key.
    ///
    /// A malformed key, an unknown id and a wrong secret all return `None`.
    /// The digests are compared in constant time.
    pub fn authenticate(&self, key: &str) -> Result<Option<ApiKeyRecord>> {
        let Some((id, secret)) = split_key(key) else {
            return Ok(None);
        };
        let Some(row) = self.read(|txn| {
            let table = txn.open_table(tables::API_KEYS)?;
            let json = table.get(id)?;
            json.map(|json| decode_row(id, json.value())).transpose()
        })?
        else {
            return Ok(None);
        };
        let presented = hex(digest(&SHA256, secret.as_bytes()).as_ref());
        if !constant_time_eq(presented.as_bytes(), row.secret_sha256.as_bytes()) {
            return Ok(None);
        }
        Ok(Some(into_record(id, row)))
    }

    /// Lists every API key, oldest first.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let mut records = self.read(|txn| {
            let table = txn.open_table(tables::API_KEYS)?;
            let mut records = Vec::new();
            for entry in table.iter()? {
                let (id, json) = entry?;
                let row = decode_row(id.value(), json.value())?;
                records.push(into_record(id.value(), row));
            }
            Ok(records)
        })?;
        records.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(records)
    }

    /// Deletes an API key and returns its record.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] naming the id when there is no such key.
    pub fn delete_api_key(&self, id: &str) -> Result<ApiKeyRecord> {
        let record = self.write(|txn| {
            let mut table = txn.open_table(tables::API_KEYS)?;
            let json = table
                .remove(id)?
                .ok_or_else(|| StoreError::not_found(WHAT, id))?;
            let row = decode_row(id, json.value())?;
            Ok(into_record(id, row))
        })?;
        tracing::debug!(key_id = %id, "api key deleted");
        Ok(record)
    }

    /// Makes sure `path` contains a working administrator key with every
    /// permission.
    ///
    /// A file whose key authenticates with all permissions is kept as it
    /// is. Otherwise a new key named [`ADMIN_KEY_NAME`] is created and
    /// written to `path` (mode 0600, replaced atomically).
    ///
    /// NOTE: a crash between creating the key and writing the file leaves an
    /// unused administrator key in the store. It grants nothing to anyone,
    /// because its plaintext was never written, and can be deleted by id.
    pub fn ensure_admin_key(&self, path: &Path) -> Result<AdminKey> {
        if let Some(existing) = read_key_file(path)? {
            match self.authenticate(existing.expose())? {
                Some(record) if record.permissions == Permissions::ALL => {
                    return Ok(AdminKey {
                        record,
                        created: false,
                    });
                }
                _ => {
                    tracing::warn!(path = %path.display(), "admin key file does not hold a valid admin key, replacing it");
                }
            }
        }

        let (record, key) = self.create_api_key(ADMIN_KEY_NAME, Permissions::ALL)?;
        let contents = format!("{}\n", key.expose());
        replace_private_file(path, contents.as_bytes())?;
        tracing::info!(path = %path.display(), key_id = %record.id, "admin key written");
        Ok(AdminKey {
            record,
            created: true,
        })
    }
}

/// Splits `nbwss_<id>_<secret>` into its id and secret, or returns `None`
/// when the key does not have that form.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let is_hex = |text: &str, bytes: usize| {
        text.len() == bytes * 2 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
    };
    if is_hex(id, ID_BYTES) && is_hex(secret, SECRET_BYTES) {
        Some((id, secret))
    } else {
        None
    }
}

/// Reads the trimmed key from the admin key file, or `None` when the file
/// does not exist.
fn read_key_file(path: &Path) -> Result<Option<Secret>> {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            Ok(Some(Secret::new(text.trim())))
        }
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StoreError::io(path, error)),
    }
}

fn decode_row(id: &str, json: &str) -> Result<ApiKeyRow> {
    serde_json::from_str(json).map_err(|error| StoreError::corrupt(WHAT, id, error))
}

fn into_record(id: &str, row: ApiKeyRow) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.to_owned(),
        name: row.name,
        permissions: row.permissions,
        created_at: row.created_at,
    }
}

/// Returns `bytes` random bytes as lower-case hex.
fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    fill_random(&mut buffer)?;
    Ok(hex(&buffer))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Compares two byte strings without an early exit on the first difference,
/// so the time taken does not reveal where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::{constant_time_eq, split_key};

    /// A well-formed key splits into id and secret.
    #[test]
    fn split_key_accepts_valid_form() {
        let key = format!("nbwss_{}_{}", "a".repeat(16), "b".repeat(64));
        assert!(split_key(&key).is_some());
    }

    /// A key without the prefix is rejected.
    #[test]
    fn split_key_rejects_missing_prefix() {
        let key = format!("other_{}_{}", "a".repeat(16), "b".repeat(64));
        assert!(split_key(&key).is_none());
    }

    /// A key with a short secret is rejected.
    #[test]
    fn split_key_rejects_short_secret() {
        let key = format!("nbwss_{}_{}", "a".repeat(16), "b".repeat(10));
        assert!(split_key(&key).is_none());
    }

    /// Equal inputs compare equal and different ones do not.
    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
