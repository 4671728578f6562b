//! `nbwss servers list|validate|add|activate|deactivate|remove|show-token`:
//! the WebSocket servers (cloud endpoints) the service connects to.
//!
//! Every operation is one admin API call. `add` prints the certificate
//! report. When the chain is not trusted and no fingerprint was accepted,
//! `add` prints the fingerprint and the exact command that accepts it, then
//! fails. Only `show-token` prints a token.

use std::path::PathBuf;

use anyhow::Context;
use nbwss_service::admin::views::{
    AddResponse, DetailsView, ServerList, ServerView, TokenView, ValidateResponse,
};
use nbwss_tls::ChainReport;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{AdminClient, ClientArgs, ClientError};
use crate::output::{self, Table};

/// Arguments of `nbwss servers`.
#[derive(Debug, clap::Args)]
pub struct ServersArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: ServersCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ServersCommand {
    /// List every endpoint with its state and connection.
    List,
    /// Report each endpoint's certificate chain; stores nothing.
    Validate(Source),
    /// Validate and register endpoints.
    Add(AddArgs),
    /// Let the service connect to an endpoint.
    Activate(Host),
    /// Stop using an endpoint; a live connection is closed.
    Deactivate(Host),
    /// Delete an endpoint; a live connection is closed.
    Remove(Host),
    /// Print an endpoint's token.
    ShowToken(Host),
}

/// The source of the endpoint details: a file or an https:// URL.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "url"])))]
struct Source {
    /// JSON file with one endpoint's details or an array of them.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// https:// URL that returns the details (the provider's generated URL).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// PEM file with the CA of the --url server, used instead of the
    /// system roots.
    #[arg(long, value_name = "FILE", requires = "url")]
    ca_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    #[command(flatten)]
    source: Source,
    /// SHA-256 leaf certificate fingerprint to accept and pin (AB:CD:...),
    /// as printed by validate; may be repeated.
    #[arg(long, value_name = "FINGERPRINT")]
    accept_fingerprint: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct Host {
    /// The endpoint's hostName.
    host: String,
}

/// Runs one `servers` subcommand.
pub async fn run(args: ServersArgs) -> anyhow::Result<()> {
    let client = AdminClient::new(&args.client)?;
    let json = args.client.json;
    let result = match args.command {
        ServersCommand::List => list(&client, json).await,
        ServersCommand::Validate(source) => validate(&client, &source, json).await,
        ServersCommand::Add(add_args) => add(&client, &add_args, json).await,
        ServersCommand::Activate(host) => {
            change(&client, Method::POST, &host, "activate", json).await
        }
        ServersCommand::Deactivate(host) => {
            change(&client, Method::POST, &host, "deactivate", json).await
        }
        ServersCommand::Remove(host) => change(&client, Method::DELETE, &host, "", json).await,
        ServersCommand::ShowToken(host) => show_token(&client, &host, json).await,
    };
    print_json_error(&result, json)?;
    result
}

/// In `--json` mode, prints an API error body so scripts can read it.
pub fn print_json_error(result: &anyhow::Result<()>, json: bool) -> anyhow::Result<()> {
    if let (true, Err(error)) = (json, result) {
        if let Some(body) = error
            .downcast_ref::<ClientError>()
            .and_then(ClientError::as_json)
        {
            output::json(&body)?;
        }
    }
    Ok(())
}

async fn list(client: &AdminClient, json: bool) -> anyhow::Result<()> {
    let list: ServerList = client.send(Method::GET, "/api/v1/servers", None).await?;
    if json {
        return Ok(output::json(&list)?);
    }
    if list.servers.is_empty() {
        return Ok(output::line(
            "no endpoints registered; add one with `nbwss servers add --file FILE`",
        )?);
    }
    let mut table = Table::new(&[
        "Host Name",
        "URL",
        "Group ID",
        "Priority",
        "State",
        "Connection State",
        "Last Error",
    ]);
    for server in &list.servers {
        table.row(vec![
            server.host_name.clone(),
            server.url.clone(),
            server.group_id.clone(),
            server.priority.to_string(),
            server.state.clone(),
            server.connection.state.clone(),
            output::or_dash(server.connection.last_error.as_deref()),
        ]);
    }
    Ok(table.print()?)
}

async fn validate(client: &AdminClient, source: &Source, json: bool) -> anyhow::Result<()> {
    let response: ValidateResponse = match (&source.file, &source.url) {
        (Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("failed to read {}", file.display()))?;
            client
                .send_text(Method::POST, "/api/v1/servers/validate", Some(text))
                .await?
        }
        (None, Some(url)) => {
            let body = json!({"url": url, "caFile": source.ca_file});
            client
                .send(Method::POST, "/api/v1/servers/validate-url", Some(&body))
                .await?
        }
        (None, None) => anyhow::bail!("expected --file or --url"),
    };
    if json {
        output::json(&response)?;
    } else {
        for check in &response.endpoints {
            output::report(
                &heading(&check.details),
                check.report.as_ref(),
                check.error.as_deref(),
            )?;
            if check.registered {
                output::line("  already registered")?;
            }
            if check.pin_required {
                let fingerprint = check
                    .report
                    .as_ref()
                    .map(|r| r.leaf_fingerprint.to_string());
                output::line(&format!(
                    "  not trusted for this host: add it with --accept-fingerprint {}",
                    fingerprint.unwrap_or_default()
                ))?;
            }
        }
    }
    let unchecked = response
        .endpoints
        .iter()
        .filter(|check| check.error.is_some())
        .count();
    if unchecked > 0 {
        anyhow::bail!("{unchecked} endpoint(s) could not be checked");
    }
    Ok(())
}

