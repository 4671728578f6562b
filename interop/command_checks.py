"""COMMAND relay checks that the Python endpoint runs against ``nbwss serve``.

Each check sends COMMAND REQUESTs built from the NBWSS message format 1.0,
then compares the COMMAND RESPONSE with the protocol and, for relayed calls,
with the same call made directly to the simulator. This file also contains the
helpers that command_rule_checks.py uses for the error cases. The CONNECT
exchange and notifications are checked in endpoint_server.py and
notification_checks.py.
"""

import json
from dataclasses import dataclass

import wire
from peer import Peer
from report import Report
from upstream import Upstream

COMMAND_TIMEOUT = 60
MEDIA_TYPE = "application/vnd.netbackup+json;version=1.0"
JOBS_URI = "/netbackup/admin/jobs?page[limit]=5"
FILTER_URI = (
    "/netbackup/admin/jobs?filter=state%20eq%20%27DONE%27&page[limit]=3&sort=-jobId"
)


# Headers left out of the relayed-versus-direct comparison: the date differs
# between the two calls, and hop-by-hop headers (RFC 9110 section 7.6.1) belong
# to one connection. urllib sends "Connection: close", so the direct reply has it.
UNCOMPARED_HEADERS = frozenset(
    {
        "date",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-connection",
    }
)


@dataclass
class Credentials:
    """Simulator credentials: the API key and the login user name and password."""

    api_key: str
    user_name: str
    password: str


def command_message(payload: dict, message_id: str | None = None) -> dict:
    """Build a COMMAND REQUEST envelope."""
    return wire.make_message("COMMAND", "REQUEST", payload, message_id)


async def relay(report: Report, name: str, peer: Peer, message: dict) -> dict | None:
    """Send a COMMAND REQUEST and return the checked response payload, or None on failure."""
    try:
        response = await peer.request(message, COMMAND_TIMEOUT)
    except (TimeoutError, ConnectionError) as error:
        report.check(name, False, f"no COMMAND RESPONSE: {error!r}")
        return None
    return checked_payload(report, name, message["id"], response)


def checked_payload(
    report: Report, name: str, request_id: str, response: dict
) -> dict | None:
    """Check the envelope, the echoed id and the payload keys of a COMMAND RESPONSE."""
    problems = wire.envelope_problems(response, "COMMAND", "RESPONSE")
    if response.get("id") != request_id:
        problems.append(
            f"id {response.get('id')!r} differs from request id {request_id!r}"
        )
    payload = response.get("payload")
    if isinstance(payload, dict):
        problems.extend(wire.command_response_problems(payload))
    report.check_problems(f"{name}: response follows the protocol", problems)
    return payload if isinstance(payload, dict) else None


def generated_error_problems(payload: dict, status: int, code: str) -> list[str]:
    """List how ``payload`` differs from an error that the service generated.

    Such an error has the ``x-nbwss-error`` header set to the error code, the
    content type application/json and a body ``{"errorCode", "errorMessage"}``.
    """
    problems = []
    if payload.get("statusCode") != status:
        problems.append(
            f"statusCode is {payload.get('statusCode')!r}, expected {status}"
        )
    headers = payload.get("headers") or {}
    if headers.get("x-nbwss-error") != code:
        problems.append(
            f"x-nbwss-error is {headers.get('x-nbwss-error')!r}, expected {code!r}"
        )
    if headers.get("content-type") != "application/json":
        problems.append(
            f"content-type is {headers.get('content-type')!r}, expected 'application/json'"
        )
    try:
        body = json.loads(payload.get("body", ""))
    except ValueError:
        return problems + [f"body {payload.get('body')!r} is not JSON"]
    if not isinstance(body, dict) or not wire.is_integer(body.get("errorCode")):
        problems.append(f"body {body!r} has no integer errorCode")
    elif not isinstance(body.get("errorMessage"), str):
        problems.append(f"body {body!r} has no string errorMessage")
    return problems


async def expect_generated_error(
    report: Report, name: str, peer: Peer, message: dict, status: int, code: str
) -> None:
    """Send ``message`` and check that the service responds with error ``code``."""
    payload = await relay(report, name, peer, message)
    if payload is not None:
        report.check_problems(
            f"{name}: {status} {code}", generated_error_problems(payload, status, code)
        )


async def expect_error_for_text(
    report: Report,
    name: str,
    peer: Peer,
    text: str,
    message_id: str,
    status: int,
    code: str,
) -> None:
    """Send raw ``text`` and check the error response that repeats ``message_id``."""
    try:
        response = await peer.request_text(text, message_id, COMMAND_TIMEOUT)
    except (TimeoutError, ConnectionError) as error:
        report.check(name, False, f"no COMMAND RESPONSE: {error!r}")
        return
    payload = checked_payload(report, name, message_id, response)
    if payload is not None:
        report.check_problems(
            f"{name}: {status} {code}", generated_error_problems(payload, status, code)
        )


