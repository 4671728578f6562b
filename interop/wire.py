"""Build and check NBWSS messages (message format version 1.0).

Every message is one JSON object with exactly the keys ``version``, ``id``,
``type``, ``subType``, ``timeStamp`` and ``payload``. The builders here produce
only those keys, with ``version`` "1.0", an upper-case UUID ``id`` and an
integer ``timeStamp``. The ``*_problems`` functions return a list of
human-readable deviations (empty when the message follows the protocol).
They do not decide what a caller does about a deviation.
"""

import json
import re
import time
import uuid

VERSION = "1.0"
ENVELOPE_KEYS = frozenset({"version", "id", "type", "subType", "timeStamp", "payload"})
CONNECT_EXTENSION_KEYS = frozenset({"serverName", "serviceVersion", "capabilities"})
COMMAND_REQUEST_KEYS = frozenset({"uri", "method", "headers", "parameters"})
COMMAND_RESPONSE_KEYS = frozenset({"statusCode", "headers", "body", "bodyEncoding"})
NOTIFICATION_ITEM_KEYS = frozenset({"notificationType", "object", "data"})

JOB_RECORD_TYPES = {
    "jobId": int,
    "parentJobId": int,
    "jobType": str,
    "state": str,
    "status": int,
    "startTime": int,
    "policyName": str,
    "policyType": str,
    "scheduleType": str,
    "clientName": str,
}
IMAGE_RECORD_TYPES = {
    "backupId": str,
    "clientName": str,
    "clientType": str,
    "backupTime": int,
    "createdTime": int,
    "operationId": str,
}
RECORD_TYPES = {"JOB": JOB_RECORD_TYPES, "IMAGE": IMAGE_RECORD_TYPES}

UUID_PATTERN = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
)


def new_id() -> str:
    """Return a random UUID in upper-case hex, as the original examples use."""
    return str(uuid.uuid4()).upper()


def make_message(
    kind: str, sub_type: str, payload, message_id: str | None = None
) -> dict:
    """Build an envelope. With ``payload=None`` the ``payload`` key is left out."""
    message = {
        "version": VERSION,
        "id": message_id if message_id is not None else new_id(),
        "type": kind,
        "subType": sub_type,
        "timeStamp": int(time.time()),
    }
    if payload is not None:
        message["payload"] = payload
    return message


def encode(message: dict) -> str:
    """Serialise a message as compact JSON text."""
    return json.dumps(message, separators=(",", ":"))


