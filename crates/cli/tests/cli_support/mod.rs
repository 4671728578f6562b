//! Helpers for the command line tests: `nbwss serve` as a child process
//! on temporary folders with the admin API on 127.0.0.1 port 0, a runner
//! for the `nbwss` binary, and a TLS listener with a self-signed
//! certificate to validate against.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

/// Upper bound on any wait; never reached when the code works.
pub const WAIT: Duration = Duration::from_secs(30);

/// A token with a pattern found nowhere else, to search for leaks.
pub const TOKEN: &str = "cli-token-83e1f0d2-never-shown";

/// Environment variables that would change where the binary looks.
const CLEARED: [&str; 8] = [
    "NBWSS_API_KEY",
    "NBWSS_ADMIN_URL",
    "NBWSS_CONFIG_DIR",
    "NBWSS_DATA_DIR",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Runs `nbwss` with `args` and returns its output.
pub fn nbwss<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    nbwss_with_stdin(args, "")
}

/// Runs `nbwss` with `args`, writing `stdin` to its standard input.
pub fn nbwss_with_stdin<I, S>(args: I, stdin: &str) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_nbwss"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in CLEARED {
        command.env_remove(name);
    }
    let mut child = command.spawn().expect("nbwss runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("nbwss finishes")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Returns the exit code, or -1 when a signal ended the process.
pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// A running `nbwss serve`.
pub struct Serve {
    child: Child,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts `nbwss serve` on the folders; writes nbwss.properties when
    /// the configuration folder has none.
    pub fn start(config_dir: &Path, data_dir: &Path) -> Serve {
        let properties = config_dir.join("nbwss.properties");
        if !properties.exists() {
            std::fs::write(
                &properties,
                "admin.listen=127.0.0.1:0\nconnection.retryDelay=1\n\
                 connectionInfo.period=2\nlog.level=debug\n",
            )
            .expect("write nbwss.properties");
        }
        let addr_file = data_dir.join("admin.addr");
        let _ = std::fs::remove_file(&addr_file);
        let mut command = Command::new(env!("CARGO_BIN_EXE_nbwss"));
        command
            .arg("serve")
            .arg("--config-dir")
            .arg(config_dir)
            .arg("--data-dir")
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for name in CLEARED {
            command.env_remove(name);
        }
        let mut child = command.spawn().expect("nbwss serve starts");
        let addr = wait_for_addr(&mut child, &addr_file);
        Serve {
            child,
            config_dir: config_dir.to_owned(),
            data_dir: data_dir.to_owned(),
            addr,
        }
    }

    /// `--config-dir C --data-dir D`, for the admin subcommands.
    pub fn dirs(&self) -> Vec<String> {
        vec![
            "--config-dir".to_owned(),
            self.config_dir.display().to_string(),
            "--data-dir".to_owned(),
            self.data_dir.display().to_string(),
        ]
    }

    /// Sends a signal such as `HUP` with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Sends SIGKILL and waits for the process to end.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("kill -9");
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill -TERM runs");
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "nbwss serve exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "nbwss serve did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Polls until the service wrote its admin address and accepts a TCP
/// connection there.
fn wait_for_addr(child: &mut Child, addr_file: &Path) -> SocketAddr {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("nbwss serve exited early with {status}");
        }
        let addr = std::fs::read_to_string(addr_file)
            .ok()
            .and_then(|text| text.trim().parse::<SocketAddr>().ok());
        if let Some(addr) = addr {
            if TcpStream::connect(addr).is_ok() {
                return addr;
            }
        }
        assert!(Instant::now() < deadline, "nbwss serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Temporary configuration and data folders.
pub struct Dirs {
    pub config: TempDir,
    pub data: TempDir,
}

impl Dirs {
    /// Two new temporary folders.
    pub fn new() -> Dirs {
        Dirs {
            config: TempDir::new().expect("config dir"),
            data: TempDir::new().expect("data dir"),
        }
    }
}

/// A TLS listener with a self-signed certificate that completes
/// handshakes and then closes, on its own runtime.
pub struct TlsEndpoint {
    _runtime: Runtime,
    pub port: u16,
    pub fingerprint: String,
}

impl TlsEndpoint {
    /// Listens on 127.0.0.1 port 0.
    pub fn start() -> TlsEndpoint {
        nbwss_tls::install_default_provider();
        let runtime = Runtime::new().expect("runtime");
        let cert = nbwss_tls::generate_self_signed(&["127.0.0.1".to_owned()]).expect("certificate");
        let config = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem).expect("config");
        let acceptor = TlsAcceptor::from(config);
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        use tokio::io::AsyncWriteExt;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        TlsEndpoint {
            _runtime: runtime,
            port,
            fingerprint: cert.fingerprint.to_string(),
        }
    }

    /// Writes a details file for `host` pointing at this listener.
    pub fn details_file(&self, dir: &Path, host: &str) -> PathBuf {
        details_file(dir, host, self.port)
    }
}

/// Writes a details file for `host` at `wss://127.0.0.1:<port>/nbwss`.
pub fn details_file(dir: &Path, host: &str, port: u16) -> PathBuf {
    let path = dir.join(format!("{host}.json"));
    let details = serde_json::json!({
        "hostName": host,
        "url": format!("wss://127.0.0.1:{port}/nbwss"),
        "groupId": "g1",
        "priority": 0,
        "token": TOKEN,
    });
    std::fs::write(&path, details.to_string()).expect("write details");
    path
}
