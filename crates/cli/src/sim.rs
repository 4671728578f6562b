//! `nbwss sim`: serves the NetBackup REST API simulator over HTTPS with a
//! generated certificate, for developing against nbwss without a backup
//! server. The API itself lives in the `nbwss-sim` crate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use nbwss_sim::{SimConfig, Simulator};
use nbwss_tls::Fingerprint;
use tokio::net::TcpListener;

/// Arguments of `nbwss sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to serve HTTPS on.
    #[arg(long, default_value = "127.0.0.1:1556")]
    pub listen: SocketAddr,
    /// Seconds between two new jobs.
    #[arg(long, default_value_t = 10.0)]
    pub job_interval: f64,
    /// Seconds a job spends in QUEUED, and again in ACTIVE.
    #[arg(long, default_value_t = 30.0)]
    pub phase: f64,
    /// Seed for the job mix.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Jobs that already exist, DONE, at start.
    #[arg(long, default_value_t = 20)]
    pub initial_jobs: usize,
    /// User name accepted by POST /netbackup/login.
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Password accepted by POST /netbackup/login.
    #[arg(long, env = "NBWSS_SIM_PASSWORD", default_value = "admin")]
    pub password: String,
    /// API key accepted in the Authorization header; generated when absent.
    #[arg(long, env = "NBWSS_SIM_API_KEY")]
    pub api_key: Option<String>,
    /// Write the generated certificate (PEM) here, to trust it with
    /// command.upstreamCaFile.
    #[arg(long)]
    pub cert_out: Option<PathBuf>,
}

/// A simulator serving in the background.
pub struct RunningSim {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its certificate's fingerprint.
    pub fingerprint: Fingerprint,
    /// The API key it accepts.
    pub api_key: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSim {
    /// Stops serving and waits for open connections to drain.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("invalid {flag} {value}: expected a positive number of seconds"))
}

/// Starts the simulator on `args.listen` with a generated certificate.
pub async fn start(args: &SimArgs) -> anyhow::Result<RunningSim> {
    nbwss_tls::install_default_provider();
    let api_key = args
        .api_key
        .clone()
        .unwrap_or_else(|| format!("sim-{}", uuid_like()));
    let config = SimConfig {
        job_interval: seconds(args.job_interval, "--job-interval")?,
        phase_duration: seconds(args.phase, "--phase")?,
        seed: args.seed,
        username: args.username.clone(),
        password: args.password.clone(),
        api_key: api_key.clone(),
        initial_jobs: args.initial_jobs,
        ..SimConfig::default()
    };
    let simulator = Arc::new(Simulator::new(config)?);
    let names = vec!["localhost".to_owned(), args.listen.ip().to_string()];
    let cert = nbwss_tls::generate_self_signed(&names)?;
    let tls = nbwss_tls::server_config(&cert.cert_pem, &cert.key_pem)?;
    if let Some(path) = &args.cert_out {
        std::fs::write(path, &cert.cert_pem)
            .with_context(|| format!("failed to write the certificate to {path:?}"))?;
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("failed to listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(simulator.run(listener, tls, async {
        let _ = stopped.await;
    }));
    Ok(RunningSim {
        addr,
        fingerprint: cert.fingerprint,
        api_key,
        stop,
        task,
    })
}

/// A random hex string for generated secrets.
pub fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Runs the simulator until Ctrl-C.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let sim = start(&args).await?;
    println!(
        "NetBackup REST API simulator listening on https://{}",
        sim.addr
    );
    println!(
        "  login:       POST /netbackup/login {{\"userName\": {:?}, \"password\": \"...\"}}",
        args.username
    );
    println!("  API key:     {}", sim.api_key);
    println!("  certificate: SHA-256 {}", sim.fingerprint);
    if let Some(path) = &args.cert_out {
        println!(
            "  certificate written to {} (use it as command.upstreamCaFile)",
            path.display()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("failed to watch Ctrl-C")?;
    sim.stop().await;
    Ok(())
}
