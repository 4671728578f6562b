"""COMMAND checks of the service's rules: envelope, URI, headers and limits.

Most checks send a COMMAND REQUEST that breaks one rule of the envelope, the
``uri`` and header rules or the size limit, and expect the service's error
response for it, such as 403 ``URI_REJECTED``. The
others check id echoing, unknown keys and concurrent commands. The
observations at the end record the response to inputs for which the protocol
specifies none. The shared helpers are in command_checks.py.
"""

import asyncio

import wire
from command_checks import (
    COMMAND_TIMEOUT,
    JOBS_URI,
    MEDIA_TYPE,
    Credentials,
    command_message,
    expect_error_for_text,
    expect_generated_error,
    relay,
)
from peer import Peer
from report import Report
from upstream import Upstream

# Seconds to wait for a response that the protocol does not require.
OBSERVE_TIMEOUT = 10

# Each URI breaks one rule: it must start with "/" but not "//", contain no
# scheme, "@", backslash, control character or ".." segment (also when
# percent-encoded), and start with an allowed prefix ("/netbackup/").
# So each must get 403 URI_REJECTED.
REJECTED_URIS = [
    "/etc/passwd",
    "netbackup/admin/jobs",
    "//127.0.0.1/netbackup/admin/jobs",
    "https://127.0.0.1/netbackup/admin/jobs",
    "/netbackup/../etc/passwd",
    "/netbackup/%2e%2e/etc/passwd",
    "/netbackup/admin@jobs",
    "/netbackup\\admin\\jobs",
    "/netbackup/admin/jobs\u0007",
]


async def run_envelope_checks(
    report: Report, peer: Peer, credentials: Credentials
) -> None:
    """Check id echoing, unknown keys, version and missing fields."""
    get_jobs = {
        "uri": JOBS_URI,
        "method": "GET",
        "headers": {"Authorization": credentials.api_key},
    }

    lower_id = wire.new_id().lower()
    name = "lower-case id"
    try:
        response = await peer.request(
            command_message(get_jobs, lower_id), COMMAND_TIMEOUT
        )
        report.expect_equal(f"{name}: echoed verbatim", response.get("id"), lower_id)
    except (TimeoutError, ConnectionError) as error:
        report.check(name, False, f"no COMMAND RESPONSE: {error!r}")

    name = "unknown envelope key"
    message = dict(command_message(get_jobs), extension="ignored")
    payload = await relay(report, name, peer, message)
    if payload is not None:
        report.expect_equal(
            f"{name}: ignored and command relayed", payload.get("statusCode"), 200
        )

    message = dict(command_message(get_jobs), version="2.0")
    await expect_error_for_text(
        report,
        "version 2.0",
        peer,
        wire.encode(message),
        message["id"],
        400,
        "UNSUPPORTED_VERSION",
    )

    message = command_message({"uri": JOBS_URI, "headers": {}})
    await expect_generated_error(
        report, "COMMAND without method", peer, message, 400, "INVALID_MESSAGE"
    )

    message = command_message({"method": "GET", "headers": {}})
    await expect_generated_error(
        report, "COMMAND without uri", peer, message, 400, "INVALID_MESSAGE"
    )

    message = dict(command_message(get_jobs), timeStamp="now")
    await expect_error_for_text(
        report,
        "string timeStamp",
        peer,
        wire.encode(message),
        message["id"],
        400,
        "INVALID_MESSAGE",
    )

    message = dict(command_message(get_jobs), payload=[get_jobs])
    await expect_error_for_text(
        report,
        "array payload",
        peer,
        wire.encode(message),
        message["id"],
        400,
        "INVALID_MESSAGE",
    )

    message = command_message(dict(get_jobs, method="TRACE"))
    await expect_generated_error(
        report, "method TRACE", peer, message, 400, "INVALID_MESSAGE"
    )


async def run_rejection_checks(
    report: Report, peer: Peer, credentials: Credentials, max_inbound_bytes: int
) -> None:
    """Check URI and header rules and the policy size limit."""
    for uri in REJECTED_URIS:
        message = command_message({"uri": uri, "method": "GET", "headers": {}})
        await expect_generated_error(
            report, f"uri {uri!r}", peer, message, 403, "URI_REJECTED"
        )

    headers = {"Authorization": credentials.api_key, "X-Interop": "a\r\nX-Injected: 1"}
    message = command_message({"uri": JOBS_URI, "method": "GET", "headers": headers})
    await expect_generated_error(
        report, "header value with CR LF", peer, message, 400, "HEADER_REJECTED"
    )

    headers = {"Authorization": credentials.api_key, "Bad Name": "x"}
    message = command_message({"uri": JOBS_URI, "method": "GET", "headers": headers})
    await expect_generated_error(
        report, "header name with a space", peer, message, 400, "HEADER_REJECTED"
    )

    filler = "x" * (max_inbound_bytes + 1024)
    request = {
        "uri": "/netbackup/login",
        "method": "POST",
        "headers": {"Content-Type": MEDIA_TYPE},
        "parameters": filler,
    }
    message = command_message(request)
    await expect_generated_error(
        report,
        "COMMAND over maxInboundMessageBytes",
        peer,
        message,
        413,
        "MESSAGE_TOO_LARGE",
    )

    get_jobs = {
        "uri": JOBS_URI,
        "method": "GET",
        "headers": {"Authorization": credentials.api_key},
    }
    payload = await relay(
        report, "GET after an oversized COMMAND", peer, command_message(get_jobs)
    )
    if payload is not None:
        report.expect_equal(
            "GET after an oversized COMMAND: connection stayed up",
            payload.get("statusCode"),
            200,
        )


