//! Endpoint records: add, list, get, change state, pin and remove.
//!
//! A record is stored as JSON keyed by host name, with the token sealed by
//! `cipher` (associated data: the host name) and base64-encoded, so the
//! plaintext token never reaches the database file. Validating the details
//! (URL scheme, token rules, priority range) is the caller's job. Connection
//! state is runtime data and is not stored here.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::cipher::SealedKind;
use crate::error::{Result, StoreError};
use crate::secret::Secret;
use crate::store::{Store, now_secs};
use crate::tables;

/// Record kind used in errors about endpoints.
const WHAT: &str = "endpoint";

/// Administrative state of an endpoint. New records are `Activated`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndpointState {
    /// The service connects to this endpoint.
    Activated,
    /// The service leaves this endpoint alone.
    Deactivated,
}

impl std::fmt::Display for EndpointState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Activated => "ACTIVATED",
            Self::Deactivated => "DEACTIVATED",
        })
    }
}

/// A registered cloud endpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEndpoint {
    /// Host name or IP of the cloud server, unique across records.
    pub host_name: String,
    /// `wss://` URL of the endpoint.
    pub url: String,
    /// Group the endpoint belongs to.
    pub group_id: String,
    /// Priority within the group, lower numbers first.
    pub priority: u32,
    /// CONNECT token, stored encrypted.
    pub token: Secret,
    /// SHA-256 fingerprint of the accepted leaf certificate, if pinned.
    pub pinned_fingerprint: Option<String>,
    /// Administrative state.
    pub state: EndpointState,
    /// Creation time in seconds since the Unix epoch.
    pub created_at: i64,
    /// Time of the last change in seconds since the Unix epoch.
    pub updated_at: i64,
}

/// The JSON form of an endpoint record. The host name is the table key.
#[derive(Serialize, Deserialize)]
struct EndpointRow {
    url: String,
    group_id: String,
    priority: u32,
    /// Base64 of `nonce || ciphertext || tag`.
    sealed_token: String,
    pinned_fingerprint: Option<String>,
    state: EndpointState,
    created_at: i64,
    updated_at: i64,
}

impl Store {
    /// Adds an endpoint record.
    ///
    /// # Errors
    ///
    /// [`StoreError::DuplicateHost`] when a record with the same host name
    /// exists.
    pub fn add_endpoint(&self, endpoint: &StoredEndpoint) -> Result<()> {
        let row = self.encode_endpoint(endpoint)?;
        self.write(|txn| {
            let mut table = txn.open_table(tables::ENDPOINTS)?;
            if table.get(endpoint.host_name.as_str())?.is_some() {
                return Err(StoreError::DuplicateHost {
                    host: endpoint.host_name.clone(),
                });
            }
            table.insert(endpoint.host_name.as_str(), row.as_str())?;
            Ok(())
        })?;
        tracing::debug!(host = %endpoint.host_name, group = %endpoint.group_id, "endpoint added");
        Ok(())
    }

    /// Lists every endpoint, sorted by group, then priority, then host name.
    pub fn list_endpoints(&self) -> Result<Vec<StoredEndpoint>> {
        let mut endpoints = self.read(|txn| {
            let table = txn.open_table(tables::ENDPOINTS)?;
            let mut endpoints = Vec::new();
            for entry in table.iter()? {
                let (host, row) = entry?;
                endpoints.push(self.decode_endpoint(host.value(), row.value())?);
            }
            Ok(endpoints)
        })?;
        endpoints.sort_by(|a, b| {
            (&a.group_id, a.priority, &a.host_name).cmp(&(&b.group_id, b.priority, &b.host_name))
        });
        Ok(endpoints)
    }

    /// Returns the endpoint with this host name, if any.
    pub fn get_endpoint(&self, host: &str) -> Result<Option<StoredEndpoint>> {
        self.read(|txn| {
            let table = txn.open_table(tables::ENDPOINTS)?;
            let row = table.get(host)?;
            row.map(|row| self.decode_endpoint(host, row.value()))
                .transpose()
        })
    }

