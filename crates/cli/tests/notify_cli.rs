//! `nbwss notify` against a running `nbwss serve`: items from flags, from a
//! file and from stdin, and the exit codes for usage errors (2) and failed
//! operations (1).

mod notify_support;

use notify_support::{Install, job_item, stderr, stdout};

const GROUP: &str = "group-a";

/// Starts a service with one activated endpoint that is never reachable,
/// so ingested items stay in the outbox.
fn install_with_group() -> (Install, notify_support::Serve) {
    let install = Install::new();
    let cert = nbwss_tls::generate_self_signed(&["localhost".to_owned()]).expect("certificate");
    // A port that was free a moment ago, so the endpoint is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    install.register("endpoint-a.test", GROUP, port, &cert.fingerprint);
    let serve = install.serve(&[], 1);
    (install, serve)
}

/// One JOB item given by flags is queued and the receipt names the group.
#[test]
fn queues_job_from_flags() {
    let (install, _serve) = install_with_group();
    let output = install.notify(
        &[
            "--object",
            "JOB",
            "--job-id",
            "144",
            "--state",
            "DONE",
            "--status",
            "0",
            "--job-type",
            "BACKUP",
            "--policy-name",
            "p",
            "--policy-type",
            "VMWARE",
            "--schedule-type",
            "ST_FULL",
            "--client-name",
            "c",
            "--start-time",
            "1796396645",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        "queued 1 item(s) for group(s): group-a"
    );
}

/// One IMAGE item given by flags is queued, with the receipt as JSON.
#[test]
fn queues_image_from_flags_as_json() {
    let (install, _serve) = install_with_group();
    let output = install.notify(
        &[
            "--object",
            "IMAGE",
            "--backup-id",
            "c_1796396645",
            "--client-name",
            "c",
            "--client-type",
            "VMWARE",
            "--backup-time",
            "1796396645",
            "--created-time",
            "1796396650",
            "--operation-id",
            "CREATE",
            "--json",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let receipt: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("receipt is JSON");
    assert_eq!(receipt["items"], 1);
    assert_eq!(receipt["groups"], serde_json::json!([GROUP]));
}

/// Items read from a file and from stdin are queued.
#[test]
fn queues_items_from_file_and_stdin() {
    let (install, _serve) = install_with_group();
    let path = install.items_file("items.json", &[job_item(1), job_item(2)]);
    let from_file = install.notify(&["--file", path.to_str().expect("UTF-8 path")], None);
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));
    assert!(
        stdout(&from_file).starts_with("queued 2 item(s)"),
        "{}",
        stdout(&from_file)
    );

    let text = serde_json::Value::Array(vec![job_item(3)]).to_string();
    let from_stdin = install.notify(&["--file", "-"], Some(&text));
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    assert!(
        stdout(&from_stdin).starts_with("queued 1 item(s)"),
        "{}",
        stdout(&from_stdin)
    );
}

/// A missing record flag is a usage error naming the flag.
#[test]
fn rejects_missing_flag_as_usage_error() {
    let install = Install::new();
    let output = install.notify(&["--object", "JOB", "--job-id", "1"], None);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    for flag in [
        "--job-type",
        "--state",
        "--status",
        "--start-time",
        "--policy-type",
        "--schedule-type",
        "--client-name",
    ] {
        assert!(message.contains(flag), "{flag}: {message}");
    }
    assert!(!message.contains("--job-id,"), "{message}");
}

/// An invalid item in a file is a usage error naming its index and key,
/// reported before the service is contacted.
#[test]
fn rejects_invalid_item_naming_index_and_key() {
    let install = Install::new();
    let mut bad = job_item(2);
    bad["data"][0]["scheduleType"] = serde_json::Value::from("FULL");
    let path = install.items_file("bad.json", &[job_item(1), bad]);
    let output = install.notify(&["--file", path.to_str().expect("UTF-8 path")], None);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("item 1"), "{message}");
    assert!(message.contains("data[0].scheduleType"), "{message}");
}

/// A file that is not JSON is a usage error.
#[test]
fn rejects_file_that_is_not_json() {
    let install = Install::new();
    let path = install.dir.path().join("broken.json");
    std::fs::write(&path, "[{").expect("write file");
    let output = install.notify(&["--file", path.to_str().expect("UTF-8 path")], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not valid JSON"),
        "{}",
        stderr(&output)
    );
}

/// With no activated endpoint the service stores nothing and the command
/// fails with exit code 1 and the service's reason.
#[test]
fn fails_without_activated_group() {
    let install = Install::new();
    let _serve = install.serve(&[], 1);
    let path = install.items_file("items.json", &[job_item(1)]);
    let output = install.notify(&["--file", path.to_str().expect("UTF-8 path")], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no group has an activated endpoint"),
        "{}",
        stderr(&output)
    );
}

/// An unreachable admin API fails with exit code 1.
#[test]
fn fails_when_admin_api_unreachable() {
    let install = Install::new();
    std::fs::write(install.data_dir.join("admin.key"), "nbwss_x_y\n").expect("write key");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let path = install.items_file("items.json", &[job_item(1)]);
    let output = install.notify(
        &[
            "--admin-url",
            &url,
            "--file",
            path.to_str().expect("UTF-8 path"),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not running"),
        "{}",
        stderr(&output)
    );
}
