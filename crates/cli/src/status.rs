//! `nbwss status`: the service's version and uptime, each group's
//! connection (or why it has none), the notification backlog and the
//! configuration in effect.

use nbwss_service::admin::views::StatusView;
use reqwest::Method;

use crate::client::{AdminClient, ClientArgs};
use crate::output::{self, Table};
use crate::servers::print_json_error;

/// Arguments of `nbwss status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    client: ClientArgs,
}

/// Prints the status.
pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let result = show(&args).await;
    print_json_error(&result, args.client.json)?;
    result
}

async fn show(args: &StatusArgs) -> anyhow::Result<()> {
    let client = AdminClient::new(&args.client)?;
    let status: StatusView = client.send(Method::GET, "/api/v1/status", None).await?;
    if args.client.json {
        return Ok(output::json(&status)?);
    }
    output::line(&format!(
        "nbwss {}, up {}",
        status.version,
        output::age(status.uptime_seconds)
    ))?;
    let key = if status.upstream_api_key_set {
        "set"
    } else {
        "not set"
    };
    output::line(&format!("upstream API key: {key}"))?;
    output::line("")?;
    let mut groups = Table::new(&["Group ID", "Connected To", "Backlog", "Oldest Pending"]);
    let mut endpoints = Table::new(&[
        "Group ID",
        "Host Name",
        "Priority",
        "State",
        "Connection State",
        "Attempts",
        "Last Error",
    ]);
    for group in &status.groups {
        groups.row(vec![
            group.group_id.clone(),
            output::or_dash(group.connected.as_ref().map(|c| c.host_name.as_str())),
            group.backlog.to_string(),
            group
                .oldest_pending_age_seconds
                .map(output::age)
                .unwrap_or_else(|| "-".to_owned()),
        ]);
        for endpoint in &group.endpoints {
            endpoints.row(vec![
                group.group_id.clone(),
                endpoint.host_name.clone(),
                endpoint.priority.to_string(),
                endpoint.state.clone(),
                endpoint.connection.state.clone(),
                endpoint.connection.attempts.to_string(),
                output::or_dash(endpoint.connection.last_error.as_deref()),
            ]);
        }
    }
    if status.groups.is_empty() {
        output::line("no endpoints registered")?;
    } else {
        groups.print()?;
        output::line("")?;
        endpoints.print()?;
    }
    output::line("")?;
    output::line("Configuration:")?;
    for entry in &status.configuration {
        output::line(&format!("  {}={}", entry.key, entry.value))?;
    }
    Ok(())
}
