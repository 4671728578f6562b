//! `nbwss keys create|list|delete`: admin API keys. Managing keys needs a
//! key with every permission, such as the data folder's admin.key.

use nbwss_service::admin::views::{ApiKeyList, ApiKeyView, CreatedApiKey};
use reqwest::Method;
use serde_json::json;

use crate::client::{AdminClient, ClientArgs};
use crate::output::{self, Table};
use crate::servers::{encode_segment, print_json_error};

/// Arguments of `nbwss keys`.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create a key; it is printed once and cannot be shown again.
    Create(CreateArgs),
    /// List keys without their secrets.
    List,
    /// Delete a key by id.
    Delete {
        /// The key's id, as listed.
        id: String,
    },
}

#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// A label for the key.
    #[arg(long)]
    name: String,
    /// Permissions: VIEW, CREATE, UPDATE, DELETE; repeat the flag or
    /// separate them with commas.
    #[arg(
        long = "permission",
        value_name = "PERMISSION",
        value_delimiter = ',',
        required = true
    )]
    permissions: Vec<String>,
}

/// Runs one `keys` subcommand.
pub async fn run(args: KeysArgs) -> anyhow::Result<()> {
    let result = dispatch(&args).await;
    print_json_error(&result, args.client.json)?;
    result
}

async fn dispatch(args: &KeysArgs) -> anyhow::Result<()> {
    let client = AdminClient::new(&args.client)?;
    let json = args.client.json;
    match &args.command {
        KeysCommand::Create(create) => {
            let body = json!({"name": create.name, "permissions": create.permissions});
            let created: CreatedApiKey = client
                .send(Method::POST, "/api/v1/api-keys", Some(&body))
                .await?;
            if json {
                return Ok(output::json(&created)?);
            }
            eprintln!(
                "created key {} ({}); store it now, it is not shown again:",
                created.record.id,
                created.record.permissions.join(",")
            );
            Ok(output::line(&created.key)?)
        }
        KeysCommand::List => {
            let list: ApiKeyList = client.send(Method::GET, "/api/v1/api-keys", None).await?;
            if json {
                return Ok(output::json(&list)?);
            }
            let mut table = Table::new(&["ID", "Name", "Permissions", "Created"]);
            for key in &list.api_keys {
                table.row(vec![
                    key.id.clone(),
                    key.name.clone(),
                    key.permissions.join(","),
                    output::utc_time(key.created_at),
                ]);
            }
            Ok(table.print()?)
        }
        KeysCommand::Delete { id } => {
            let path = format!("/api/v1/api-keys/{}", encode_segment(id));
            let deleted: ApiKeyView = client.send(Method::DELETE, &path, None).await?;
            if json {
                return Ok(output::json(&deleted)?);
            }
            Ok(output::line(&format!(
                "deleted key {} ({})",
                deleted.id, deleted.name
            ))?)
        }
    }
}