async def run_concurrency_check(
    report: Report, peer: Peer, credentials: Credentials, count: int = 8
) -> None:
    """Send ``count`` commands at once and check that each gets its own response."""
    messages = []
    for page in range(count):
        uri = f"/netbackup/admin/jobs?page[limit]=1&page[offset]={page}"
        messages.append(
            command_message(
                {
                    "uri": uri,
                    "method": "GET",
                    "headers": {"Authorization": credentials.api_key},
                }
            )
        )
    results = await asyncio.gather(
        *(peer.request(message, COMMAND_TIMEOUT) for message in messages),
        return_exceptions=True,
    )
    problems = []
    for message, result in zip(messages, results, strict=True):
        if isinstance(result, BaseException):
            problems.append(f"{message['id']}: {result!r}")
        elif (
            result.get("id") != message["id"]
            or result.get("payload", {}).get("statusCode") != 200
        ):
            status = result.get("payload", {}).get("statusCode")
            problems.append(
                f"{message['id']}: got id {result.get('id')!r} status {status!r}"
            )
    report.check_problems(f"{count} concurrent commands each get status 200", problems)


async def run_limit_checks(
    report: Report,
    peer: Peer,
    upstream: Upstream,
    credentials: Credentials,
    max_response_bytes: int,
) -> None:
    """Check RESPONSE_TOO_LARGE and DUPLICATE_ID."""
    headers = {"Authorization": credentials.api_key}
    big_uri = "/netbackup/admin/jobs?page[limit]=100"
    direct = await upstream.fetch("GET", big_uri, headers)
    if len(direct.body) > max_response_bytes:
        message = command_message({"uri": big_uri, "method": "GET", "headers": headers})
        await expect_generated_error(
            report,
            "response over maxResponseBytes",
            peer,
            message,
            502,
            "RESPONSE_TOO_LARGE",
        )
    else:
        size = len(direct.body)
        report.note(
            f"RESPONSE_TOO_LARGE not checked: upstream body of {size} bytes"
            f" is within {max_response_bytes}"
        )

    message = command_message({"uri": JOBS_URI, "method": "GET", "headers": headers})
    responses = await peer.request_repeated(
        wire.encode(message), message["id"], 2, COMMAND_TIMEOUT
    )
    outcomes = sorted(
        (
            r.get("payload", {}).get("statusCode"),
            r.get("payload", {}).get("headers", {}).get("x-nbwss-error"),
        )
        for r in responses
    )
    if outcomes == [(200, None), (200, None)]:
        report.note(
            "DUPLICATE_ID not provoked: the first command finished before the second arrived"
        )
    else:
        report.expect_equal(
            "same id sent twice back to back: one relayed, one 409 DUPLICATE_ID",
            outcomes,
            [(200, None), (409, "DUPLICATE_ID")],
        )


async def observe_unspecified(
    report: Report, peer: Peer, credentials: Credentials
) -> None:
    """Record the service's response to inputs for which the protocol specifies none."""
    get_jobs = {
        "uri": JOBS_URI,
        "method": "GET",
        "headers": {"Authorization": credentials.api_key},
    }
    cases = {
        "COMMAND without headers": command_message({"uri": JOBS_URI, "method": "GET"}),
        "method in lower case": command_message(dict(get_jobs, method="get")),
        "header value that is a number": command_message(
            dict(get_jobs, headers={"Authorization": 42})
        ),
        "type FOO": wire.make_message("FOO", "REQUEST", get_jobs),
        "subType PUSH": wire.make_message("COMMAND", "PUSH", get_jobs),
    }
    for name, message in cases.items():
        try:
            response = await peer.request(message, OBSERVE_TIMEOUT)
        except TimeoutError:
            report.note(f"{name}: no response within {OBSERVE_TIMEOUT} s")
            continue
        payload = response.get("payload") or {}
        error = (payload.get("headers") or {}).get("x-nbwss-error")
        kind = f"{response.get('type')} {response.get('subType')}"
        report.note(f"{name}: {kind} status {payload.get('statusCode')} error {error}")
