//! `GET /netbackup/admin/jobs` and `GET /netbackup/admin/jobs/{jobId}`.
//!
//! Listing rules (filter, sort, paging) live in `listing`, and the job
//! records and their life cycle live in `crate::job`.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::error::ApiError;
use super::json_response;
use super::listing::{Collection, ListParams, list_document, resource_object};
use crate::Simulator;
use crate::job::{self, Job};

const JOBS: Collection<Job> = Collection {
    path: "/netbackup/admin/jobs",
    type_name: "job",
    filter_fields: job::FILTER_FIELDS,
    sort_fields: job::SORT_FIELDS,
    default_sort: "-jobId",
    id: job_id,
    attributes: job_attributes,
    compare: job::compare_jobs,
};

fn job_id(job: &Job) -> String {
    job.job_id.to_string()
}

fn job_attributes(job: &Job) -> serde_json::Value {
    json!(job)
}

/// Lists jobs, by default the newest first (`sort=-jobId`) and 10 per page.
pub(crate) async fn list(
    State(sim): State<Arc<Simulator>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(ApiError::MalformedQuery)?;
    let params = ListParams::parse(pairs, &JOBS)?;
    let document = list_document(&JOBS, &params, sim.state().jobs.values());
    Ok(json_response(StatusCode::OK, &document))
}

/// Returns one job, 404 when no job has that id.
pub(crate) async fn get(
    State(sim): State<Arc<Simulator>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id_text) = path.map_err(ApiError::MalformedPath)?;
    let id: u64 = id_text.parse().map_err(|_| ApiError::InvalidParameter {
        name: "jobId".to_owned(),
        value: id_text.clone(),
        expected: "a positive integer".to_owned(),
    })?;
    let state = sim.state();
    let job = state.jobs.get(&id).ok_or_else(|| ApiError::NotFound {
        resource: "job",
        id: id_text.clone(),
    })?;
    let document = json!({"data": resource_object(&JOBS, job)});
    Ok(json_response(StatusCode::OK, &document))
}
