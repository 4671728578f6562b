//! The admin command line (`servers`, `status`, `reload`, `keys`,
//! `secrets`) as a user runs it: the real binary against a real
//! `nbwss serve` child process.

mod cli_support;

use cli_support::{Dirs, Serve, TOKEN, TlsEndpoint, code, nbwss, nbwss_with_stdin, stderr, stdout};
use serde_json::Value;

fn with_dirs(serve: &Serve, args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    all.extend(serve.dirs());
    all
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {}", stdout(output)))
}

/// Add without a trusted chain prints the fingerprint and the exact
/// command that accepts it and exits 1; running that command adds the
/// endpoint, which list, show-token and remove then handle.
#[test]
fn add_prints_accept_command_that_works() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let endpoint = TlsEndpoint::start();
    let file = endpoint.details_file(dirs.config.path(), "ep1.example");
    let file = file.display().to_string();

    let refused = nbwss(with_dirs(&serve, &["servers", "add", "--file", &file]));
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    let printed = stdout(&refused);
    assert!(printed.contains(&endpoint.fingerprint), "{printed}");
    let command = printed
        .lines()
        .map(str::trim)
        .find(|line| line.contains("--accept-fingerprint"))
        .unwrap_or_else(|| panic!("no accept command in {printed}"))
        .to_owned();
    assert!(command.ends_with(&endpoint.fingerprint), "{command}");

    let accepted = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .output()
        .expect("sh runs");
    assert_eq!(code(&accepted), 0, "{}", stderr(&accepted));
    assert!(
        stdout(&accepted).contains("added ep1.example"),
        "{}",
        stdout(&accepted)
    );

    let table = nbwss(with_dirs(&serve, &["servers", "list"]));
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.starts_with("Host Name"), "{text}");
    assert!(text.contains("ep1.example"), "{text}");
    assert!(text.contains("ACTIVATED"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");

    let listed = nbwss(with_dirs(&serve, &["servers", "list", "--json"]));
    let listed = json(&listed);
    assert_eq!(
        listed["servers"][0]["pinnedFingerprint"],
        endpoint.fingerprint
    );

    let token = nbwss(with_dirs(&serve, &["servers", "show-token", "ep1.example"]));
    assert_eq!(stdout(&token).trim(), TOKEN);

    let removed = nbwss(with_dirs(&serve, &["servers", "remove", "ep1.example"]));
    assert_eq!(code(&removed), 0, "{}", stderr(&removed));
    let again = nbwss(with_dirs(&serve, &["servers", "remove", "ep1.example"]));
    assert_eq!(code(&again), 1);
    assert!(
        stderr(&again).contains("\"ep1.example\" not found"),
        "{}",
        stderr(&again)
    );
    serve.terminate();
}

/// Validate prints the report with the fingerprint and the flag that
/// pins it, and `--json` prints the same report as JSON.
#[test]
fn validate_prints_report() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let endpoint = TlsEndpoint::start();
    let file = endpoint.details_file(dirs.config.path(), "ep1.example");
    let file = file.display().to_string();
    let report = nbwss(with_dirs(&serve, &["servers", "validate", "--file", &file]));
    assert_eq!(code(&report), 0, "{}", stderr(&report));
    let text = stdout(&report);
    assert!(text.contains(&endpoint.fingerprint), "{text}");
    assert!(text.contains("self-signed"), "{text}");
    assert!(text.contains("--accept-fingerprint"), "{text}");
    let report = nbwss(with_dirs(
        &serve,
        &["servers", "validate", "--file", &file, "--json"],
    ));
    let body = json(&report);
    assert_eq!(body["endpoints"][0]["pinRequired"], true, "{body}");
    serve.terminate();
}

/// Invalid details fail with exit 1 and the service's message naming the
/// key.
#[test]
fn add_reports_invalid_details() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let file = dirs.config.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"hostName":"h.example","url":"ws://h.example/","groupId":"g","priority":0,"token":"t"}"#,
    )
    .unwrap();
    let file = file.display().to_string();
    let output = nbwss(with_dirs(&serve, &["servers", "add", "--file", &file]));
    assert_eq!(code(&output), 1);
    assert!(stderr(&output).contains("\"url\""), "{}", stderr(&output));
    let output = nbwss(with_dirs(
        &serve,
        &["servers", "add", "--file", &file, "--json"],
    ));
    assert_eq!(json(&output)["error"]["code"], "INVALID_DETAILS");
    serve.terminate();
}

