//! Everything written survives closing and reopening the store.

mod common;

use common::{endpoint, items, job_id};
use nbwss_store::{EndpointState, Permission, Permissions, Secret, Store};

/// Records, states, pins, secrets, API keys, outboxes, batches and poller
/// state are all there after a reopen.
#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let store = Store::open(dir.path()).unwrap();
        store.add_endpoint(&endpoint("a.example", "g1", 0)).unwrap();
        store.add_endpoint(&endpoint("b.example", "g1", 1)).unwrap();
        store
            .set_state("b.example", EndpointState::Deactivated)
            .unwrap();
        store.update_pin("a.example", Some("AA:BB")).unwrap();
        store
            .set_secret("upstream", &Secret::new("s3cret"))
            .unwrap();
        let (_, key) = store
            .create_api_key("viewer", Permission::View.into())
            .unwrap();
        store.enqueue("g1", &items(1, 3), 100).unwrap();
        store.begin_batch("g1", "MSG-1", &[1, 2]).unwrap();
        let states = [(42, "ACTIVE".to_owned())];
        store.set_cursor_and_jobs("jobs", "c9", &states).unwrap();
        key
    };

    let store = Store::open(dir.path()).unwrap();

    let a = store.get_endpoint("a.example").unwrap().unwrap();
    assert_eq!(a.token.expose(), "token-for-a.example");
    assert_eq!(a.pinned_fingerprint.as_deref(), Some("AA:BB"));
    let b = store.get_endpoint("b.example").unwrap().unwrap();
    assert_eq!(b.state, EndpointState::Deactivated);

    let secret = store.get_secret("upstream").unwrap().unwrap();
    assert_eq!(secret.expose(), "s3cret");

    let record = store.authenticate(key.expose()).unwrap().unwrap();
    assert_eq!(record.permissions, Permissions::from(Permission::View));

    assert_eq!(store.backlog("g1").unwrap(), 3);
    let batch = store.pending_batch("g1").unwrap().unwrap();
    assert_eq!(batch.id, "MSG-1");
    let jobs: Vec<i64> = batch.items.iter().map(|(_, item)| job_id(item)).collect();
    assert_eq!(jobs, [1, 2]);

    assert_eq!(store.get_cursor("jobs").unwrap().as_deref(), Some("c9"));
    assert_eq!(store.get_job_state(42).unwrap().as_deref(), Some("ACTIVE"));
}

/// Seqs continue after a reopen instead of restarting at 1.
#[test]
fn reopen_continues_seqs() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.enqueue("g1", &items(1, 2), 100).unwrap();
        store.acknowledge_through("g1", 2).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.enqueue("g1", &items(3, 1), 100).unwrap(), [3]);
}

/// A batch completed before the reopen stays completed.
#[test]
fn reopen_after_complete_batch_has_no_batch() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.enqueue("g1", &items(1, 2), 100).unwrap();
        store.begin_batch("g1", "MSG-1", &[1, 2]).unwrap();
        store.complete_batch("g1", "MSG-1").unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.pending_batch("g1").unwrap(), None);
    assert_eq!(store.backlog("g1").unwrap(), 0);
}
