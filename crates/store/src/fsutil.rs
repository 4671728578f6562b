//! Private files and directories written atomically (Unix only).
//!
//! Files are written to a temporary name in the same directory with mode
//! 0600, synced, then moved into place, and the directory is synced so the
//! new name survives a crash. A reader therefore sees either no file or the
//! whole file. What goes into the files is left to `keyfile` and `api_keys`.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::cipher::fill_random;
use crate::error::{Result, StoreError};

/// Mode of every file this crate creates: read and write for the owner only.
pub(crate) const PRIVATE_FILE_MODE: u32 = 0o600;

/// Mode of the data directory when this crate creates it.
const PRIVATE_DIR_MODE: u32 = 0o700;

/// Creates `path` and missing parents with mode 0700. An existing directory
/// keeps its mode.
pub(crate) fn create_private_dir(path: &Path) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(path)
        .map_err(|error| StoreError::io(path, error))
}

/// Creates `path` with `contents` and mode 0600 unless it already exists.
///
/// Returns `false`, and leaves the existing file untouched, when `path`
/// exists. A hard link moves the temporary file into place, so unlike a
/// rename it can never replace a file created concurrently.
pub(crate) fn create_new_private_file(path: &Path, contents: &[u8]) -> Result<bool> {
    let temp = write_temp_file(path, contents)?;
    let linked = fs::hard_link(&temp, path);
    remove_temp_file(&temp);
    match linked {
        Ok(()) => {
            sync_parent_dir(path)?;
            Ok(true)
        }
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(StoreError::io(path, error)),
    }
}

/// Replaces `path` (or creates it) with `contents` and mode 0600.
pub(crate) fn replace_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    let temp = write_temp_file(path, contents)?;
    if let Err(error) = fs::rename(&temp, path) {
        remove_temp_file(&temp);
        return Err(StoreError::io(path, error));
    }
    sync_parent_dir(path)
}

/// Writes `contents` to a fresh temporary file beside `path`, synced to disk.
fn write_temp_file(path: &Path, contents: &[u8]) -> Result<PathBuf> {
    let temp = temp_path(path)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(&temp)
        .map_err(|error| StoreError::io(&temp, error))?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(error) = written {
        remove_temp_file(&temp);
        return Err(StoreError::io(&temp, error));
    }
    Ok(temp)
}

/// Returns `.<name>.tmp-<pid>-<random>` in the directory of `path`.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let mut random = [0u8; 8];
    fill_random(&mut random)?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp_name = format!(
        ".{name}.tmp-{}-{:016x}",
        std::process::id(),
        u64::from_le_bytes(random)
    );
    Ok(path.with_file_name(temp_name))
}

/// Deletes a temporary file, logging instead of failing because the caller
/// already has a result to return.
fn remove_temp_file(temp: &Path) {
    if let Err(error) = fs::remove_file(temp) {
        tracing::debug!(path = %temp.display(), %error, "failed to remove temporary file");
    }
}

/// Syncs the directory containing `path`, making a new name in it durable.
fn sync_parent_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|error| StoreError::io(dir, error))
}
