//! VM server credentials: the one writable resource of the simulator.
//!
//! This module parses and checks a create request and keeps the registry.
//! The HTTP side (status codes, JSON:API envelopes) is left to
//! `api::vmservers`. A password is checked for presence and length, then
//! discarded: the simulator never connects to the VM server, so it neither
//! keeps nor returns it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::filter::{Field, FieldKind, FieldValue, Filterable};

/// VM server types accepted in `vmType`, modelled on NetBackup's VMware
/// types. The real API accepts more.
pub(crate) const VM_TYPES: &[&str] = &[
    "VMWARE_VIRTUAL_CENTER_SERVER",
    "VMWARE_ESX_SERVER",
    "VMWARE_RESTORE_ESX_SERVER",
    "VMWARE_VCLOUD_DIRECTOR",
];

/// Maximum number of VM servers in the registry.
pub(crate) const MAX_VM_SERVERS: usize = 1000;

const MAX_NAME_LENGTH: usize = 255;
const MAX_PASSWORD_LENGTH: usize = 1024;
const DEFAULT_PORT: u16 = 443;

/// Fields a VM servers `filter` may name.
pub(crate) const FILTER_FIELDS: &[Field] = &[
    Field {
        name: "serverName",
        kind: FieldKind::Text,
    },
    Field {
        name: "vmType",
        kind: FieldKind::Text,
    },
];

/// Fields a VM servers `sort` may name.
pub(crate) const SORT_FIELDS: &[&str] = &["serverName", "vmType"];

/// A VM server record. It has no password field (see the module docs).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VmServer {
    pub server_name: String,
    pub vm_type: String,
    pub user_id: String,
    pub port: u16,
}

/// The body of `POST /netbackup/config/servers/vmservers`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateRequest {
    vm_server: CreateFields,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateFields {
    server_name: String,
    vm_type: String,
    user_id: String,
    /// Any JSON value, checked to be a string by hand, because serde's type
    /// error would quote the value in the message and the log.
    password: serde_json::Value,
    port: Option<u16>,
}

/// A create request that cannot be accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VmServerError {
    #[error("invalid request body")]
    Malformed(#[source] serde_json::Error),
    #[error("invalid {field} '{value}'; expected {expected}")]
    InvalidField {
        field: &'static str,
        value: String,
        expected: String,
    },
    #[error("VM server '{0}' already exists")]
    Exists(String),
    #[error("cannot add VM server '{0}'; the simulator holds at most {MAX_VM_SERVERS}")]
    Full(String),
}

impl VmServer {
    /// Parses and checks the JSON body of a create request.
    pub(crate) fn from_body(body: &[u8]) -> Result<Self, VmServerError> {
        let request: CreateRequest =
            serde_json::from_slice(body).map_err(VmServerError::Malformed)?;
        let fields = request.vm_server;
        check_server_name(&fields.server_name)?;
        if !VM_TYPES.contains(&fields.vm_type.as_str()) {
            return Err(invalid("vmType", &fields.vm_type, VM_TYPES.join(", ")));
        }
        if fields.user_id.is_empty() || fields.user_id.len() > MAX_NAME_LENGTH {
            return Err(invalid(
                "userId",
                &fields.user_id,
                format!("1 to {MAX_NAME_LENGTH} bytes"),
            ));
        }
        let password_length = match &fields.password {
            serde_json::Value::String(password) => password.len(),
            _ => 0,
        };
        if !(1..=MAX_PASSWORD_LENGTH).contains(&password_length) {
            // The value is a secret, so the message leaves it out.
            return Err(invalid(
                "password",
                "<hidden>",
                format!("a string of 1 to {MAX_PASSWORD_LENGTH} bytes"),
            ));
        }
        let port = fields.port.unwrap_or(DEFAULT_PORT);
        if port == 0 {
            return Err(invalid("port", "0", "1 to 65535".to_owned()));
        }
        Ok(Self {
            server_name: fields.server_name,
            vm_type: fields.vm_type,
            user_id: fields.user_id,
            port,
        })
    }
}

fn check_server_name(name: &str) -> Result<(), VmServerError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    if name.is_empty() || name.len() > MAX_NAME_LENGTH || !name.chars().all(allowed) {
        return Err(invalid(
            "serverName",
            name,
            format!("a host name or IP address of 1 to {MAX_NAME_LENGTH} characters"),
        ));
    }
    Ok(())
}

fn invalid(field: &'static str, value: &str, expected: String) -> VmServerError {
    VmServerError::InvalidField {
        field,
        value: value.to_owned(),
        expected,
    }
}

