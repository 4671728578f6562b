//! Shared pieces of the `nbwss notify` and crash tests: a temporary
//! installation (configuration and data directories), an endpoint record
//! written to its store before the service starts, the `nbwss serve`
//! process, and the `nbwss notify` command.
//!
//! The service is found through the `admin.addr` file it writes in the
//! data directory after binding `admin.listen=127.0.0.1:0`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use nbwss_store::{EndpointState, Secret, Store, StoredEndpoint};
use nbwss_tls::Fingerprint;
use serde_json::{Value, json};
use tempfile::TempDir;

/// Upper bound on any single wait; never reached when the code works.
pub const WAIT: Duration = Duration::from_secs(30);

/// The token the test endpoints accept.
pub const TOKEN: &str = "notify-test-token";

/// Returns the path of the `nbwss` binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_nbwss")
}

/// A configuration and a data directory in a temporary folder.
pub struct Install {
    pub dir: TempDir,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Install {
    /// Creates both directories.
    pub fn new() -> Install {
        let dir = TempDir::new().expect("temp dir");
        let config_dir = dir.path().join("config");
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&config_dir).expect("create config dir");
        std::fs::create_dir_all(&data_dir).expect("create data dir");
        Install {
            dir,
            config_dir,
            data_dir,
        }
    }

    /// Stores an activated endpoint in `group` dialing `port` on 127.0.0.1
    /// and pinned to `pin`, as `nbwss servers add` would.
    pub fn register(&self, host: &str, group: &str, port: u16, pin: &Fingerprint) {
        let store = Store::open(&self.data_dir).expect("open store");
        let now = nbwss_protocol::message::now_seconds();
        store
            .add_endpoint(&StoredEndpoint {
                host_name: host.to_owned(),
                url: format!("wss://127.0.0.1:{port}/nbwss"),
                group_id: group.to_owned(),
                priority: 0,
                token: Secret::new(TOKEN),
                pinned_fingerprint: Some(pin.to_string()),
                state: EndpointState::Activated,
                created_at: now,
                updated_at: now,
            })
            .expect("store endpoint");
    }

    /// Starts `nbwss serve` with `--set` flags for each property and waits
    /// for its admin address. Output goes to `serve-<n>.log`.
    pub fn serve(&self, properties: &[(&str, &str)], run: u32) -> Serve {
        let addr_file = self.data_dir.join("admin.addr");
        let _ = std::fs::remove_file(&addr_file);
        let log_path = self.dir.path().join(format!("serve-{run}.log"));
        let log = std::fs::File::create(&log_path).expect("create log file");
        let mut command = Command::new(binary());
        command
            .arg("serve")
            .arg("--config-dir")
            .arg(&self.config_dir)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--set", "admin.listen=127.0.0.1:0"])
            .args(["--set", "connectionInfo.period=2"])
            .args(["--set", "connection.retryDelay=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("clone log file")))
            .stderr(Stdio::from(log));
        for (key, value) in properties {
            command.arg("--set").arg(format!("{key}={value}"));
        }
        let child = command.spawn().expect("spawn nbwss serve");
        let mut serve = Serve {
            child,
            log_path,
            admin_url: String::new(),
        };
        serve.admin_url = serve.wait_for_admin(&addr_file);
        serve
    }

    /// Runs `nbwss notify` against this installation with `args`, feeding
    /// `stdin` when given.
    pub fn notify(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(binary());
        command
            .arg("notify")
            .arg("--config-dir")
            .arg(&self.config_dir)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn nbwss notify");
        if let Some(text) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("nbwss notify output")
    }

    /// Writes `items` as a JSON file and returns its path.
    pub fn items_file(&self, name: &str, items: &[Value]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, Value::Array(items.to_vec()).to_string()).expect("write items");
        path
    }
}

/// A running `nbwss serve` process; killed with SIGKILL when dropped.
pub struct Serve {
    child: Child,
    log_path: PathBuf,
    pub admin_url: String,
}

impl Serve {
    fn wait_for_admin(&mut self, addr_file: &Path) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(addr_file)
                && !text.trim().is_empty()
            {
                return format!("http://{}", text.trim());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nbwss serve exited with {status}: {}", self.log());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "nbwss serve wrote no admin address: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL, as a crash would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Returns the process's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Returns a JOB item with one record whose `jobId` is `job_id`.
pub fn job_item(job_id: i64) -> Value {
    json!({
        "notificationType": "INFO",
        "object": "JOB",
        "data": [{
            "jobId": job_id,
            "parentJobId": job_id,
            "jobType": "BACKUP",
            "state": "DONE",
            "status": 0,
            "startTime": 1_796_396_645,
            "policyName": "vmware2",
            "policyType": "VMWARE",
            "scheduleType": "ST_FULL",
            "clientName": "vm01.example.com"
        }]
    })
}

/// Text of a process's stderr, for assertions and failure messages.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Text of a process's stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
