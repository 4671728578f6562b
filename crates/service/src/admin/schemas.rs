//! The `components.schemas` part of the OpenAPI document: the request and
//! response bodies, mirroring `views.rs` and the request types of the
//! handlers.
//!
//! Written by hand; a test checks that every `$ref` in the document names
//! a schema defined here, not that the fields match the Rust types.

use serde_json::{Value, json};

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable_string() -> Value {
    json!({"type": "string", "nullable": true})
}

fn integer() -> Value {
    json!({"type": "integer", "format": "int64"})
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Every schema, by name.
pub(super) fn schemas() -> Value {
    let mut all = serde_json::Map::new();
    for part in [registry_schemas(), report_schemas(), service_schemas()] {
        if let Value::Object(map) = part {
            all.extend(map);
        }
    }
    Value::Object(all)
}

fn registry_schemas() -> Value {
    let state = json!({"type": "string", "enum": ["ACTIVATED", "DEACTIVATED"]});
    let connection_state = json!({
        "type": "string",
        "enum": ["CONNECTED", "CONNECTING", "DISCONNECTED", "REJECTED"],
    });
    json!({
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": string(),
                    "message": string(),
                    "details": {"type": "object", "description": "For CERTIFICATE_NOT_TRUSTED: \
                        hostName, fingerprint and report."},
                },
            }},
        },
        "Details": {
            "type": "object",
            "required": ["hostName", "url", "groupId", "priority", "token"],
            "properties": {
                "hostName": string(),
                "url": {"type": "string", "description": "wss://host[:port]/path"},
                "groupId": string(),
                "priority": {"type": "integer", "minimum": 0},
                "token": {"type": "string", "minLength": 1, "maxLength": 8192},
            },
        },
        "MaskedDetails": {
            "type": "object",
            "properties": {
                "hostName": string(),
                "url": string(),
                "groupId": string(),
                "priority": {"type": "integer"},
                "token": {"type": "string", "enum": ["***"]},
            },
        },
        "DetailsDocument": {
            "oneOf": [reference("Details"), array_of("Details")],
        },
        "Connection": {
            "type": "object",
            "properties": {
                "state": connection_state,
                "since": integer(),
                "lastError": nullable_string(),
                "attempts": integer(),
                "connId": {"type": "integer", "nullable": true},
            },
        },
        "Server": {
            "type": "object",
            "properties": {
                "hostName": string(),
                "url": string(),
                "groupId": string(),
                "priority": {"type": "integer"},
                "state": state,
                "pinnedFingerprint": nullable_string(),
                "createdAt": integer(),
                "connection": reference("Connection"),
            },
        },
        "ServerList": {
            "type": "object",
            "properties": {"servers": array_of("Server")},
        },
        "Token": {
            "type": "object",
            "properties": {"hostName": string(), "token": string()},
        },
        "AddRequest": {
            "type": "object",
            "description": "Exactly one of details and detailsUrl.",
            "properties": {
                "details": reference("DetailsDocument"),
                "detailsUrl": {"type": "string", "description": "An https:// URL."},
                "caFile": {"type": "string", "description": "PEM CA for detailsUrl, used \
                    instead of the system roots."},
                "acceptFingerprint": {
                    "description": "SHA-256 leaf fingerprints to pin, AB:CD:... form.",
                    "oneOf": [string(), {"type": "array", "items": string()}],
                },
            },
        },
        "AddResponse": {
            "type": "object",
            "properties": {"added": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "server": reference("Server"),
                    "report": reference("ChainReport"),
                },
            }}},
        },
        "ValidateUrlRequest": {
            "type": "object",
            "required": ["url"],
            "properties": {"url": string(), "caFile": string()},
        },
    })
}