/// A missing operand is a usage error with exit code 2.
#[test]
fn missing_source_is_usage_error() {
    let output = nbwss(["servers", "add"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

/// Without a running service the message tells how to start it.
#[test]
fn not_running_says_how_to_start() {
    let dirs = Dirs::new();
    std::fs::write(dirs.data.path().join("admin.key"), "nbwss_none\n").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let data = dirs.data.path().display().to_string();
    let output = nbwss(["status", "--admin-url", &url, "--data-dir", &data]);
    assert_eq!(code(&output), 1);
    let message = stderr(&output);
    assert!(
        message.contains(&format!("not running at {url}")),
        "{message}"
    );
    assert!(message.contains("nbwss serve --config-dir"), "{message}");
}

/// Keys can be created, used, listed and deleted; a View key cannot add.
#[test]
fn keys_create_list_delete() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let created = nbwss(with_dirs(
        &serve,
        &[
            "keys",
            "create",
            "--name",
            "viewer",
            "--permission",
            "VIEW",
            "--json",
        ],
    ));
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    let created = json(&created);
    let key = created["key"].as_str().expect("key").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();

    let status = nbwss(with_dirs(&serve, &["status", "--api-key", &key]));
    assert_eq!(code(&status), 0, "{}", stderr(&status));
    let endpoint = TlsEndpoint::start();
    let file = endpoint.details_file(dirs.config.path(), "ep1.example");
    let file = file.display().to_string();
    let denied = nbwss(with_dirs(
        &serve,
        &["servers", "add", "--file", &file, "--api-key", &key],
    ));
    assert_eq!(code(&denied), 1);
    assert!(stderr(&denied).contains("CREATE"), "{}", stderr(&denied));

    let list = nbwss(with_dirs(&serve, &["keys", "list"]));
    assert!(stdout(&list).contains("viewer"), "{}", stdout(&list));
    assert!(!stdout(&list).contains(&key), "{}", stdout(&list));
    let deleted = nbwss(with_dirs(&serve, &["keys", "delete", &id]));
    assert_eq!(code(&deleted), 0, "{}", stderr(&deleted));
    let status = nbwss(with_dirs(&serve, &["status", "--api-key", &key]));
    assert_eq!(code(&status), 1);
    serve.terminate();
}

/// The upstream API key is read from stdin and status reports it set.
#[test]
fn secrets_set_from_stdin() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let set = nbwss_with_stdin(
        with_dirs(&serve, &["secrets", "set-upstream-api-key"]),
        "upstream-5e7a\n",
    );
    assert_eq!(code(&set), 0, "{}", stderr(&set));
    let status = json(&nbwss(with_dirs(&serve, &["status", "--json"])));
    assert_eq!(status["upstreamApiKeySet"], true, "{status}");
    assert!(!status.to_string().contains("upstream-5e7a"), "{status}");
    let deleted = nbwss(with_dirs(&serve, &["secrets", "delete-upstream-api-key"]));
    assert_eq!(code(&deleted), 0, "{}", stderr(&deleted));
    serve.terminate();
}

/// Reload reports no change for an unchanged file and the applied key
/// for a new log.level.
#[test]
fn reload_reports_changes() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let unchanged = nbwss(with_dirs(&serve, &["reload"]));
    assert_eq!(code(&unchanged), 0, "{}", stderr(&unchanged));
    assert_eq!(stdout(&unchanged).trim(), "no changes");
    let properties = dirs.config.path().join("nbwss.properties");
    let text = std::fs::read_to_string(&properties).unwrap();
    std::fs::write(
        &properties,
        text.replace("log.level=debug", "log.level=info"),
    )
    .unwrap();
    let changed = nbwss(with_dirs(&serve, &["reload"]));
    assert_eq!(code(&changed), 0, "{}", stderr(&changed));
    assert_eq!(stdout(&changed).trim(), "applied: log.level");
    serve.terminate();
}

/// SIGHUP reloads nbwss.properties like `nbwss reload`, and the service
/// keeps running.
#[test]
fn sighup_reloads_configuration() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let properties = dirs.config.path().join("nbwss.properties");
    let text = std::fs::read_to_string(&properties).unwrap();
    std::fs::write(&properties, format!("{text}command.timeout=30\n")).unwrap();
    serve.signal("HUP");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let status = nbwss(with_dirs(&serve, &["status", "--json"]));
        assert_eq!(code(&status), 0, "{}", stderr(&status));
        let body: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
        let timeout = body["configuration"]
            .as_array()
            .and_then(|entries| entries.iter().find(|e| e["key"] == "command.timeout"))
            .map(|entry| entry["value"].clone());
        if timeout == Some(serde_json::json!("30")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not reloaded: {body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    serve.terminate();
}

/// After adds and a clean stop, neither the log files nor the store file
/// contain the token.
#[test]
fn token_absent_from_log_files_and_store() {
    let dirs = Dirs::new();
    let serve = Serve::start(dirs.config.path(), dirs.data.path());
    let endpoint = TlsEndpoint::start();
    let file = endpoint.details_file(dirs.config.path(), "ep1.example");
    let file = file.display().to_string();
    let added = nbwss(with_dirs(
        &serve,
        &[
            "servers",
            "add",
            "--file",
            &file,
            "--accept-fingerprint",
            &endpoint.fingerprint,
        ],
    ));
    assert_eq!(code(&added), 0, "{}", stderr(&added));
    let status = nbwss(with_dirs(&serve, &["status"]));
    assert!(!stdout(&status).contains(TOKEN), "{}", stdout(&status));
    serve.terminate();

    let logs = dirs.data.path().join("logs");
    let mut log_bytes = 0;
    for entry in std::fs::read_dir(&logs).expect("log folder") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        log_bytes += text.len();
        assert!(
            !text.contains(TOKEN),
            "{} contains the token",
            path.display()
        );
    }
    assert!(log_bytes > 0, "the service wrote no log");
    let store = std::fs::read(dirs.data.path().join(nbwss_store::DATABASE_FILE)).unwrap();
    let found = store
        .windows(TOKEN.len())
        .any(|window| window == TOKEN.as_bytes());
    assert!(!found, "the store file contains the token in clear");
}
