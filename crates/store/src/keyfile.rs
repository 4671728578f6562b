//! The key file `secret.key`: 32 random bytes that encrypt secrets at rest.
//!
//! The file is created once, with mode 0600, and never overwritten. Loading
//! rejects a file of the wrong length or one that group or others can access,
//! with a [`StoreError::KeyFile`] that states what is expected. Checking that the
//! key matches the database is left to `store`.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::cipher::{KEY_LEN, fill_random};
use crate::error::{Result, StoreError};
use crate::fsutil::create_new_private_file;

/// Permission bits that must be clear on the key file (group and others).
const GROUP_OTHER_BITS: u32 = 0o077;

/// Reads the key file, or returns `None` when it does not exist.
pub(crate) fn load_key(path: &Path) -> Result<Option<[u8; KEY_LEN]>> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(StoreError::io(path, error)),
    };
    if !metadata.is_file() {
        return Err(rejected(path, "not a regular file".to_owned()));
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & GROUP_OTHER_BITS != 0 {
        return Err(rejected(
            path,
            format!("mode is {mode:04o}, expected 0600 (no access for group or others)"),
        ));
    }

    let bytes = fs::read(path).map_err(|error| StoreError::io(path, error))?;
    let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        rejected(
            path,
            format!("length is {} bytes, expected {KEY_LEN}", bytes.len()),
        )
    })?;
    Ok(Some(key))
}

/// Creates the key file with fresh random bytes and returns the key.
///
/// When another process created the file first, its key is loaded and
/// returned instead, so two starts never end up with different keys.
pub(crate) fn create_key(path: &Path) -> Result<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    fill_random(&mut key)?;
    if create_new_private_file(path, &key)? {
        tracing::info!(path = %path.display(), "created key file");
        return Ok(key);
    }
    load_key(path)?.ok_or_else(|| rejected(path, "disappeared while being created".to_owned()))
}

/// Builds a [`StoreError::KeyFile`] for `path`.
pub(crate) fn rejected(path: &Path, reason: String) -> StoreError {
    StoreError::KeyFile {
        path: path.to_path_buf(),
        reason,
    }
}
