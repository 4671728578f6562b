//! Crash safety: a child process writes to the store in a loop and is killed
//! with SIGKILL mid-loop. Every write it reported as committed must be in
//! the store afterwards, and the store must open cleanly.
//!
//! The child is this test binary re-run with `CHILD_DIR_ENV` set, executing
//! only the ignored `crash_child_writer` test.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{endpoint, item, job_id};
use nbwss_store::Store;

/// Environment variable carrying the data directory to the child.
const CHILD_DIR_ENV: &str = "NBWSS_STORE_CRASH_CHILD_DIR";

/// Upper bound on the child's loop, reached only if it is never killed.
const CHILD_MAX_RECORDS: u64 = 100_000;

/// Commits to wait for before killing the child.
const COMMITS_BEFORE_KILL: usize = 40;

/// Upper bound on waiting for those commits on a slow, loaded machine.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

const GROUP: &str = "crash";

/// Kills the child when dropped, so a failing assertion never leaves it
/// running.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Child side: adds an endpoint and enqueues an item per iteration and
/// prints a line after each commit. Does nothing unless started by
/// `store_survives_sigkill`.
#[test]
#[ignore = "helper process started by store_survives_sigkill"]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&dir)).expect("child opens store");
    let mut stdout = std::io::stdout();
    for index in 0..CHILD_MAX_RECORDS {
        store
            .add_endpoint(&endpoint(&format!("host-{index}"), GROUP, 0))
            .expect("child adds endpoint");
        writeln!(stdout, "committed endpoint {index}").expect("child writes stdout");
        store
            .enqueue(GROUP, &[item(index as i64)], u64::MAX)
            .expect("child enqueues");
        writeln!(stdout, "committed item {index}").expect("child writes stdout");
        stdout.flush().expect("child flushes stdout");
    }
}

/// Records reported as committed before a SIGKILL are all present after a
/// reopen, and the outbox keeps them in enqueue order.
#[test]
fn store_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash_child_writer", "--nocapture"])
        .args(["--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);

    let stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let mut lines = Vec::new();
    let deadline = Instant::now() + WAIT_LIMIT;
    while lines
        .iter()
        .filter(|l: &&String| l.starts_with("committed"))
        .count()
        < COMMITS_BEFORE_KILL
    {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(remaining) {
            Ok(line) => lines.push(line),
            Err(error) => panic!("child stopped reporting commits: {error}"),
        }
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    reader.join().unwrap();
    lines.extend(receiver.try_iter());

    let committed = |kind: &str| -> Vec<u64> {
        let prefix = format!("committed {kind} ");
        lines
            .iter()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|index| index.parse().unwrap())
            .collect()
    };
    let endpoints = committed("endpoint");
    let items = committed("item");

    let store = Store::open(dir.path()).expect("store opens after SIGKILL");
    for index in &endpoints {
        let host = format!("host-{index}");
        assert!(
            store.get_endpoint(&host).unwrap().is_some(),
            "committed endpoint {host} missing"
        );
    }
    let stored = store.list_endpoints().unwrap();
    assert!(stored.len() >= endpoints.len());

    let backlog = store.backlog(GROUP).unwrap();
    assert!(backlog >= items.len() as u64);
    let peeked = store.peek(GROUP, usize::MAX).unwrap();
    assert_eq!(peeked.len() as u64, backlog, "backlog count matches items");
    let jobs: Vec<i64> = peeked.iter().map(|(_, value)| job_id(value)).collect();
    let expected: Vec<i64> = (0..jobs.len() as i64).collect();
    assert_eq!(jobs, expected, "outbox keeps enqueue order");
}
