//! `POST /api/v1/servers`: validate each entry of a details document and
//! register it.
//!
//! An entry is added without a pin when its chain is trusted and matches
//! the host. Otherwise the request must accept the leaf's fingerprint,
//! which is then pinned. Every entry is checked (duplicates, reachability,
//! certificate) before the first one is stored, so a bad entry adds none.
//! Connecting to the new records is the connection manager's job.

use std::path::PathBuf;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use futures_util::future::join_all;
use nbwss_protocol::details::{EndpointDetails, parse_details};
use nbwss_tls::{ChainReport, Fingerprint};
use serde::Deserialize;
use serde_json::Value;
use tracing::info;

use super::auth::Caller;
use super::body::parse_json;
use super::error::ApiError;
use super::probe::{pin_required, probe};
use super::state::AdminState;
use super::validate::{details_from_url, details_options};
use super::views::{AddResponse, AddedServer, ServerView};

/// The body of `POST /api/v1/servers`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddRequest {
    /// The details document: one object or an array.
    details: Option<Value>,
    /// An `https://` URL that returns the details document.
    details_url: Option<String>,
    /// CA file for `detailsUrl`, used instead of the system roots.
    ca_file: Option<PathBuf>,
    /// Fingerprints the administrator accepts: one string or an array.
    accept_fingerprint: Option<Accepted>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Accepted {
    One(String),
    Many(Vec<String>),
}

/// One entry that passed every check, ready to store.
struct Approved {
    details: EndpointDetails,
    report: Option<ChainReport>,
    pin: Option<Fingerprint>,
}

/// Validates and registers every entry of the document.
pub(super) async fn add(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<AddResponse>), ApiError> {
    let request: AddRequest = parse_json(&body)?;
    let accepted = parse_fingerprints(request.accept_fingerprint)?;
    let entries = read_entries(
        &state,
        request.details,
        request.details_url,
        request.ca_file,
    )
    .await?;
    check_duplicates(&state, &entries)?;
    let approved = approve_all(&state, entries, &accepted).await?;
    let mut added = Vec::with_capacity(approved.len());
    for Approved {
        details,
        report,
        pin,
    } in approved
    {
        let entry = state
            .blocking("adding an endpoint", move |registry| {
                registry.add(details, pin).map_err(ApiError::from)
            })
            .await?;
        let host = &entry.details.host_name;
        info!(
            host = %host,
            group = %entry.details.group_id,
            pinned = entry.pin.is_some(),
            key_id = %caller.key_id,
            "endpoint added"
        );
        let live = state.registry().live(host);
        added.push(AddedServer {
            server: ServerView::new(&entry, &live),
            report,
        });
    }
    Ok((StatusCode::CREATED, Json(AddResponse { added })))
}

fn parse_fingerprints(accepted: Option<Accepted>) -> Result<Vec<Fingerprint>, ApiError> {
    let texts = match accepted {
        None => Vec::new(),
        Some(Accepted::One(text)) => vec![text],
        Some(Accepted::Many(texts)) => texts,
    };
    texts
        .iter()
        .map(|text| {
            text.parse().map_err(|error| ApiError::InvalidBody {
                reason: format!("acceptFingerprint: {error}"),
            })
        })
        .collect()
}

async fn read_entries(
    state: &AdminState,
    details: Option<Value>,
    details_url: Option<String>,
    ca_file: Option<PathBuf>,
) -> Result<Vec<EndpointDetails>, ApiError> {
    match (details, details_url) {
        (Some(details), None) => {
            if ca_file.is_some() {
                return Err(ApiError::InvalidBody {
                    reason: "caFile is only accepted with detailsUrl".to_owned(),
                });
            }
            Ok(parse_details(&details.to_string(), details_options(state))?)
        }
        (None, Some(url)) => details_from_url(state, &url, ca_file.as_deref()).await,
        _ => Err(ApiError::InvalidBody {
            reason: "expected exactly one of \"details\" and \"detailsUrl\"".to_owned(),
        }),
    }
}

/// Rejects a host name that is registered or repeated in the document.
fn check_duplicates(state: &AdminState, entries: &[EndpointDetails]) -> Result<(), ApiError> {
    let mut seen = std::collections::BTreeSet::new();
    for details in entries {
        let host = &details.host_name;
        if state.registry().get(host).is_some() || !seen.insert(host.as_str()) {
            return Err(ApiError::DuplicateHost { host: host.clone() });
        }
    }
    Ok(())
}

