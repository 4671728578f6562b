//! `nbwss secrets set-upstream-api-key|delete-upstream-api-key`: the job
//! poller's API key for the backup server's REST API.
//!
//! The value is read from `--value-file` or from stdin, never from a flag,
//! so it stays out of the process list and the shell history. One trailing
//! line break is removed; other surrounding whitespace is rejected by the
//! service.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use nbwss_service::admin::views::SecretView;
use reqwest::Method;
use serde_json::json;

use crate::client::{AdminClient, ClientArgs};
use crate::output;
use crate::servers::print_json_error;

/// Arguments of `nbwss secrets`.
#[derive(Debug, clap::Args)]
pub struct SecretsArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: SecretsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SecretsCommand {
    /// Store the upstream API key, read from --value-file or stdin.
    SetUpstreamApiKey {
        /// File holding the key; without it the key is read from stdin.
        #[arg(long, value_name = "FILE")]
        value_file: Option<PathBuf>,
    },
    /// Delete the upstream API key.
    DeleteUpstreamApiKey,
}

const PATH: &str = "/api/v1/secrets/upstream-api-key";

/// Runs one `secrets` subcommand.
pub async fn run(args: SecretsArgs) -> anyhow::Result<()> {
    let result = dispatch(&args).await;
    print_json_error(&result, args.client.json)?;
    result
}

async fn dispatch(args: &SecretsArgs) -> anyhow::Result<()> {
    let client = AdminClient::new(&args.client)?;
    let view: SecretView = match &args.command {
        SecretsCommand::SetUpstreamApiKey { value_file } => {
            let value = read_value(value_file.as_ref())?;
            client
                .send(Method::PUT, PATH, Some(&json!({"value": value})))
                .await?
        }
        SecretsCommand::DeleteUpstreamApiKey => client.send(Method::DELETE, PATH, None).await?,
    };
    if args.client.json {
        return Ok(output::json(&view)?);
    }
    let state = if view.set { "stored" } else { "deleted" };
    Ok(output::line(&format!("{}: {state}", view.name))?)
}

fn read_value(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let mut text = String::new();
    match file {
        Some(path) => {
            text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read {}", path.display()))?;
        }
        None => {
            std::io::stdin()
                .read_to_string(&mut text)
                .context("failed to read the key from stdin")?;
        }
    }
    let value = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    Ok(value.to_owned())
}