async fn add(client: &AdminClient, args: &AddArgs, json: bool) -> anyhow::Result<()> {
    let mut body = serde_json::Map::new();
    match (&args.source.file, &args.source.url) {
        (Some(file), _) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("failed to read {}", file.display()))?;
            let details: Value = serde_json::from_str(&text).with_context(|| {
                format!("endpoint details in {} are not valid JSON", file.display())
            })?;
            body.insert("details".to_owned(), details);
        }
        (None, Some(url)) => {
            body.insert("detailsUrl".to_owned(), json!(url));
            if let Some(ca_file) = &args.source.ca_file {
                body.insert("caFile".to_owned(), json!(ca_file));
            }
        }
        (None, None) => anyhow::bail!("expected --file or --url"),
    }
    if !args.accept_fingerprint.is_empty() {
        body.insert(
            "acceptFingerprint".to_owned(),
            json!(args.accept_fingerprint),
        );
    }
    let result: Result<AddResponse, ClientError> = client
        .send(Method::POST, "/api/v1/servers", Some(&Value::Object(body)))
        .await;
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            if !json && explain_untrusted(&error)? {
                anyhow::bail!("no endpoint was added");
            }
            return Err(error.into());
        }
    };
    if json {
        return Ok(output::json(&response)?);
    }
    for added in &response.added {
        let server = &added.server;
        let details = DetailsView {
            host_name: server.host_name.clone(),
            url: server.url.clone(),
            group_id: server.group_id.clone(),
            priority: server.priority,
            token: String::new(),
        };
        output::report(&heading(&details), added.report.as_ref(), None)?;
        let pin = match &server.pinned_fingerprint {
            Some(fingerprint) => format!("pinned {fingerprint}"),
            None => "trusted chain, no pin".to_owned(),
        };
        output::line(&format!("added {} ({pin})", server.host_name))?;
    }
    Ok(())
}

/// Prints the report, the fingerprint and the command that accepts it when
/// `error` is an untrusted chain, and returns whether it was. Other errors
/// print nothing here.
fn explain_untrusted(error: &ClientError) -> anyhow::Result<bool> {
    let ClientError::Api {
        code,
        details: Some(details),
        ..
    } = error
    else {
        return Ok(false);
    };
    if code != "CERTIFICATE_NOT_TRUSTED" {
        return Ok(false);
    }
    let fingerprint = details["fingerprint"].as_str().unwrap_or_default();
    let host = details["hostName"].as_str().unwrap_or_default();
    if let Ok(report) = serde_json::from_value::<ChainReport>(details["report"].clone()) {
        output::report(host, Some(&report), None)?;
    }
    output::line(&format!(
        "The certificate of {host} is not trusted. Its SHA-256 fingerprint is\n  {fingerprint}\n\
         Compare it with the one the cloud provider publishes. If they match, run:\n  {}",
        accept_command(fingerprint)
    ))?;
    Ok(true)
}

/// This command line with `--accept-fingerprint` set to `fingerprint`,
/// without any `--api-key` value, quoted for a POSIX shell.
fn accept_command(fingerprint: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut arguments = std::env::args_os().map(|argument| argument.to_string_lossy().into_owned());
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--accept-fingerprint" | "--api-key" => {
                arguments.next();
            }
            other
                if other.starts_with("--accept-fingerprint=")
                    || other.starts_with("--api-key=") => {}
            _ => words.push(argument),
        }
    }
    words.push("--accept-fingerprint".to_owned());
    words.push(fingerprint.to_owned());
    words
        .iter()
        .map(|word| shell_quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Formats the first line of an endpoint's report.
fn heading(details: &DetailsView) -> String {
    format!(
        "{}  {}  group {}  priority {}",
        details.host_name, details.url, details.group_id, details.priority
    )
}

async fn change(
    client: &AdminClient,
    method: Method,
    host: &Host,
    action: &str,
    json: bool,
) -> anyhow::Result<()> {
    let mut path = format!("/api/v1/servers/{}", encode_segment(&host.host));
    if !action.is_empty() {
        path = format!("{path}/{action}");
    }
    let server: ServerView = client.send(method.clone(), &path, None).await?;
    if json {
        return Ok(output::json(&server)?);
    }
    let done = if method == Method::DELETE {
        "removed".to_owned()
    } else {
        server.state.clone()
    };
    Ok(output::line(&format!("{}: {done}", server.host_name))?)
}

async fn show_token(client: &AdminClient, host: &Host, json: bool) -> anyhow::Result<()> {
    let path = format!("/api/v1/servers/{}/token", encode_segment(&host.host));
    let token: TokenView = client.send(Method::GET, &path, None).await?;
    if json {
        return Ok(output::json(&token)?);
    }
    Ok(output::line(&token.token)?)
}

/// Percent-encodes a path segment; host names rarely need it, but a typo
/// with `/` or `?` must not change the route.
pub fn encode_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters a shell would interpret are quoted.
    #[test]
    fn shell_quote_quotes_spaces() {
        assert_eq!(shell_quote("a b"), "'a b'");
    }

    /// A fingerprint needs no quoting.
    #[test]
    fn shell_quote_keeps_fingerprint() {
        assert_eq!(shell_quote("AB:CD"), "AB:CD");
    }

    /// A slash in a host name cannot change the route.
    #[test]
    fn encode_segment_escapes_slash() {
        assert_eq!(encode_segment("a/b"), "a%2Fb");
    }
}