async def check_not_connected(report: Report, peer: Peer) -> None:
    """Check that a COMMAND sent before the CONNECT RESPONSE gets 409 NOT_CONNECTED."""
    message = command_message({"uri": JOBS_URI, "method": "GET", "headers": {}})
    await expect_generated_error(
        report, "COMMAND before CONNECT RESPONSE", peer, message, 409, "NOT_CONNECTED"
    )


def relayed_matches_direct(report: Report, name: str, payload: dict, direct) -> None:
    """Compare a relayed response with the direct upstream reply, header by header."""
    report.expect_equal(
        f"{name}: statusCode matches upstream", payload.get("statusCode"), direct.status
    )
    report.expect_equal(
        f"{name}: body matches upstream", payload.get("body", "").encode(), direct.body
    )
    relayed_headers = payload.get("headers") or {}
    report.check(
        f"{name}: not marked as a service error",
        "x-nbwss-error" not in relayed_headers,
        f"x-nbwss-error is {relayed_headers.get('x-nbwss-error')!r}",
    )
    expected = {k: v for k, v in direct.headers.items() if k not in UNCOMPARED_HEADERS}
    actual = {k: v for k, v in relayed_headers.items() if k not in UNCOMPARED_HEADERS}
    report.expect_equal(
        f"{name}: headers match upstream (except date and hop-by-hop)", actual, expected
    )


async def run_relay_checks(
    report: Report, peer: Peer, upstream: Upstream, credentials: Credentials
) -> str | None:
    """Relay GET, POST and HEAD calls, compare them with direct calls and return the login token."""
    name = "GET jobs without Authorization"
    payload = await relay(
        report,
        name,
        peer,
        command_message({"uri": JOBS_URI, "method": "GET", "headers": {}}),
    )
    if payload is not None:
        direct = await upstream.fetch("GET", JOBS_URI, {})
        relayed_matches_direct(report, name, payload, direct)

    name = "POST /netbackup/login with string parameters"
    login = {"userName": credentials.user_name, "password": credentials.password}
    request = {
        "uri": "/netbackup/login",
        "method": "POST",
        "headers": {"Content-Type": MEDIA_TYPE},
        "parameters": json.dumps(login),
    }
    payload = await relay(report, name, peer, command_message(request))
    token = login_token(report, name, payload)

    name = "GET jobs with the login token"
    headers = {"Accept": MEDIA_TYPE, "Authorization": token or ""}
    payload = await relay(
        report,
        name,
        peer,
        command_message({"uri": JOBS_URI, "method": "GET", "headers": headers}),
    )
    if payload is not None:
        direct = await upstream.fetch(
            "GET",
            JOBS_URI,
            {"Accept": MEDIA_TYPE, "Authorization": credentials.api_key},
        )
        relayed_matches_direct(report, name, payload, direct)

    name = "POST /netbackup/login with object parameters"
    request = dict(request, parameters=login)
    payload = await relay(report, name, peer, command_message(request))
    login_token(report, name, payload)

    name = "GET jobs with a percent-encoded filter"
    headers = {"Accept": MEDIA_TYPE, "Authorization": credentials.api_key}
    payload = await relay(
        report,
        name,
        peer,
        command_message({"uri": FILTER_URI, "method": "GET", "headers": headers}),
    )
    if payload is not None:
        direct = await upstream.fetch("GET", FILTER_URI, headers)
        relayed_matches_direct(report, name, payload, direct)

    name = "HEAD jobs"
    headers = {"Authorization": credentials.api_key}
    payload = await relay(
        report,
        name,
        peer,
        command_message({"uri": JOBS_URI, "method": "HEAD", "headers": headers}),
    )
    if payload is not None:
        report.expect_equal(f"{name}: statusCode", payload.get("statusCode"), 200)
        report.check(
            f"{name}: empty body leaves out the body key",
            "body" not in payload,
            f"body is {payload.get('body')!r}",
        )
    return token


def login_token(report: Report, name: str, payload: dict | None) -> str | None:
    """Check a relayed login response and return its token."""
    if payload is None:
        return None
    report.expect_equal(f"{name}: statusCode", payload.get("statusCode"), 201)
    try:
        body = json.loads(payload.get("body", ""))
    except ValueError:
        body = None
    token = body.get("token") if isinstance(body, dict) else None
    report.check(
        f"{name}: body holds a token",
        isinstance(token, str) and token != "",
        f"body is {payload.get('body')!r}",
    )
    return token if isinstance(token, str) else None
