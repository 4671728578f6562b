//! `nbwss reload`: makes the service read nbwss.properties again and
//! prints which changed keys took effect and which need a restart.

use nbwss_service::admin::views::ReloadView;
use reqwest::Method;

use crate::client::{AdminClient, ClientArgs};
use crate::output;
use crate::servers::print_json_error;

/// Arguments of `nbwss reload`.
#[derive(Debug, clap::Args)]
pub struct ReloadArgs {
    #[command(flatten)]
    client: ClientArgs,
}

/// Asks the service to reload and prints the outcome.
pub async fn run(args: ReloadArgs) -> anyhow::Result<()> {
    let result = reload(&args).await;
    print_json_error(&result, args.client.json)?;
    result
}

async fn reload(args: &ReloadArgs) -> anyhow::Result<()> {
    let client = AdminClient::new(&args.client)?;
    let view: ReloadView = client.send(Method::POST, "/api/v1/reload", None).await?;
    if args.client.json {
        return Ok(output::json(&view)?);
    }
    if view.changed.is_empty() {
        return Ok(output::line("no changes")?);
    }
    if !view.applied.is_empty() {
        output::line(&format!("applied: {}", view.applied.join(", ")))?;
    }
    if !view.restart_required.is_empty() {
        output::line(&format!(
            "applies after a restart: {}",
            view.restart_required.join(", ")
        ))?;
    }
    Ok(())
}
