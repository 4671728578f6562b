//! `kill -9` of `nbwss serve` while `nbwss servers add` runs in a loop
//! leaves a store that opens and contains every endpoint whose add
//! succeeded.

mod cli_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cli_support::{Dirs, Serve, TlsEndpoint, WAIT, code, details_file, nbwss, stdout};

/// Adds that must succeed before the kill.
const ADDS_BEFORE_KILL: usize = 3;

/// Adds tried at most, so the loop ends even if the kill never lands.
const MAX_ADDS: usize = 200;

/// The store opens after the kill and contains every host that was added,
/// and a restarted service lists them.
#[test]
fn kill_9_during_adds_leaves_readable_store() {
    let dirs = Dirs::new();
    let mut serve = Serve::start(dirs.config.path(), dirs.data.path());
    let endpoint = TlsEndpoint::start();
    let succeeded = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));

    let loop_args = serve.dirs();
    let config = dirs.config.path().to_owned();
    let (fingerprint, port) = (endpoint.fingerprint.clone(), endpoint.port);
    let counter = Arc::clone(&succeeded);
    let stop = Arc::clone(&killed);
    let adder = std::thread::spawn(move || {
        let mut added = Vec::new();
        for index in 0..MAX_ADDS {
            let host = format!("ep{index}.example");
            let file = details_file(&config, &host, port);
            let mut args = vec![
                "servers".to_owned(),
                "add".to_owned(),
                "--file".to_owned(),
                file.display().to_string(),
                "--accept-fingerprint".to_owned(),
                fingerprint.clone(),
            ];
            args.extend(loop_args.iter().cloned());
            let output = nbwss(&args);
            if code(&output) == 0 {
                added.push(host);
                counter.fetch_add(1, Ordering::SeqCst);
            } else if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        added
    });

    let deadline = Instant::now() + WAIT;
    while succeeded.load(Ordering::SeqCst) < ADDS_BEFORE_KILL {
        assert!(Instant::now() < deadline, "adds did not succeed");
        std::thread::sleep(Duration::from_millis(20));
    }
    serve.kill_9();
    killed.store(true, Ordering::SeqCst);
    let added = adder.join().expect("add loop");
    drop(serve);

    let store = nbwss_store::Store::open(dirs.data.path()).expect("store opens after kill -9");
    let stored: Vec<String> = store
        .list_endpoints()
        .expect("endpoints readable")
        .into_iter()
        .map(|endpoint| endpoint.host_name)
        .collect();
    for host in &added {
        assert!(stored.contains(host), "{host} was added but is not stored");
    }
    drop(store);

    let restarted = Serve::start(dirs.config.path(), dirs.data.path());
    let mut args = vec!["servers".to_owned(), "list".to_owned(), "--json".to_owned()];
    args.extend(restarted.dirs());
    let listed = nbwss(&args);
    assert_eq!(code(&listed), 0);
    let body: serde_json::Value = serde_json::from_str(&stdout(&listed)).expect("JSON list");
    let count = body["servers"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(count, stored.len(), "{body}");
    restarted.terminate();
}
