//! Endpoint records, named secrets and API keys on a real redb store.

mod common;

use common::{endpoint, open_temp};
use nbwss_store::{EndpointState, Permission, Permissions, Secret, StoreError};

/// An added endpoint is returned by `get_endpoint` unchanged.
#[test]
fn get_returns_added_endpoint() {
    let (_dir, store) = open_temp();
    let added = endpoint("a.example", "g1", 0);
    store.add_endpoint(&added).unwrap();
    let found = store.get_endpoint("a.example").unwrap();
    assert_eq!(found, Some(added));
}

/// An unknown host yields `None`.
#[test]
fn get_unknown_host_returns_none() {
    let (_dir, store) = open_temp();
    assert_eq!(store.get_endpoint("missing.example").unwrap(), None);
}

/// The list is sorted by group, then priority, then host name.
#[test]
fn list_sorts_by_group_priority_host() {
    let (_dir, store) = open_temp();
    for record in [
        endpoint("z.example", "g2", 0),
        endpoint("c.example", "g1", 5),
        endpoint("b.example", "g1", 1),
        endpoint("a.example", "g1", 1),
    ] {
        store.add_endpoint(&record).unwrap();
    }
    let hosts: Vec<String> = store
        .list_endpoints()
        .unwrap()
        .into_iter()
        .map(|record| record.host_name)
        .collect();
    assert_eq!(hosts, ["a.example", "b.example", "c.example", "z.example"]);
}

/// Adding a second record with the same host fails with `DuplicateHost`.
#[test]
fn add_rejects_duplicate_host() {
    let (_dir, store) = open_temp();
    store.add_endpoint(&endpoint("a.example", "g1", 0)).unwrap();
    let result = store.add_endpoint(&endpoint("a.example", "g2", 3));
    assert!(matches!(result, Err(StoreError::DuplicateHost { host }) if host == "a.example"));
}

/// A rejected duplicate leaves the original record as it was.
#[test]
fn duplicate_add_keeps_original() {
    let (_dir, store) = open_temp();
    let original = endpoint("a.example", "g1", 0);
    store.add_endpoint(&original).unwrap();
    let _ = store.add_endpoint(&endpoint("a.example", "g2", 3));
    assert_eq!(store.get_endpoint("a.example").unwrap(), Some(original));
}

/// `set_state` changes the state and stamps `updated_at`.
#[test]
fn set_state_deactivates_endpoint() {
    let (_dir, store) = open_temp();
    store.add_endpoint(&endpoint("a.example", "g1", 0)).unwrap();
    let updated = store
        .set_state("a.example", EndpointState::Deactivated)
        .unwrap();
    assert_eq!(updated.state, EndpointState::Deactivated);
    assert!(updated.updated_at > 1_700_000_000);
    let stored = store.get_endpoint("a.example").unwrap().unwrap();
    assert_eq!(stored.state, EndpointState::Deactivated);
}

/// `set_state` on an unknown host fails with `NotFound` naming the host.
#[test]
fn set_state_unknown_host_is_not_found() {
    let (_dir, store) = open_temp();
    let result = store.set_state("missing.example", EndpointState::Activated);
    let error = result.unwrap_err();
    assert!(matches!(&error, StoreError::NotFound { name, .. } if name == "missing.example"));
    assert_eq!(error.to_string(), "endpoint \"missing.example\" not found");
}

/// `update_pin` sets and then clears the pinned fingerprint.
#[test]
fn update_pin_sets_and_clears() {
    let (_dir, store) = open_temp();
    store.add_endpoint(&endpoint("a.example", "g1", 0)).unwrap();
    let pinned = store.update_pin("a.example", Some("AB:CD")).unwrap();
    assert_eq!(pinned.pinned_fingerprint.as_deref(), Some("AB:CD"));
    let cleared = store.update_pin("a.example", None).unwrap();
    assert_eq!(cleared.pinned_fingerprint, None);
}

/// `update_pin` on an unknown host fails with `NotFound`.
#[test]
fn update_pin_unknown_host_is_not_found() {
    let (_dir, store) = open_temp();
    let result = store.update_pin("missing.example", Some("AB"));
    assert!(matches!(result, Err(StoreError::NotFound { .. })));
}

/// A removed endpoint is gone and its record is returned.
#[test]
fn remove_deletes_endpoint() {
    let (_dir, store) = open_temp();
    store.add_endpoint(&endpoint("a.example", "g1", 0)).unwrap();
    let removed = store.remove_endpoint("a.example").unwrap();
    assert_eq!(removed.host_name, "a.example");
    assert_eq!(store.get_endpoint("a.example").unwrap(), None);
}

/// Removing an unknown host fails with `NotFound`.
#[test]
fn remove_unknown_host_is_not_found() {
    let (_dir, store) = open_temp();
    let result = store.remove_endpoint("missing.example");
    assert!(matches!(result, Err(StoreError::NotFound { .. })));
}

/// Debug output of a record hides the token.
#[test]
fn endpoint_debug_hides_token() {
    let record = endpoint("a.example", "g1", 0);
    let text = format!("{record:?}");
    assert!(!text.contains("token-for-a.example"));
}

