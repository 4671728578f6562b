//! Files in the data directory: the key file, file modes, encryption of
//! tokens and secrets at rest, and start-up errors.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::endpoint;
use nbwss_store::{DATABASE_FILE, KEY_FILE, Secret, Store, StoreError};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn write_key_file(path: &Path, bytes: &[u8], mode: u32) {
    fs::write(path, bytes).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The first open creates the data directory (0700), the key file (0600,
/// 32 bytes) and the database (0600).
#[test]
fn open_creates_private_files() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");
    let _store = Store::open(&data_dir).unwrap();
    assert_eq!(mode(&data_dir), 0o700);
    assert_eq!(mode(&data_dir.join(KEY_FILE)), 0o600);
    assert_eq!(fs::read(data_dir.join(KEY_FILE)).unwrap().len(), 32);
    assert_eq!(mode(&data_dir.join(DATABASE_FILE)), 0o600);
}

/// Reopening keeps the key file byte for byte.
#[test]
fn key_file_is_reused_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join(KEY_FILE);
    drop(Store::open(dir.path()).unwrap());
    let first = fs::read(&key_path).unwrap();
    drop(Store::open(dir.path()).unwrap());
    assert_eq!(fs::read(&key_path).unwrap(), first);
}

/// A key file of the wrong length stops the open and is left untouched.
#[test]
fn wrong_length_key_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join(KEY_FILE);
    write_key_file(&key_path, &[1u8; 31], 0o600);
    let error = Store::open(dir.path()).unwrap_err();
    assert!(matches!(error, StoreError::KeyFile { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("length is 31 bytes, expected 32"),
        "{error}"
    );
    assert_eq!(fs::read(&key_path).unwrap(), [1u8; 31]);
}

/// A key file readable by group or others stops the open.
#[test]
fn group_readable_key_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let key_path = dir.path().join(KEY_FILE);
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o640)).unwrap();
    let error = Store::open(dir.path()).unwrap_err();
    assert!(error.to_string().contains("mode is 0640"), "{error}");
}

/// A different key file stops the open instead of failing later on each
/// decryption.
#[test]
fn replaced_key_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let key_path = dir.path().join(KEY_FILE);
    let mut other = fs::read(&key_path).unwrap();
    other[0] ^= 0xff;
    write_key_file(&key_path, &other, 0o600);
    let error = Store::open(dir.path()).unwrap_err();
    assert!(error.to_string().contains("not the one"), "{error}");
}

/// A missing key file is not silently recreated when the store already
/// contains encrypted values.
#[test]
fn missing_key_file_with_existing_store_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let key_path = dir.path().join(KEY_FILE);
    fs::remove_file(&key_path).unwrap();
    let error = Store::open(dir.path()).unwrap_err();
    assert!(error.to_string().contains("missing"), "{error}");
    assert!(!key_path.exists());
}

/// A second open of the same directory reports that it is already open.
#[test]
fn second_open_is_already_open() {
    let dir = tempfile::tempdir().unwrap();
    let _store = Store::open(dir.path()).unwrap();
    let result = Store::open(dir.path());
    assert!(matches!(result, Err(StoreError::AlreadyOpen { .. })));
}

/// The database file never contains a token or secret in plaintext, while
/// unencrypted fields such as the URL are found by the same search.
#[test]
fn database_file_has_no_plaintext_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = "TOKEN-7c1f9a-must-not-appear-on-disk";
    let secret = "SECRET-3b8e2d-must-not-appear-on-disk";
    {
        let store = Store::open(dir.path()).unwrap();
        let mut record = endpoint("plain.example", "g1", 0);
        record.token = Secret::new(token);
        store.add_endpoint(&record).unwrap();
        store.update_pin("plain.example", Some("AA:BB")).unwrap();
        store.set_secret("upstream", &Secret::new(secret)).unwrap();
    }
    let bytes = fs::read(dir.path().join(DATABASE_FILE)).unwrap();
    assert!(contains(&bytes, b"wss://plain.example:8443/nbwss"));
    assert!(!contains(&bytes, token.as_bytes()));
    assert!(!contains(&bytes, secret.as_bytes()));
}