    /// Sets an endpoint's state and returns the updated record.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] naming the host when there is no such record.
    pub fn set_state(&self, host: &str, state: EndpointState) -> Result<StoredEndpoint> {
        self.modify_endpoint(host, |endpoint| endpoint.state = state)
    }

    /// Sets or clears an endpoint's pinned certificate fingerprint and returns
    /// the updated record.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] naming the host when there is no such record.
    pub fn update_pin(&self, host: &str, fingerprint: Option<&str>) -> Result<StoredEndpoint> {
        self.modify_endpoint(host, |endpoint| {
            endpoint.pinned_fingerprint = fingerprint.map(str::to_owned);
        })
    }

    /// Removes an endpoint and returns the removed record.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] naming the host when there is no such record.
    pub fn remove_endpoint(&self, host: &str) -> Result<StoredEndpoint> {
        let removed = self.write(|txn| {
            let mut table = txn.open_table(tables::ENDPOINTS)?;
            let row = table
                .remove(host)?
                .ok_or_else(|| StoreError::not_found(WHAT, host))?;
            self.decode_endpoint(host, row.value())
        })?;
        tracing::debug!(host = %host, "endpoint removed");
        Ok(removed)
    }

    /// Applies `change` to a record, stamps `updated_at` and stores it, all in
    /// one transaction.
    fn modify_endpoint(
        &self,
        host: &str,
        change: impl FnOnce(&mut StoredEndpoint),
    ) -> Result<StoredEndpoint> {
        self.write(|txn| {
            let mut endpoint = self.load_endpoint_for_update(txn, host)?;
            change(&mut endpoint);
            endpoint.updated_at = now_secs();
            let row = self.encode_endpoint(&endpoint)?;
            let mut table = txn.open_table(tables::ENDPOINTS)?;
            table.insert(host, row.as_str())?;
            Ok(endpoint)
        })
    }

    fn load_endpoint_for_update(
        &self,
        txn: &WriteTransaction,
        host: &str,
    ) -> Result<StoredEndpoint> {
        let table = txn.open_table(tables::ENDPOINTS)?;
        let row = table
            .get(host)?
            .ok_or_else(|| StoreError::not_found(WHAT, host))?;
        self.decode_endpoint(host, row.value())
    }

    fn encode_endpoint(&self, endpoint: &StoredEndpoint) -> Result<String> {
        let sealed = self.cipher().seal_str(
            SealedKind::EndpointToken,
            &endpoint.host_name,
            endpoint.token.expose(),
        )?;
        let row = EndpointRow {
            url: endpoint.url.clone(),
            group_id: endpoint.group_id.clone(),
            priority: endpoint.priority,
            sealed_token: BASE64.encode(sealed),
            pinned_fingerprint: endpoint.pinned_fingerprint.clone(),
            state: endpoint.state,
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        };
        serde_json::to_string(&row)
            .map_err(|error| StoreError::corrupt(WHAT, &endpoint.host_name, error))
    }

    fn decode_endpoint(&self, host: &str, json: &str) -> Result<StoredEndpoint> {
        let row: EndpointRow =
            serde_json::from_str(json).map_err(|error| StoreError::corrupt(WHAT, host, error))?;
        let crypto_failed = || StoreError::Crypto {
            what: SealedKind::EndpointToken.label(),
            name: host.to_owned(),
        };
        let sealed = BASE64
            .decode(&row.sealed_token)
            .map_err(|_| crypto_failed())?;
        let token = self
            .cipher()
            .open_str(SealedKind::EndpointToken, host, &sealed)?;
        Ok(StoredEndpoint {
            host_name: host.to_owned(),
            url: row.url,
            group_id: row.group_id,
            priority: row.priority,
            token: Secret::new(token),
            pinned_fingerprint: row.pinned_fingerprint,
            state: row.state,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