fn report_schemas() -> Value {
    json!({
        "CertInfo": {
            "type": "object",
            "properties": {
                "subject": string(),
                "issuer": string(),
                "subjectAltNames": {"type": "array", "items": string()},
                "notBefore": integer(),
                "notAfter": integer(),
                "notBeforeText": string(),
                "notAfterText": string(),
                "fingerprint": string(),
                "selfSigned": {"type": "boolean"},
            },
        },
        "Problem": {
            "type": "object",
            "required": ["kind", "message"],
            "properties": {
                "kind": {"type": "string", "enum": [
                    "expired", "notYetValid", "wrongHost", "selfSigned", "untrustedIssuer",
                    "other",
                ]},
                "message": string(),
                "subject": string(),
                "notBefore": integer(),
                "notAfter": integer(),
                "host": string(),
                "names": {"type": "array", "items": string()},
                "issuer": string(),
            },
        },
        "ChainReport": {
            "type": "object",
            "nullable": true,
            "properties": {
                "certificates": array_of("CertInfo"),
                "trusted": {"type": "boolean"},
                "hostMatches": {"type": "boolean"},
                "problems": array_of("Problem"),
                "leafFingerprint": string(),
            },
        },
        "EndpointCheck": {
            "type": "object",
            "properties": {
                "details": reference("MaskedDetails"),
                "registered": {"type": "boolean"},
                "report": reference("ChainReport"),
                "pinRequired": {"type": "boolean"},
                "error": nullable_string(),
            },
        },
        "ValidateResponse": {
            "type": "object",
            "properties": {"endpoints": array_of("EndpointCheck")},
        },
    })
}

fn service_schemas() -> Value {
    json!({
        "Status": {
            "type": "object",
            "properties": {
                "version": string(),
                "uptimeSeconds": integer(),
                "groups": array_of("GroupStatus"),
                "upstreamApiKeySet": {"type": "boolean"},
                "configuration": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"key": string(), "value": string()},
                }},
            },
        },
        "GroupStatus": {
            "type": "object",
            "properties": {
                "groupId": string(),
                "connected": {
                    "type": "object",
                    "nullable": true,
                    "properties": {"hostName": string(), "connId": integer()},
                },
                "endpoints": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "hostName": string(),
                        "priority": {"type": "integer"},
                        "state": string(),
                        "connection": reference("Connection"),
                    },
                }},
                "backlog": integer(),
                "oldestPendingAgeSeconds": {"type": "integer", "nullable": true},
            },
        },
        "Ready": {
            "type": "object",
            "properties": {
                "ready": {"type": "boolean"},
                "groupsNotConnected": {"type": "array", "items": string()},
            },
        },
        "Reload": {
            "type": "object",
            "properties": {
                "changed": {"type": "array", "items": string()},
                "applied": {"type": "array", "items": string()},
                "restartRequired": {"type": "array", "items": string()},
            },
        },
        "ApiKey": {
            "type": "object",
            "properties": {
                "id": string(),
                "name": string(),
                "permissions": {"type": "array", "items": string()},
                "createdAt": integer(),
            },
        },
        "CreatedApiKey": {
            "allOf": [reference("ApiKey"), {
                "type": "object",
                "properties": {"key": {"type": "string", "description": "Shown only once."}},
            }],
        },
        "ApiKeyList": {
            "type": "object",
            "properties": {"apiKeys": array_of("ApiKey")},
        },
        "CreateApiKeyRequest": {
            "type": "object",
            "required": ["name", "permissions"],
            "properties": {
                "name": {"type": "string", "maxLength": 100},
                "permissions": {"type": "array", "minItems": 1, "items": {
                    "type": "string",
                    "enum": ["VIEW", "CREATE", "UPDATE", "DELETE"],
                }},
            },
        },
        "SecretRequest": {
            "type": "object",
            "required": ["value"],
            "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 8192}},
        },
        "Secret": {
            "type": "object",
            "properties": {"name": string(), "set": {"type": "boolean"}},
        },
        "NotificationItems": {
            "type": "array",
            "minItems": 1,
            "description": "Items in the NOTIFICATION REQUEST payload format.",
            "items": {"type": "object"},
        },
        "IngestReceipt": {
            "type": "object",
            "properties": {
                "items": integer(),
                "groups": {"type": "array", "items": string()},
            },
        },
    })
}