/// A named secret can be stored, read back, replaced and deleted.
#[test]
fn secret_set_get_delete() {
    let (_dir, store) = open_temp();
    let name = "notification.upstreamApiKey";
    store.set_secret(name, &Secret::new("first")).unwrap();
    store.set_secret(name, &Secret::new("second")).unwrap();
    let value = store.get_secret(name).unwrap().unwrap();
    assert_eq!(value.expose(), "second");
    store.delete_secret(name).unwrap();
    assert_eq!(store.get_secret(name).unwrap(), None);
}

/// Deleting an unknown secret fails with `NotFound`.
#[test]
fn delete_unknown_secret_is_not_found() {
    let (_dir, store) = open_temp();
    let result = store.delete_secret("missing");
    assert!(matches!(result, Err(StoreError::NotFound { .. })));
}

/// A freshly created API key authenticates and returns its record.
#[test]
fn api_key_authenticates() {
    let (_dir, store) = open_temp();
    let (record, key) = store.create_api_key("ci", Permission::View.into()).unwrap();
    assert!(key.expose().starts_with(&format!("nbwss_{}_", record.id)));
    assert_eq!(store.authenticate(key.expose()).unwrap(), Some(record));
}

/// A key with one wrong character in the secret is rejected.
#[test]
fn api_key_with_wrong_secret_is_rejected() {
    let (_dir, store) = open_temp();
    let (_record, key) = store.create_api_key("ci", Permissions::ALL).unwrap();
    let mut wrong = key.expose().to_owned();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    assert_eq!(store.authenticate(&wrong).unwrap(), None);
}

/// Malformed keys are rejected without error.
#[test]
fn malformed_api_keys_are_rejected() {
    let (_dir, store) = open_temp();
    for key in [
        "",
        "nbwss_",
        "nbwss_x_y",
        "Bearer abc",
        "nbwss_0123456789abcdef_",
    ] {
        assert_eq!(store.authenticate(key).unwrap(), None, "key {key:?}");
    }
}

/// A deleted key no longer authenticates and is not listed.
#[test]
fn deleted_api_key_is_rejected() {
    let (_dir, store) = open_temp();
    let (record, key) = store.create_api_key("ci", Permissions::ALL).unwrap();
    let deleted = store.delete_api_key(&record.id).unwrap();
    assert_eq!(deleted.id, record.id);
    assert_eq!(store.authenticate(key.expose()).unwrap(), None);
    assert!(store.list_api_keys().unwrap().is_empty());
}

/// Deleting an unknown key id fails with `NotFound`.
#[test]
fn delete_unknown_api_key_is_not_found() {
    let (_dir, store) = open_temp();
    let result = store.delete_api_key("0000000000000000");
    assert!(matches!(result, Err(StoreError::NotFound { .. })));
}

/// Permission sets are stored as given and listed with every key.
#[test]
fn api_key_permissions_are_kept() {
    let (_dir, store) = open_temp();
    let viewer: Permissions = [Permission::View].into_iter().collect();
    let editor: Permissions = [Permission::View, Permission::Update].into_iter().collect();
    let (viewer_record, _) = store.create_api_key("viewer", viewer).unwrap();
    let (editor_record, editor_key) = store.create_api_key("editor", editor).unwrap();

    let listed = store.list_api_keys().unwrap();
    assert_eq!(listed.len(), 2);
    let listed_viewer = listed.iter().find(|r| r.id == viewer_record.id).unwrap();
    assert_eq!(listed_viewer.permissions, viewer);
    assert!(!listed_viewer.permissions.contains(Permission::Update));

    let authenticated = store.authenticate(editor_key.expose()).unwrap().unwrap();
    assert_eq!(authenticated.id, editor_record.id);
    assert!(authenticated.permissions.contains(Permission::Update));
    assert!(!authenticated.permissions.contains(Permission::Delete));
}

/// The admin key file is created once with mode 0600 and kept afterwards.
#[test]
fn admin_key_file_is_created_then_kept() {
    use std::os::unix::fs::PermissionsExt;

    let (dir, store) = open_temp();
    let path = dir.path().join("admin.key");
    let first = store.ensure_admin_key(&path).unwrap();
    assert!(first.created);
    assert_eq!(first.record.permissions, Permissions::ALL);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let contents = std::fs::read_to_string(&path).unwrap();
    assert!(store.authenticate(contents.trim()).unwrap().is_some());

    let second = store.ensure_admin_key(&path).unwrap();
    assert!(!second.created);
    assert_eq!(second.record.id, first.record.id);
}

/// An admin key file that does not authenticate is replaced.
#[test]
fn admin_key_file_with_unknown_key_is_replaced() {
    let (dir, store) = open_temp();
    let path = dir.path().join("admin.key");
    std::fs::write(&path, "nbwss_not_valid\n").unwrap();
    let admin = store.ensure_admin_key(&path).unwrap();
    assert!(admin.created);
    let contents = std::fs::read_to_string(&path).unwrap();
    let record = store.authenticate(contents.trim()).unwrap();
    assert_eq!(record.map(|r| r.id), Some(admin.record.id));
}
