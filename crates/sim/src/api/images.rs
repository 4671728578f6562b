//! `GET /netbackup/catalog/images` and `GET /netbackup/catalog/images/{backupId}`.
//!
//! Listing rules live in `listing`, and the catalog itself lives in
//! `crate::image`.

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
use crate::image::{self, Image};

const IMAGES: Collection<Image> = Collection {
    path: "/netbackup/catalog/images",
    type_name: "image",
    filter_fields: image::FILTER_FIELDS,
    sort_fields: image::SORT_FIELDS,
    default_sort: "-backupTime",
    id: image_id,
    attributes: image_attributes,
    compare: image::compare_images,
};

fn image_id(image: &Image) -> String {
    image.backup_id.clone()
}

fn image_attributes(image: &Image) -> serde_json::Value {
    json!(image)
}

/// Lists catalog images, by default the newest backup first and 10 per page.
pub(crate) async fn list(
    State(sim): State<Arc<Simulator>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(ApiError::MalformedQuery)?;
    let params = ListParams::parse(pairs, &IMAGES)?;
    let document = list_document(&IMAGES, &params, sim.state().catalog.iter());
    Ok(json_response(StatusCode::OK, &document))
}

/// Returns one image, 404 when no image has that backup id.
pub(crate) async fn get(
    State(sim): State<Arc<Simulator>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(backup_id) = path.map_err(ApiError::MalformedPath)?;
    let state = sim.state();
    let image = state
        .catalog
        .get(&backup_id)
        .ok_or_else(|| ApiError::NotFound {
            resource: "image",
            id: backup_id.clone(),
        })?;
    let document = json!({"data": resource_object(&IMAGES, image)});
    Ok(json_response(StatusCode::OK, &document))
}
