//! `nbwss demo`: the simulator, the reference endpoint and the service on
//! loopback in one command, with generated certificates and a temporary
//! data directory, walking through registration, a relayed login and job
//! list, and the first DONE job notification.
//!
//! Every step talks to the pieces the way a user would: the administrator
//! through the service's admin API, the cloud application through the
//! reference endpoint's HTTP API. The demo exits non-zero naming the step
//! that failed.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use nbwss_service::config::Config;
use nbwss_service::{Service, ServiceOptions};
use serde_json::{Value, json};

use crate::endpoint::EndpointArgs;
use crate::sim::SimArgs;

/// How long each waiting step may take before the demo gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The token the demo's endpoint accepts; generated afresh each run.
fn demo_token() -> String {
    format!("demo-{}", crate::sim::uuid_like())
}

/// Arguments of `nbwss demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Leave everything running after the walk-through and print the
    /// addresses; stop with Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
}

struct Step {
    number: usize,
    total: usize,
}

impl Step {
    fn start(&mut self, title: &str) {
        self.number += 1;
        println!("\n[{}/{}] {title}", self.number, self.total);
    }
}

/// Runs the demo; the error names the failing step.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let workspace = tempfile::tempdir().context("failed to create a temporary directory")?;
    let mut step = Step {
        number: 0,
        total: 6,
    };

    step.start("Start the NetBackup REST API simulator (the backup server's REST API)");
    let sim_args = SimArgs {
        listen: "127.0.0.1:0".parse()?,
        job_interval: 2.0,
        phase: 2.0,
        seed: 7,
        initial_jobs: 5,
        username: "admin".to_owned(),
        password: "demo-password".to_owned(),
        api_key: None,
        cert_out: Some(workspace.path().join("sim-ca.pem")),
    };
    let sim = crate::sim::start(&sim_args)
        .await
        .context("step 1 failed: the simulator did not start")?;
    println!(
        "      https://{}  (certificate {})",
        sim.addr,
        short(&sim.fingerprint.to_string())
    );

    step.start("Start the reference endpoint (the cloud side)");
    let token = demo_token();
    let tokens_file = workspace.path().join("tokens.txt");
    write_private(&tokens_file, &format!("{token}\n"))?;
    let details_file = workspace.path().join("endpoint.json");
    let endpoint_args = EndpointArgs {
        tokens_file,
        listen: "127.0.0.1:0".parse()?,
        api_listen: "127.0.0.1:0".parse()?,
        cert: None,
        key: None,
        public_host: "127.0.0.1".to_owned(),
        group_id: "demo".to_owned(),
        priority: 0,
        details_out: Some(details_file.clone()),
        max_message_bytes: crate::endpoint::DEFAULT_MAX_MESSAGE_BYTES,
    };
    let endpoint = crate::endpoint::start(&endpoint_args)
        .await
        .context("step 2 failed: the endpoint did not start")?;
    let endpoint_api = format!("http://{}", endpoint.api_addr());
    println!(
        "      {}  (self-signed certificate {})",
        endpoint.details().url,
        short(&endpoint.fingerprint().to_string())
    );
    println!(
        "      endpoint details written to {}",
        details_file.display()
    );

    step.start("Start the nbwss service (on the backup server)");
    let data_dir = workspace.path().join("data");
    let service = start_service(
        &data_dir,
        sim.addr.port(),
        &workspace.path().join("sim-ca.pem"),
        &sim.api_key,
    )
    .await
    .context("step 3 failed: the service did not start")?;
    let admin = AdminClient::new(&service, &data_dir)?;
    println!(
        "      admin API http://{}, data directory {}",
        service.admin_addr(),
        data_dir.display()
    );

    step.start("Register the endpoint: validate, accept the fingerprint, add");
    let fingerprint = register(&admin, &details_file)
        .await
        .context("step 4 failed: registering the endpoint")?;
    println!("      accepted and pinned {}", short(&fingerprint));
    let host = endpoint.details().host_name.clone();
    wait_connected(&admin, &host)
        .await
        .context("step 4 failed: the service did not connect")?;
    println!("      connection state: CONNECTED");

    step.start("Call the REST API through the tunnel, from the cloud side");
    let cloud = reqwest::Client::new();
    let server_id = connected_server(&cloud, &endpoint_api)
        .await
        .context("step 5 failed: no backup server on the endpoint")?;
    relay_calls(&cloud, &endpoint_api, server_id, &sim_args)
        .await
        .context("step 5 failed: a relayed call")?;

    step.start("Receive the first DONE job notification and acknowledge it");
    let record = first_done_job(&cloud, &endpoint_api)
        .await
        .context("step 6 failed: no DONE job notification")?;
    println!(
        "      JOB {} {} {} status {} client {} (acknowledged)",
        record["jobId"],
        str_of(&record["jobType"]),
        str_of(&record["state"]),
        record["status"],
        str_of(&record["clientName"])
    );

    println!("\nDemo complete: registration, relayed commands and notifications all worked.");
    if args.keep_running {
        println!("\nStill running (Ctrl-C stops everything):");
        println!(
            "  simulator          https://{}  login admin / {}",
            sim.addr, sim_args.password
        );
        println!("  endpoint wss       {}", endpoint.details().url);
        println!("  endpoint HTTP API  {endpoint_api}/api/v1/servers");
        println!(
            "  service admin API  http://{}  (API key in {})",
            service.admin_addr(),
            data_dir.join("admin.key").display()
        );
        println!(
            "  try:               nbwss status --data-dir {}",
            data_dir.display()
        );
        tokio::signal::ctrl_c()
            .await
            .context("failed to watch Ctrl-C")?;
    }
    service.stop().await;
    endpoint.shutdown().await;
    sim.stop().await;
    Ok(())
}

