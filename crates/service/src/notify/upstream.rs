//! Reads the jobs changed since a time from the REST API:
//! `GET /netbackup/admin/jobs` with `filter=lastUpdateTime gt <time>`,
//! `sort=lastUpdateTime` and `page[offset]` paging through every page of
//! [`PAGE_LIMIT`] jobs.
//!
//! The client trusts the system roots plus `command.upstreamCaFile`,
//! follows no redirects and ignores proxy variables, like the command
//! relay's client. Deciding what the jobs mean is left to the poller.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use nbwss_store::Secret;
use reqwest::Url;
use serde_json::Value;
use time::OffsetDateTime;

use super::PollerSettings;
use super::jobs::{self, JobError, UpstreamJob};

/// Jobs per page, the largest the REST API accepts.
pub(super) const PAGE_LIMIT: usize = 100;

/// Most pages read in one scan: 1,000,000 jobs at [`PAGE_LIMIT`] per page.
/// A scan that reaches it ends there, and the next poll continues from
/// where it stopped.
const MAX_PAGES: usize = 10_000;

/// Largest page body accepted. A page of 100 jobs is about 150 KB.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Media type sent in `Accept`, with the API version whose jobs list has
/// the fields used here.
const ACCEPT: &str = "application/vnd.netbackup+json;version=8.0";

const JOBS_PATH: &str = "/netbackup/admin/jobs";

/// Errors from reading the jobs list.
#[derive(Debug, thiserror::Error)]
pub(super) enum UpstreamError {
    /// `command.upstreamUrl` is not a usable base URL.
    #[error("invalid upstream URL {url:?}: {problem}")]
    InvalidUrl {
        /// The configured URL.
        url: String,
        /// The parse error's description.
        problem: String,
    },
    /// The CA file could not be loaded.
    #[error("failed to load the upstream CA file {path:?}")]
    CaFile {
        /// `command.upstreamCaFile`.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: nbwss_tls::RootsError,
    },
    /// The HTTP client could not be built.
    #[error("failed to build the upstream HTTP client")]
    Client(#[source] reqwest::Error),
    /// The request failed or timed out before a full response arrived.
    #[error("jobs request failed")]
    Request(#[source] reqwest::Error),
    /// The REST API returned an error status.
    #[error("jobs request returned HTTP {status}: {message}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The API's `errorMessage`, or the start of the body.
        message: String,
    },
    /// The page body exceeded [`MAX_PAGE_BYTES`].
    #[error("jobs page is larger than {MAX_PAGE_BYTES} bytes")]
    TooLarge,
    /// The page is not a JSON:API list document.
    #[error("jobs page is not a valid list document: {problem}")]
    InvalidDocument {
        /// The missing or malformed part.
        problem: String,
    },
}

/// The result of reading every page.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Jobs in the order read, which is ascending `lastUpdateTime` except
    /// that a job changed during the scan shows up again at the end.
    pub jobs: Vec<UpstreamJob>,
    /// Resources that could not be mapped, by resource id.
    pub rejected: Vec<(String, JobError)>,
    /// The `lastUpdateTime` of the last job of the first page.
    pub first_page_last: Option<OffsetDateTime>,
    /// A job id appeared twice, so a job changed during the scan and moved
    /// to the end of the list. Jobs after its old place moved up one
    /// position, and one of them may have fallen between two pages.
    pub shifted: bool,
    /// The scan stopped at [`MAX_PAGES`] before the last page.
    pub truncated: bool,
}

/// A client for the jobs list.
pub(super) struct Upstream {
    client: reqwest::Client,
    jobs_url: Url,
    timeout: Duration,
}