impl Filterable for VmServer {
    fn field_value(&self, field: &str) -> Option<FieldValue<'_>> {
        match field {
            "serverName" => Some(FieldValue::Text(&self.server_name)),
            "vmType" => Some(FieldValue::Text(&self.vm_type)),
            _ => None,
        }
    }
}

/// Compares two VM servers on one of [`SORT_FIELDS`].
pub(crate) fn compare_vm_servers(a: &VmServer, b: &VmServer, field: &str) -> std::cmp::Ordering {
    match field {
        "vmType" => a.vm_type.cmp(&b.vm_type),
        _ => a.server_name.cmp(&b.server_name),
    }
}

/// The VM servers, keyed by lower-case name because host names are not
/// case-sensitive.
#[derive(Default)]
pub(crate) struct VmServerRegistry {
    servers: BTreeMap<String, VmServer>,
}

impl VmServerRegistry {
    /// Adds `server` unless one with the same name exists or the registry
    /// is full.
    pub(crate) fn add(&mut self, server: VmServer) -> Result<(), VmServerError> {
        let key = server.server_name.to_ascii_lowercase();
        if self.servers.contains_key(&key) {
            return Err(VmServerError::Exists(server.server_name));
        }
        if self.servers.len() >= MAX_VM_SERVERS {
            return Err(VmServerError::Full(server.server_name));
        }
        self.servers.insert(key, server);
        Ok(())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&VmServer> {
        self.servers.get(&name.to_ascii_lowercase())
    }

    /// Removes the server called `name`. Returns false when there is none.
    pub(crate) fn remove(&mut self, name: &str) -> bool {
        self.servers.remove(&name.to_ascii_lowercase()).is_some()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &VmServer> {
        self.servers.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(server_name: &str, vm_type: &str) -> Vec<u8> {
        serde_json::json!({"vmServer": {
            "serverName": server_name, "vmType": vm_type,
            "userId": "admin", "password": "pw"}})
        .to_string()
        .into_bytes()
    }

    /// A complete body parses, with the default port.
    #[test]
    fn parses_valid_body() {
        let server =
            VmServer::from_body(&body("vc1.example.com", "VMWARE_ESX_SERVER")).expect("valid body");
        assert_eq!(server.port, 443);
    }

    /// The serialized form never contains the password.
    #[test]
    fn serialization_omits_password() {
        let server = VmServer::from_body(&body("vc1", "VMWARE_ESX_SERVER")).expect("valid body");
        let json = serde_json::to_string(&server).expect("serializes");
        assert!(!json.contains("pw"), "{json}");
    }

    /// An unknown VM type is named, with the accepted ones listed.
    #[test]
    fn rejects_unknown_vm_type() {
        let error = VmServer::from_body(&body("vc1", "XEN")).expect_err("unknown type");
        let message = error.to_string();
        assert!(message.starts_with("invalid vmType 'XEN'"), "{message}");
        assert!(message.contains("VMWARE_ESX_SERVER"), "{message}");
    }

    /// A body without a password is rejected as malformed.
    #[test]
    fn rejects_missing_password() {
        let body =
            br#"{"vmServer": {"serverName": "vc1", "vmType": "VMWARE_ESX_SERVER", "userId": "u"}}"#;
        let error = VmServer::from_body(body).expect_err("no password");
        assert!(matches!(error, VmServerError::Malformed(_)), "{error}");
    }

    /// A numeric password is rejected without quoting it.
    #[test]
    fn rejects_numeric_password_without_echo() {
        let body = br#"{"vmServer": {"serverName": "vc1", "vmType": "VMWARE_ESX_SERVER", "userId": "u", "password": 4242}}"#;
        let error = VmServer::from_body(body).expect_err("numeric password");
        assert!(!error.to_string().contains("4242"), "{error}");
    }

    /// A server name with a slash is rejected.
    #[test]
    fn rejects_name_with_slash() {
        let error = VmServer::from_body(&body("a/b", "VMWARE_ESX_SERVER")).expect_err("slash");
        assert!(error.to_string().starts_with("invalid serverName 'a/b'"));
    }

    /// Adding a name that differs only in case is a conflict.
    #[test]
    fn rejects_same_name_other_case() {
        let mut registry = VmServerRegistry::default();
        let first = VmServer::from_body(&body("VC1", "VMWARE_ESX_SERVER")).expect("valid");
        let second = VmServer::from_body(&body("vc1", "VMWARE_ESX_SERVER")).expect("valid");
        registry.add(first).expect("first add");
        assert!(matches!(
            registry.add(second),
            Err(VmServerError::Exists(_))
        ));
    }
}
