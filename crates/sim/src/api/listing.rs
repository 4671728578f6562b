//! List requests and JSON:API list documents, shared by the jobs, images
//! and VM servers collections.
//!
//! Query parameters: `filter` (see `crate::filter`), `sort` (comma-separated
//! field names, `-` in front for descending), `page[limit]` (1 to 100,
//! default 10) and `page[offset]` (default 0). Any other parameter is
//! rejected. Each collection supplies its fields and orderings, and fetching the
//! items is left to the handlers.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::error::ApiError;
use crate::filter::{Field, Filter, Filterable};

/// Page size when `page[limit]` is absent.
pub(crate) const DEFAULT_LIMIT: usize = 10;

/// Largest accepted `page[limit]`.
pub(crate) const MAX_LIMIT: usize = 100;

const PARAMETERS: &str = "filter, sort, page[limit], page[offset]";

/// The description of one collection that the list functions work from.
pub(crate) struct Collection<T> {
    /// Path of the collection, such as `/netbackup/admin/jobs`.
    pub path: &'static str,
    /// JSON:API resource type, such as `job`.
    pub type_name: &'static str,
    pub filter_fields: &'static [Field],
    pub sort_fields: &'static [&'static str],
    /// Sort applied when the request has none, such as `-jobId`.
    pub default_sort: &'static str,
    pub id: fn(&T) -> String,
    pub attributes: fn(&T) -> Value,
    pub compare: fn(&T, &T, &str) -> Ordering,
}

/// One sort field and its direction.
#[derive(Clone, Copy, Debug)]
struct SortKey {
    field: &'static str,
    descending: bool,
}

/// The validated query parameters of a list request.
pub(crate) struct ListParams {
    filter: Filter,
    filter_text: Option<String>,
    sort: Vec<SortKey>,
    sort_text: Option<String>,
    limit: usize,
    offset: usize,
}

impl ListParams {
    /// Checks the decoded query `pairs` against `collection`.
    pub(crate) fn parse<T>(
        pairs: Vec<(String, String)>,
        collection: &Collection<T>,
    ) -> Result<Self, ApiError> {
        let mut filter_text = None;
        let mut sort_text = None;
        let mut limit_text = None;
        let mut offset_text = None;
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "filter" => &mut filter_text,
                "sort" => &mut sort_text,
                "page[limit]" => &mut limit_text,
                "page[offset]" => &mut offset_text,
                _ => {
                    return Err(ApiError::UnknownParameter {
                        name,
                        accepted: PARAMETERS.to_owned(),
                    });
                }
            };
            if slot.replace(value).is_some() {
                return Err(ApiError::RepeatedParameter { name });
            }
        }
        let filter = match &filter_text {
            Some(text) => Filter::parse(text, collection.filter_fields)?,
            None => Filter::default(),
        };
        let sort_source = sort_text.as_deref().unwrap_or(collection.default_sort);
        let sort = parse_sort(sort_source, collection.sort_fields)?;
        let limit = match limit_text {
            Some(text) => parse_limit(&text)?,
            None => DEFAULT_LIMIT,
        };
        let offset = match offset_text {
            Some(text) => text.parse().map_err(|_| ApiError::InvalidParameter {
                name: "page[offset]".to_owned(),
                value: text,
                expected: "an integer of 0 or more".to_owned(),
            })?,
            None => 0,
        };
        Ok(Self {
            filter,
            filter_text,
            sort,
            sort_text,
            limit,
            offset,
        })
    }

    fn compare<T>(&self, collection: &Collection<T>, a: &T, b: &T) -> Ordering {
        for key in &self.sort {
            let ordering = (collection.compare)(a, b, key.field);
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }

    /// Builds the link to the page at `offset`, keeping the request's filter
    /// and sort.
    fn link(&self, path: &str, offset: usize) -> Value {
        let mut query = format!("page[offset]={offset}&page[limit]={}", self.limit);
        if let Some(filter) = &self.filter_text {
            query.push_str("&filter=");
            query.push_str(&percent_encode(filter));
        }
        if let Some(sort) = &self.sort_text {
            query.push_str("&sort=");
            query.push_str(&percent_encode(sort));
        }
        json!({"href": format!("{path}?{query}")})
    }
}

fn parse_sort(text: &str, fields: &'static [&'static str]) -> Result<Vec<SortKey>, ApiError> {
    let invalid = || ApiError::InvalidParameter {
        name: "sort".to_owned(),
        value: text.to_owned(),
        expected: format!(
            "comma-separated fields from {}, each with an optional '-' for descending",
            fields.join(", ")
        ),
    };
    text.split(',')
        .map(|part| {
            let (name, descending) = match part.strip_prefix('-') {
                Some(name) => (name, true),
                None => (part, false),
            };
            let field = fields
                .iter()
                .find(|field| **field == name)
                .ok_or_else(invalid)?;
            Ok(SortKey { field, descending })
        })
        .collect()
}

fn parse_limit(text: &str) -> Result<usize, ApiError> {
    match text.parse::<usize>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(ApiError::InvalidParameter {
            name: "page[limit]".to_owned(),
            value: text.to_owned(),
            expected: format!("an integer from 1 to {MAX_LIMIT}"),
        }),
    }
}

/// Encodes every byte except the RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Builds the JSON:API resource object for `item`, with a `self` link.
pub(crate) fn resource_object<T>(collection: &Collection<T>, item: &T) -> Value {
    let id = (collection.id)(item);
    json!({
        "type": collection.type_name,
        "id": id,
        "attributes": (collection.attributes)(item),
        "links": {"self": {"href": format!("{}/{}", collection.path, percent_encode(&id))}},
    })
}

/// Filters, sorts and pages `items` into a JSON:API list document with
/// `meta.pagination` and `links`.
///
/// `pagination` carries `count` (matching items), `offset`, `limit`,
/// `page` (zero-based), `pages`, and the offsets `first`, `last`, and
/// `next` / `prev` when such a page exists.
pub(crate) fn list_document<'a, T: Filterable + 'a>(
    collection: &Collection<T>,
    params: &ListParams,
    items: impl Iterator<Item = &'a T>,
) -> Value {
    let mut matched: Vec<&T> = items.filter(|item| params.filter.matches(*item)).collect();
    // A stable sort, so ties keep the collection's own order.
    matched.sort_by(|a, b| params.compare(collection, a, b));
    let count = matched.len();
    let data: Vec<Value> = matched
        .iter()
        .skip(params.offset)
        .take(params.limit)
        .map(|item| resource_object(collection, item))
        .collect();

    let limit = params.limit;
    let pages = count.div_ceil(limit);
    let last = pages.saturating_sub(1) * limit;
    let mut pagination = json!({
        "count": count,
        "offset": params.offset,
        "limit": limit,
        "page": params.offset / limit,
        "pages": pages,
        "first": 0,
        "last": last,
    });
    let mut links = json!({
        "self": params.link(collection.path, params.offset),
        "first": params.link(collection.path, 0),
        "last": params.link(collection.path, last),
    });
    let next = params.offset.saturating_add(limit);
    if next < count {
        pagination["next"] = json!(next);
        links["next"] = params.link(collection.path, next);
    }
    if params.offset > 0 {
        let prev = params.offset.saturating_sub(limit);
        pagination["prev"] = json!(prev);
        links["prev"] = params.link(collection.path, prev);
    }
    json!({"data": data, "meta": {"pagination": pagination}, "links": links})
}