fn short(fingerprint: &str) -> String {
    format!("SHA-256 {}...", &fingerprint[..fingerprint.len().min(23)])
}

fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("failed to write {}", path.display()))
}

async fn start_service(
    data_dir: &Path,
    sim_port: u16,
    sim_ca: &Path,
    api_key: &str,
) -> anyhow::Result<Service> {
    std::fs::create_dir_all(data_dir)?;
    // The job poller's API key is a secret, stored encrypted before start.
    let store = nbwss_store::Store::open(data_dir)?;
    store.set_secret(
        "notification.upstreamApiKey",
        &nbwss_store::Secret::new(api_key),
    )?;
    drop(store);
    let config = Config::from_pairs(&[
        (
            "command.upstreamUrl",
            format!("https://127.0.0.1:{sim_port}"),
        ),
        ("command.upstreamCaFile", sim_ca.display().to_string()),
        ("admin.listen", "127.0.0.1:0".to_owned()),
        ("notification.jobPoller.enabled", "true".to_owned()),
        ("notification.scheduledRate", "1".to_owned()),
        ("connectionInfo.period", "5".to_owned()),
    ])?;
    let options = ServiceOptions {
        data_dir: data_dir.to_owned(),
        allow_insecure_loopback: false,
        server_name: nbwss_service::service::local_host_name(),
        config_dir: None,
        config_overrides: Vec::new(),
        on_log_level: None,
    };
    Ok(Service::start(config, options).await?)
}

/// The service's admin API, used as an administrator would.
struct AdminClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl AdminClient {
    fn new(service: &Service, data_dir: &Path) -> anyhow::Result<AdminClient> {
        let key = std::fs::read_to_string(data_dir.join("admin.key"))
            .context("failed to read the admin key")?;
        Ok(AdminClient {
            http: reqwest::Client::new(),
            base: format!("http://{}", service.admin_addr()),
            key: key.trim().to_owned(),
        })
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await?;
        json_or_error(response).await
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await?;
        json_or_error(response).await
    }
}

async fn json_or_error(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("HTTP {status}: {body}");
    }
    Ok(body)
}

/// Validates the details file, shows the chain, and adds the endpoint with
/// its fingerprint accepted. Returns the pinned fingerprint.
async fn register(admin: &AdminClient, details_file: &Path) -> anyhow::Result<String> {
    let details: Value = serde_json::from_str(&std::fs::read_to_string(details_file)?)?;
    let validation = admin.post("/api/v1/servers/validate", &details).await?;
    let check = &validation["endpoints"][0];
    let report = &check["report"];
    let fingerprint = report["leafFingerprint"]
        .as_str()
        .context("the validation report has no fingerprint")?
        .to_owned();
    if let Some(leaf) = report["certificates"].get(0) {
        println!(
            "      validate: subject {}, issuer {}",
            str_of(&leaf["subject"]),
            str_of(&leaf["issuer"])
        );
    }
    let trusted = report["trusted"].as_bool().unwrap_or(false);
    println!(
        "      trusted by the system roots: {}",
        if trusted { "yes" } else { "no" }
    );
    for problem in report["problems"].as_array().into_iter().flatten() {
        println!("      problem: {}", str_of(&problem["message"]));
    }
    admin
        .post(
            "/api/v1/servers",
            &json!({ "details": details, "acceptFingerprint": fingerprint }),
        )
        .await?;
    Ok(fingerprint)
}

