//! `nbwss notify`: queues notification items for delivery to every group,
//! for local scripts such as backup exit hooks.
//!
//! The items come from flags (one item with one JOB or IMAGE record) or from
//! a file holding a JSON array of items (`-` reads stdin). They are checked
//! here with the rules the service applies, so a bad item fails with exit
//! code 2 before anything is sent, then posted to the admin API's
//! `POST /api/v1/notifications`, which returns once they are stored.
//!
//! Finding the admin API and its key is left to `client.rs`.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use nbwss_protocol::notification::parse_items;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{AdminClient, ClientArgs};
use crate::output;
use crate::servers::print_json_error;

/// The command line's input is invalid; `main` exits with code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Arguments of `nbwss notify`.
#[derive(Debug, clap::Args)]
pub struct NotifyArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// File with a JSON array of notification items; `-` reads stdin.
    #[arg(long, value_name = "FILE", conflicts_with = "object")]
    file: Option<PathBuf>,
    /// Kind of the single record given by flags.
    #[arg(long, value_parser = ["JOB", "IMAGE"], required_unless_present = "file")]
    object: Option<String>,
    #[command(flatten)]
    job: JobFlags,
    #[command(flatten)]
    image: ImageFlags,
    /// Client host name (JOB and IMAGE).
    #[arg(long)]
    client_name: Option<String>,
}

/// Fields of a JOB record.
#[derive(Debug, clap::Args)]
struct JobFlags {
    /// Job id.
    #[arg(long)]
    job_id: Option<i64>,
    /// Parent job id; defaults to --job-id.
    #[arg(long)]
    parent_job_id: Option<i64>,
    /// Job type, such as BACKUP or RESTORE.
    #[arg(long)]
    job_type: Option<String>,
    /// QUEUED, ACTIVE or DONE.
    #[arg(long)]
    state: Option<String>,
    /// Exit status; 0 is success.
    #[arg(long)]
    status: Option<i64>,
    /// Policy name; empty for a restore.
    #[arg(long, default_value = "")]
    policy_name: String,
    /// Policy type, such as VMWARE or STANDARD.
    #[arg(long)]
    policy_type: Option<String>,
    /// ST_FULL, ST_INCR, ST_CINC, ST_UBAK or ST_UARC.
    #[arg(long)]
    schedule_type: Option<String>,
    /// Start time in seconds since the Unix epoch.
    #[arg(long)]
    start_time: Option<i64>,
}

/// Fields of an IMAGE record.
#[derive(Debug, clap::Args)]
struct ImageFlags {
    /// Backup id, `<client>_<backupTime>`.
    #[arg(long)]
    backup_id: Option<String>,
    /// Client type, such as VMWARE.
    #[arg(long)]
    client_type: Option<String>,
    /// Backup time in seconds since the Unix epoch.
    #[arg(long)]
    backup_time: Option<i64>,
    /// Creation time in seconds since the Unix epoch.
    #[arg(long)]
    created_time: Option<i64>,
    /// CREATE, UPDATE, DELETE or NO_LOCAL_COPY_AVAILABLE.
    #[arg(long)]
    operation_id: Option<String>,
}

/// Checks the items, posts them and prints the receipt.
pub async fn run(args: NotifyArgs) -> anyhow::Result<()> {
    let result = notify(&args).await;
    print_json_error(&result, args.client.json)?;
    result
}