impl Upstream {
    /// Builds the client from the poller's settings.
    pub fn new(settings: &PollerSettings) -> Result<Upstream, UpstreamError> {
        let jobs_url = Url::parse(&settings.upstream_url)
            .and_then(|base| base.join(JOBS_PATH))
            .map_err(|error| UpstreamError::InvalidUrl {
                url: settings.upstream_url.clone(),
                problem: error.to_string(),
            })?;
        let ca_file = settings.ca_file.as_deref();
        let roots =
            nbwss_tls::root_store(ca_file, true).map_err(|source| UpstreamError::CaFile {
                path: ca_file.map(Path::to_path_buf).unwrap_or_default(),
                source,
            })?;
        let tls = std::sync::Arc::unwrap_or_clone(nbwss_tls::client_config(roots, None));
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(UpstreamError::Client)?;
        Ok(Upstream {
            client,
            jobs_url,
            timeout: settings.request_timeout,
        })
    }

    /// Reads every job whose `lastUpdateTime` is after `since`.
    pub async fn jobs_since(
        &self,
        api_key: &Secret,
        since: OffsetDateTime,
    ) -> Result<Scan, UpstreamError> {
        let filter = format!("lastUpdateTime gt {}", jobs::format_time(since));
        let mut scan = Scan::default();
        let mut seen = HashSet::new();
        let mut offset = 0;
        for page_number in 0..MAX_PAGES {
            let page = self.page(api_key, &filter, offset).await?;
            let data = page
                .get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("\"data\" is missing or not an array"))?;
            for resource in data {
                match jobs::from_resource(resource) {
                    Ok(job) => {
                        if !seen.insert(job.record.job_id) {
                            scan.shifted = true;
                        }
                        scan.jobs.push(job);
                    }
                    Err(error) => scan.rejected.push((resource_id(resource), error)),
                }
            }
            if page_number == 0 {
                scan.first_page_last = scan.jobs.last().map(|job| job.last_update);
            }
            match next_offset(&page)? {
                Some(next) if !data.is_empty() && next > offset => offset = next,
                _ => return Ok(scan),
            }
        }
        scan.truncated = true;
        Ok(scan)
    }

    async fn page(
        &self,
        api_key: &Secret,
        filter: &str,
        offset: usize,
    ) -> Result<Value, UpstreamError> {
        let mut url = self.jobs_url.clone();
        url.query_pairs_mut()
            .append_pair("filter", filter)
            .append_pair("sort", "lastUpdateTime")
            .append_pair("page[limit]", &PAGE_LIMIT.to_string())
            .append_pair("page[offset]", &offset.to_string());
        let mut response = self
            .client
            .get(url)
            .header(reqwest::header::AUTHORIZATION, api_key.expose())
            .header(reqwest::header::ACCEPT, ACCEPT)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(UpstreamError::Request)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(UpstreamError::Request)? {
            if body.len() + chunk.len() > MAX_PAGE_BYTES {
                return Err(UpstreamError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(UpstreamError::Status {
                status: status.as_u16(),
                message: error_message(&body),
            });
        }
        serde_json::from_slice(&body).map_err(|error| invalid(&format!("not JSON ({error})")))
    }
}

/// Reads `meta.pagination.next`; `None` on the last page.
fn next_offset(page: &Value) -> Result<Option<usize>, UpstreamError> {
    let pagination = page
        .pointer("/meta/pagination")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("\"meta.pagination\" is missing"))?;
    match pagination.get("next") {
        None | Some(Value::Null) => Ok(None),
        Some(next) => next
            .as_u64()
            .and_then(|next| usize::try_from(next).ok())
            .map(Some)
            .ok_or_else(|| invalid("\"meta.pagination.next\" is not an offset")),
    }
}

/// Returns the API's `errorMessage`, or the body's first 200 characters.
fn error_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(message) = parsed
        .as_ref()
        .and_then(|value| value.get("errorMessage"))
        .and_then(Value::as_str)
    {
        return message.to_owned();
    }
    String::from_utf8_lossy(body).chars().take(200).collect()
}

fn resource_id(resource: &Value) -> String {
    match resource.get("id") {
        Some(Value::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => "?".to_owned(),
    }
}

fn invalid(problem: &str) -> UpstreamError {
    UpstreamError::InvalidDocument {
        problem: problem.to_owned(),
    }
}