def is_integer(value) -> bool:
    """Tell a JSON integer apart from a float or a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def envelope_problems(
    message, kind: str, sub_type: str, payload_optional: bool = False
) -> list[str]:
    """List the ways ``message`` breaks the envelope rules for ``kind``/``sub_type``."""
    if not isinstance(message, dict):
        return [f"message is a {type(message).__name__}, expected a JSON object"]
    problems = []
    keys = set(message)
    required = set(ENVELOPE_KEYS)
    if payload_optional:
        required.discard("payload")
    missing = sorted(required - keys)
    extra = sorted(keys - ENVELOPE_KEYS)
    if missing:
        problems.append(f"missing keys {missing}")
    if extra:
        problems.append(f"unexpected keys {extra}")
    if message.get("version") != VERSION:
        problems.append(f"version is {message.get('version')!r}, expected '1.0'")
    message_id = message.get("id")
    if not isinstance(message_id, str) or not UUID_PATTERN.match(message_id):
        problems.append(f"id {message_id!r} is not a UUID string")
    if message.get("type") != kind:
        problems.append(f"type is {message.get('type')!r}, expected {kind!r}")
    if message.get("subType") != sub_type:
        problems.append(f"subType is {message.get('subType')!r}, expected {sub_type!r}")
    if not is_integer(message.get("timeStamp")):
        problems.append(f"timeStamp {message.get('timeStamp')!r} is not an integer")
    problems.extend(payload_shape_problems(message, kind, sub_type))
    return problems


def payload_shape_problems(message: dict, kind: str, sub_type: str) -> list[str]:
    """Check that the payload is an array for NOTIFICATION and an object otherwise."""
    if "payload" not in message:
        return []
    payload = message["payload"]
    if kind == "NOTIFICATION" and sub_type == "REQUEST":
        if not isinstance(payload, list):
            return [
                f"NOTIFICATION payload is a {type(payload).__name__}, expected an array"
            ]
        return []
    if kind == "NOTIFICATION":
        if payload not in ([], {}):
            return [
                f"NOTIFICATION RESPONSE payload is {payload!r}, expected [] or {{}}"
            ]
        return []
    if not isinstance(payload, dict):
        return [f"{kind} payload is a {type(payload).__name__}, expected an object"]
    return []


def connect_request_problems(payload: dict, token: str) -> list[str]:
    """Check a CONNECT REQUEST payload: the token and the optional extension keys."""
    problems = []
    if payload.get("token") != token:
        problems.append("payload.token differs from the registered token")
    extra = sorted(set(payload) - {"token"} - CONNECT_EXTENSION_KEYS)
    if extra:
        problems.append(f"unexpected payload keys {extra}")
    for key in ("serverName", "serviceVersion"):
        if key in payload and not isinstance(payload[key], str):
            problems.append(f"{key} is {payload[key]!r}, expected a string")
    capabilities = payload.get("capabilities", [])
    if not isinstance(capabilities, list) or not all(
        isinstance(c, str) for c in capabilities
    ):
        problems.append(
            f"capabilities is {capabilities!r}, expected an array of strings"
        )
    return problems


def command_request_problems(payload: dict) -> list[str]:
    """Check a COMMAND REQUEST payload: uri, method, headers and optional parameters."""
    problems = []
    extra = sorted(set(payload) - COMMAND_REQUEST_KEYS)
    if extra:
        problems.append(f"unexpected payload keys {extra}")
    for key in ("uri", "method"):
        if not isinstance(payload.get(key), str):
            problems.append(f"{key} is {payload.get(key)!r}, expected a string")
    problems.extend(string_map_problems("headers", payload.get("headers")))
    if "parameters" in payload and not isinstance(payload["parameters"], str):
        problems.append("parameters is not a JSON-escaped string")
    return problems


def command_response_problems(payload: dict) -> list[str]:
    """Check a COMMAND RESPONSE payload: statusCode, headers, body and bodyEncoding."""
    problems = []
    extra = sorted(set(payload) - COMMAND_RESPONSE_KEYS)
    if extra:
        problems.append(f"unexpected payload keys {extra}")
    if not is_integer(payload.get("statusCode")):
        problems.append(f"statusCode {payload.get('statusCode')!r} is not an integer")
    headers = payload.get("headers")
    problems.extend(string_map_problems("headers", headers))
    if isinstance(headers, dict):
        upper = sorted(name for name in headers if name != name.lower())
        if upper:
            problems.append(f"header names not lower-cased: {upper}")
    if "body" in payload and not isinstance(payload["body"], str):
        problems.append(
            f"body is a {type(payload['body']).__name__}, expected a string"
        )
    if payload.get("body") == "":
        problems.append("body is present but empty, expected the key to be absent")
    if "bodyEncoding" in payload and payload["bodyEncoding"] != "base64":
        problems.append(
            f"bodyEncoding is {payload['bodyEncoding']!r}, expected 'base64'"
        )
    return problems


def string_map_problems(name: str, value) -> list[str]:
    """Check that ``value`` is a JSON object of string to string."""
    if not isinstance(value, dict):
        return [f"{name} is {value!r}, expected an object"]
    bad = sorted(k for k, v in value.items() if not isinstance(v, str))
    if bad:
        return [f"{name} values are not strings for {bad}"]
    return []


def notification_problems(payload) -> list[str]:
    """Check a NOTIFICATION REQUEST payload: items, then each record's keys and types."""
    if not isinstance(payload, list) or not payload:
        return [f"payload is {payload!r}, expected a non-empty array"]
    problems = []
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            problems.append(f"item {index} is not an object")
            continue
        if set(item) != NOTIFICATION_ITEM_KEYS:
            problems.append(
                f"item {index} keys are {sorted(item)}, expected {sorted(NOTIFICATION_ITEM_KEYS)}"
            )
        if item.get("notificationType") != "INFO":
            problems.append(
                f"item {index} notificationType is {item.get('notificationType')!r}"
            )
        record_types = RECORD_TYPES.get(item.get("object"))
        if record_types is None:
            problems.append(
                f"item {index} object is {item.get('object')!r}, expected JOB or IMAGE"
            )
            continue
        records = item.get("data")
        if not isinstance(records, list) or not records:
            problems.append(
                f"item {index} data is {records!r}, expected a non-empty array"
            )
            continue
        for number, record in enumerate(records):
            problems.extend(
                record_problems(f"item {index} record {number}", record, record_types)
            )
    return problems


def record_problems(where: str, record, record_types: dict) -> list[str]:
    """Check that a JOB or IMAGE record has exactly the listed keys and JSON types."""
    if not isinstance(record, dict):
        return [f"{where} is not an object"]
    problems = []
    if set(record) != set(record_types):
        problems.append(
            f"{where} keys are {sorted(record)}, expected {sorted(record_types)}"
        )
    for key, expected_type in record_types.items():
        value = record.get(key)
        ok = (
            is_integer(value)
            if expected_type is int
            else isinstance(value, expected_type)
        )
        if key in record and not ok:
            problems.append(
                f"{where} {key} is {value!r}, expected {expected_type.__name__}"
            )
    return problems