async fn notify(args: &NotifyArgs) -> anyhow::Result<()> {
    let items = read_items(args)?;
    parse_items(&items).map_err(|error| UsageError(error.to_string()))?;
    let client = AdminClient::new(&args.client)?;
    let receipt: Value = client
        .send(Method::POST, "/api/v1/notifications", Some(&items))
        .await?;
    if args.client.json {
        return Ok(output::json(&receipt)?);
    }
    let count = receipt.get("items").and_then(Value::as_u64).unwrap_or(0);
    let groups: Vec<&str> = receipt
        .get("groups")
        .and_then(Value::as_array)
        .map(|groups| groups.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Ok(output::line(&format!(
        "queued {count} item(s) for group(s): {}",
        groups.join(", ")
    ))?)
}

/// Builds the items from `--file` or from the record flags.
fn read_items(args: &NotifyArgs) -> anyhow::Result<Value> {
    if let Some(path) = &args.file {
        let text = read_file(path)?;
        return serde_json::from_str(&text).map_err(|error| {
            anyhow!(UsageError(format!(
                "{} is not valid JSON ({error}); expected an array of notification items",
                display_path(path)
            )))
        });
    }
    let record = match args.object.as_deref() {
        Some("JOB") => job_record(args)?,
        Some("IMAGE") => image_record(args)?,
        other => {
            return Err(anyhow!(UsageError(format!(
                "--object {other:?} is not supported; expected JOB or IMAGE, or --file"
            ))));
        }
    };
    let object = args.object.as_deref().unwrap_or("JOB");
    Ok(json!([{"notificationType": "INFO", "object": object, "data": [record]}]))
}

fn job_record(args: &NotifyArgs) -> anyhow::Result<Value> {
    let job = &args.job;
    report_missing(
        "JOB",
        &[
            ("--job-id", job.job_id.is_none()),
            ("--job-type", job.job_type.is_none()),
            ("--state", job.state.is_none()),
            ("--status", job.status.is_none()),
            ("--start-time", job.start_time.is_none()),
            ("--policy-type", job.policy_type.is_none()),
            ("--schedule-type", job.schedule_type.is_none()),
            ("--client-name", args.client_name.is_none()),
        ],
    )?;
    let job_id = required(job.job_id, "--job-id", "JOB")?;
    Ok(json!({
        "jobId": job_id,
        "parentJobId": job.parent_job_id.unwrap_or(job_id),
        "jobType": required(job.job_type.clone(), "--job-type", "JOB")?,
        "state": required(job.state.clone(), "--state", "JOB")?,
        "status": required(job.status, "--status", "JOB")?,
        "startTime": required(job.start_time, "--start-time", "JOB")?,
        "policyName": job.policy_name,
        "policyType": required(job.policy_type.clone(), "--policy-type", "JOB")?,
        "scheduleType": required(job.schedule_type.clone(), "--schedule-type", "JOB")?,
        "clientName": required(args.client_name.clone(), "--client-name", "JOB")?,
    }))
}

fn image_record(args: &NotifyArgs) -> anyhow::Result<Value> {
    let image = &args.image;
    report_missing(
        "IMAGE",
        &[
            ("--backup-id", image.backup_id.is_none()),
            ("--client-name", args.client_name.is_none()),
            ("--client-type", image.client_type.is_none()),
            ("--backup-time", image.backup_time.is_none()),
            ("--created-time", image.created_time.is_none()),
            ("--operation-id", image.operation_id.is_none()),
        ],
    )?;
    Ok(json!({
        "backupId": required(image.backup_id.clone(), "--backup-id", "IMAGE")?,
        "clientName": required(args.client_name.clone(), "--client-name", "IMAGE")?,
        "clientType": required(image.client_type.clone(), "--client-type", "IMAGE")?,
        "backupTime": required(image.backup_time, "--backup-time", "IMAGE")?,
        "createdTime": required(image.created_time, "--created-time", "IMAGE")?,
        "operationId": required(image.operation_id.clone(), "--operation-id", "IMAGE")?,
    }))
}

/// Names every missing flag at once, so one run shows all that is needed.
fn report_missing(object: &str, flags: &[(&str, bool)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = flags
        .iter()
        .filter(|(_, absent)| *absent)
        .map(|(flag, _)| *flag)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(anyhow!(UsageError(format!(
        "{} required with --object {object}",
        if missing.len() == 1 {
            format!("{} is", missing[0])
        } else {
            format!("{} are", missing.join(", "))
        }
    ))))
}

fn required<T>(value: Option<T>, flag: &str, object: &str) -> anyhow::Result<T> {
    value.ok_or_else(|| {
        anyhow!(UsageError(format!(
            "{flag} is required with --object {object}"
        )))
    })
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("failed to read the items from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|error| {
        anyhow!(UsageError(format!(
            "failed to read {}: {error}",
            display_path(path)
        )))
    })
}

fn display_path(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        format!("{:?}", path.display().to_string())
    }
}