async fn wait_connected(admin: &AdminClient, host: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let servers = admin.get("/api/v1/servers").await?;
        let entry = servers["servers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["hostName"] == host);
        let state = entry
            .map(|e| e["connection"]["state"].clone())
            .unwrap_or(Value::Null);
        if state == "CONNECTED" {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            let error = entry
                .map(|e| e["connection"]["lastError"].to_string())
                .unwrap_or_default();
            bail!("still {state} after {STEP_TIMEOUT:?}; last error {error}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn connected_server(cloud: &reqwest::Client, api: &str) -> anyhow::Result<u64> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let servers: Value = cloud
            .get(format!("{api}/api/v1/servers"))
            .send()
            .await?
            .json()
            .await?;
        let list = servers.get("servers").unwrap_or(&servers);
        if let Some(id) = list
            .as_array()
            .and_then(|l| l.first())
            .and_then(|s| s["id"].as_u64())
        {
            return Ok(id);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("no backup server connected after {STEP_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn command(
    cloud: &reqwest::Client,
    api: &str,
    server: u64,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    let response = cloud
        .post(format!("{api}/api/v1/servers/{server}/commands"))
        .json(&body)
        .send()
        .await?;
    let reply: Value = json_or_error(response).await?;
    let status = reply["statusCode"].as_u64().unwrap_or(0) as u16;
    let body = reply["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Ok((status, body))
}

async fn relay_calls(
    cloud: &reqwest::Client,
    api: &str,
    server: u64,
    sim: &SimArgs,
) -> anyhow::Result<()> {
    let media = "application/vnd.netbackup+json;version=8.0";
    let login = json!({"method": "POST", "uri": "/netbackup/login",
        "headers": {"Content-Type": media},
        "parameters": json!({"userName": sim.username, "password": sim.password}).to_string()});
    let (status, body) = command(cloud, api, server, login).await?;
    let token = body["token"]
        .as_str()
        .with_context(|| format!("login returned {status} without a token"))?
        .to_owned();
    println!(
        "      POST /netbackup/login -> {status}, token {}...",
        &token[..token.len().min(12)]
    );
    let jobs = json!({"method": "GET", "uri": "/netbackup/admin/jobs?page%5Blimit%5D=3&sort=-jobId",
        "headers": {"Accept": media, "Authorization": token}});
    let (status, body) = command(cloud, api, server, jobs).await?;
    if status != 200 {
        bail!("GET /netbackup/admin/jobs returned {status}: {body}");
    }
    let total = &body["meta"]["pagination"]["count"];
    println!("      GET /netbackup/admin/jobs -> {status}, {total} jobs; newest:");
    for job in body["data"].as_array().into_iter().flatten() {
        let a = &job["attributes"];
        println!(
            "        job {:>4}  {:<8} {:<7} {}",
            a["jobId"],
            str_of(&a["jobType"]),
            str_of(&a["state"]),
            str_of(&a["clientName"])
        );
    }
    Ok(())
}

/// Reads the endpoint's notification stream until a JOB record in state
/// DONE arrives; the endpoint acknowledges each event it streams.
async fn first_done_job(cloud: &reqwest::Client, api: &str) -> anyhow::Result<Value> {
    let mut response = cloud
        .get(format!("{api}/api/v1/notifications/stream"))
        .send()
        .await?;
    let mut buffer = String::new();
    let read = async {
        while let Some(chunk) = response.chunk().await? {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if let Some(record) = done_job_in(&event) {
                    return Ok(record);
                }
            }
        }
        bail!("the notification stream ended")
    };
    tokio::time::timeout(STEP_TIMEOUT, read)
        .await
        .map_err(|_| anyhow::anyhow!("none within {STEP_TIMEOUT:?}"))?
}

fn done_job_in(event: &str) -> Option<Value> {
    let data: String = event
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim_start)
        .collect();
    let value: Value = serde_json::from_str(&data).ok()?;
    value["items"]
        .as_array()?
        .iter()
        .filter(|item| item["object"] == "JOB")
        .flat_map(|item| item["data"].as_array().cloned().unwrap_or_default())
        .find(|record| record["state"] == "DONE")
}
