//! The JSON bodies the admin API returns, as types the command line can
//! deserialize too. Field names are camelCase on the wire.
//!
//! Only [`TokenView`] carries a token; [`DetailsView`] always shows it as
//! `***`. Building these from the registry is left to the handlers.

use nbwss_protocol::details::EndpointDetails;
use nbwss_tls::ChainReport;
use serde::{Deserialize, Serialize};

use crate::registry::{EndpointEntry, LiveStatus};

/// What a masked token is shown as.
pub const MASKED_TOKEN: &str = "***";

/// One registered endpoint, as `GET /api/v1/servers` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerView {
    /// The record's unique key.
    pub host_name: String,
    /// `wss://host[:port]/path`.
    pub url: String,
    /// The endpoint's group.
    pub group_id: String,
    /// Lower is tried first within the group.
    pub priority: u32,
    /// `ACTIVATED` or `DEACTIVATED`.
    pub state: String,
    /// The pinned leaf fingerprint, when the chain was accepted by pin.
    pub pinned_fingerprint: Option<String>,
    /// Registration time, seconds since the Unix epoch.
    pub created_at: i64,
    /// The live connection state.
    pub connection: ConnectionView,
}

impl ServerView {
    /// Builds the view of `entry` with its live state.
    pub fn new(entry: &EndpointEntry, live: &LiveStatus) -> ServerView {
        ServerView {
            host_name: entry.details.host_name.clone(),
            url: entry.details.url.clone(),
            group_id: entry.details.group_id.clone(),
            priority: entry.details.priority,
            state: activation_name(entry.activated).to_owned(),
            pinned_fingerprint: entry.pin.map(|pin| pin.to_string()),
            created_at: entry.created_at,
            connection: ConnectionView::from(live),
        }
    }
}

/// `ACTIVATED` or `DEACTIVATED`.
pub fn activation_name(activated: bool) -> &'static str {
    if activated {
        "ACTIVATED"
    } else {
        "DEACTIVATED"
    }
}

/// An endpoint's live connection state.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    /// `CONNECTED`, `CONNECTING`, `DISCONNECTED` or `REJECTED`.
    pub state: String,
    /// When the state last changed, seconds since the Unix epoch.
    pub since: i64,
    /// The last error, without secrets.
    pub last_error: Option<String>,
    /// Attempts since the last successful CONNECT.
    pub attempts: u64,
    /// Id of the current or last connection.
    pub conn_id: Option<u64>,
}

impl From<&LiveStatus> for ConnectionView {
    fn from(live: &LiveStatus) -> Self {
        let state = serde_json::to_value(live.state)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        ConnectionView {
            state,
            since: live.since,
            last_error: live.last_error.clone(),
            attempts: live.attempts,
            conn_id: live.conn_id,
        }
    }
}

/// The body of `GET /api/v1/servers`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerList {
    /// Every record, ordered by host name.
    pub servers: Vec<ServerView>,
}

/// Endpoint details with the token masked.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailsView {
    /// Host name.
    pub host_name: String,
    /// WebSocket URL.
    pub url: String,
    /// Group.
    pub group_id: String,
    /// Priority.
    pub priority: u32,
    /// Always [`MASKED_TOKEN`].
    pub token: String,
}

impl From<&EndpointDetails> for DetailsView {
    fn from(details: &EndpointDetails) -> Self {
        DetailsView {
            host_name: details.host_name.clone(),
            url: details.url.clone(),
            group_id: details.group_id.clone(),
            priority: details.priority,
            token: MASKED_TOKEN.to_owned(),
        }
    }
}

/// The Validate result for one entry of a details document.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointCheck {
    /// The parsed entry, token masked.
    pub details: DetailsView,
    /// Whether a record with this host name already exists.
    pub registered: bool,
    /// The certificate chain report; absent when the endpoint could not be
    /// reached or is a `ws://` test endpoint.
    pub report: Option<ChainReport>,
    /// Whether adding needs an accepted fingerprint, because the chain is
    /// not trusted or does not match the host.
    pub pin_required: bool,
    /// Why no report could be made.
    pub error: Option<String>,
}