/// Probes every entry and decides its pin; the first failure rejects all.
async fn approve_all(
    state: &AdminState,
    entries: Vec<EndpointDetails>,
    accepted: &[Fingerprint],
) -> Result<Vec<Approved>, ApiError> {
    let reports = join_all(entries.iter().map(|details| probe(state, details))).await;
    let mut approved = Vec::with_capacity(entries.len());
    for (details, result) in entries.into_iter().zip(reports) {
        let report = result.map_err(|error| ApiError::EndpointUnreachable {
            host: details.host_name.clone(),
            source: Box::new(error),
        })?;
        let pin = decide_pin(&details, report.as_ref(), accepted)?;
        approved.push(Approved {
            details,
            report,
            pin,
        });
    }
    check_all_used(accepted, &approved)?;
    Ok(approved)
}

/// Returns the pin for one entry, or why it cannot be added.
fn decide_pin(
    details: &EndpointDetails,
    report: Option<&ChainReport>,
    accepted: &[Fingerprint],
) -> Result<Option<Fingerprint>, ApiError> {
    // No report means a ws:// loopback endpoint, which only tests allow.
    let Some(report) = report else {
        return Ok(None);
    };
    let leaf = report.leaf_fingerprint;
    if accepted.contains(&leaf) {
        return Ok(Some(leaf));
    }
    if !pin_required(report) {
        return Ok(None);
    }
    let mut problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    if problems.is_empty() {
        problems.push("the chain is not trusted for this host".to_owned());
    }
    if !accepted.is_empty() {
        let given: Vec<String> = accepted.iter().map(ToString::to_string).collect();
        problems.push(format!(
            "the accepted fingerprint {} does not match the certificate's fingerprint {leaf}",
            given.join(", ")
        ));
    }
    Err(ApiError::CertificateNotTrusted {
        host: details.host_name.clone(),
        fingerprint: leaf.to_string(),
        problems: problems.join("; "),
        report: serde_json::to_value(report).unwrap_or(Value::Null),
    })
}

/// Rejects an accepted fingerprint that no endpoint presents: the
/// certificate may have changed since it was validated.
fn check_all_used(accepted: &[Fingerprint], approved: &[Approved]) -> Result<(), ApiError> {
    let presented: Vec<Fingerprint> = approved
        .iter()
        .filter_map(|entry| entry.report.as_ref().map(|report| report.leaf_fingerprint))
        .collect();
    match accepted.iter().find(|pin| !presented.contains(pin)) {
        Some(unused) => Err(ApiError::InvalidBody {
            reason: format!(
                "acceptFingerprint {unused} matches no endpoint's certificate (presented: {}); \
                 validate again and accept the fingerprint it shows",
                join_fingerprints(&presented)
            ),
        }),
        None => Ok(()),
    }
}

fn join_fingerprints(fingerprints: &[Fingerprint]) -> String {
    if fingerprints.is_empty() {
        return "none".to_owned();
    }
    fingerprints
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> EndpointDetails {
        EndpointDetails {
            host_name: "cloud.example".to_owned(),
            url: "wss://cloud.example/nbwss".to_owned(),
            group_id: "g1".to_owned(),
            priority: 0,
            token: "t".to_owned(),
        }
    }

    fn report(trusted: bool, host_matches: bool) -> ChainReport {
        ChainReport {
            certificates: Vec::new(),
            trusted,
            host_matches,
            problems: Vec::new(),
            leaf_fingerprint: Fingerprint([7; 32]),
        }
    }

    /// A trusted chain that matches the host is added without a pin.
    #[test]
    fn trusted_chain_needs_no_pin() {
        let pin = decide_pin(&entry(), Some(&report(true, true)), &[]);
        assert_eq!(pin.ok(), Some(None));
    }

    /// A trusted chain for another host needs an accepted fingerprint.
    #[test]
    fn wrong_host_needs_fingerprint() {
        let result = decide_pin(&entry(), Some(&report(true, false)), &[]);
        assert!(matches!(
            result,
            Err(ApiError::CertificateNotTrusted { .. })
        ));
    }

    /// An accepted fingerprint is pinned even for a trusted chain.
    #[test]
    fn accepted_fingerprint_is_pinned() {
        let leaf = Fingerprint([7; 32]);
        let pin = decide_pin(&entry(), Some(&report(true, true)), &[leaf]);
        assert_eq!(pin.ok(), Some(Some(leaf)));
    }

    /// An accepted fingerprint that no endpoint presents is rejected.
    #[test]
    fn unused_fingerprint_is_rejected() {
        let approved = [Approved {
            details: entry(),
            report: Some(report(true, true)),
            pin: None,
        }];
        let result = check_all_used(&[Fingerprint([9; 32])], &approved);
        assert!(matches!(result, Err(ApiError::InvalidBody { .. })));
    }
}