/// The body of both validate routes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidateResponse {
    /// One result per entry, in document order.
    pub endpoints: Vec<EndpointCheck>,
}

/// One endpoint that `POST /api/v1/servers` added.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddedServer {
    /// The new record.
    pub server: ServerView,
    /// The report the decision was based on.
    pub report: Option<ChainReport>,
}

/// The body of `POST /api/v1/servers`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddResponse {
    /// The records added, in document order.
    pub added: Vec<AddedServer>,
}

/// The body of `GET /api/v1/servers/{host}/token`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// The endpoint.
    pub host_name: String,
    /// The token in clear.
    pub token: String,
}

/// The body of `GET /api/v1/status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// The service's version.
    pub version: String,
    /// Seconds since the admin API started.
    pub uptime_seconds: u64,
    /// Every group that has an endpoint or a notification backlog.
    pub groups: Vec<GroupStatus>,
    /// Whether `notification.upstreamApiKey` is stored.
    pub upstream_api_key_set: bool,
    /// Every configuration key with its effective value, passwords masked.
    pub configuration: Vec<ConfigEntry>,
}

/// One group in the status.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupStatus {
    /// The group.
    pub group_id: String,
    /// The endpoint the group is connected to, if any.
    pub connected: Option<ConnectedView>,
    /// The group's endpoints by priority, with why each is not connected.
    pub endpoints: Vec<GroupEndpoint>,
    /// Notification items waiting for acknowledgement.
    pub backlog: u64,
    /// Age of the oldest waiting item in whole seconds; `None` when the
    /// outbox is empty.
    pub oldest_pending_age_seconds: Option<u64>,
}

/// A group's live connection.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedView {
    /// The connected endpoint.
    pub host_name: String,
    /// The connection id.
    pub conn_id: u64,
}

/// One endpoint of a group in the status.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEndpoint {
    /// Host name.
    pub host_name: String,
    /// Priority.
    pub priority: u32,
    /// `ACTIVATED` or `DEACTIVATED`.
    pub state: String,
    /// Live state.
    pub connection: ConnectionView,
}

/// A configuration key and its effective value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigEntry {
    /// The property key.
    pub key: String,
    /// The value in properties syntax.
    pub value: String,
}

/// The body of `GET /ready`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyView {
    /// Whether every group with an activated endpoint is connected.
    pub ready: bool,
    /// The groups with an activated endpoint and no live connection.
    pub groups_not_connected: Vec<String>,
}

/// The body of `POST /api/v1/reload`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReloadView {
    /// Keys whose value differs from the one in effect.
    pub changed: Vec<String>,
    /// Changed keys applied without a restart.
    pub applied: Vec<String>,
    /// Changed keys that take effect at the next start.
    pub restart_required: Vec<String>,
}

/// An API key without its secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    /// Public id.
    pub id: String,
    /// Label.
    pub name: String,
    /// Granted permissions, such as `["VIEW"]`.
    pub permissions: Vec<String>,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
}

impl From<&nbwss_store::ApiKeyRecord> for ApiKeyView {
    fn from(record: &nbwss_store::ApiKeyRecord) -> Self {
        ApiKeyView {
            id: record.id.clone(),
            name: record.name.clone(),
            permissions: record
                .permissions
                .iter()
                .map(|permission| permission.as_str().to_owned())
                .collect(),
            created_at: record.created_at,
        }
    }
}

/// The body of `POST /api/v1/api-keys`: the only time the key is shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreatedApiKey {
    /// The record.
    #[serde(flatten)]
    pub record: ApiKeyView,
    /// The key to send as `Authorization: Bearer <key>`.
    pub key: String,
}

/// The body of `GET /api/v1/api-keys`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    /// Every key, oldest first.
    pub api_keys: Vec<ApiKeyView>,
}

/// The body of the secret routes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretView {
    /// The secret's name, such as `notification.upstreamApiKey`.
    pub name: String,
    /// Whether it is stored now.
    pub set: bool,
}
