"""COMMAND checks that the Python service side runs against ``nbwss endpoint``.

Each check calls ``POST /api/v1/servers/{id}/commands``, reads the COMMAND
REQUEST that the endpoint sends over the WebSocket, checks it against
the envelope and COMMAND payload rules, responds with a canned COMMAND RESPONSE and
checks that the HTTP API returns that response. The CONNECT exchange is done
in backup_server.py.
"""

import asyncio
import json

import wire
from endpoint_api import HTTP_TIMEOUT, EndpointApi
from peer import Peer
from report import Report

REQUEST_TIMEOUT = 30
MEDIA_TYPE = "application/vnd.netbackup+json;version=1.0"


def canned_response(uri: str) -> dict:
    """Return a COMMAND RESPONSE payload that names ``uri``, to match responses to calls."""
    return {
        "statusCode": 200,
        "headers": {"content-type": MEDIA_TYPE, "x-interop-uri": uri},
        "body": json.dumps({"data": [], "uri": uri}),
    }


class CommandCall:
    """One HTTP API call and the COMMAND REQUEST it produced on the WebSocket."""

    def __init__(self, api: EndpointApi, server_id, http_payload: dict) -> None:
        self.http_payload = http_payload
        self.task = asyncio.create_task(api.command(server_id, http_payload))
        self.request: dict | None = None

    async def result(self) -> tuple[int, object]:
        """Return the HTTP status and JSON body of the API call."""
        return await asyncio.wait_for(self.task, HTTP_TIMEOUT + 5)


def command_request_problems(request: dict, http_payload: dict) -> list[str]:
    """Check a COMMAND REQUEST envelope and that uri, method and headers were passed through."""
    problems = wire.envelope_problems(request, "COMMAND", "REQUEST")
    payload = request.get("payload")
    if not isinstance(payload, dict):
        return problems
    problems.extend(wire.command_request_problems(payload))
    for key in ("uri", "method", "headers"):
        if payload.get(key) != http_payload.get(key):
            problems.append(
                f"{key} is {payload.get(key)!r}, expected {http_payload.get(key)!r}"
            )
    return problems


async def receive_command(
    report: Report, name: str, peer: Peer, call: CommandCall
) -> dict | None:
    """Wait for the COMMAND REQUEST of ``call`` and check it."""
    try:
        request = await peer.next_request(REQUEST_TIMEOUT)
    except TimeoutError:
        report.check(
            f"{name}: COMMAND REQUEST received",
            False,
            f"none within {REQUEST_TIMEOUT} s",
        )
        return None
    call.request = request
    message_id = request.get("id")
    if isinstance(message_id, str) and message_id != message_id.upper():
        report.note(
            f"{name}: COMMAND REQUEST id {message_id!r} is not upper-case (allowed)"
        )
    return request


async def answer(peer: Peer, request: dict, payload: dict) -> None:
    """Send a COMMAND RESPONSE with the request's id."""
    await peer.send(wire.make_message("COMMAND", "RESPONSE", payload, request["id"]))


async def round_trip(
    report: Report,
    name: str,
    peer: Peer,
    api: EndpointApi,
    server_id,
    http_payload: dict,
    response: dict,
) -> dict | None:
    """Run one call end to end, checking the request and that the HTTP API returns ``response``."""
    call = CommandCall(api, server_id, http_payload)
    request = await receive_command(report, name, peer, call)
    if request is None:
        return None
    report.check_problems(
        f"{name}: COMMAND REQUEST follows the protocol",
        command_request_problems(request, http_payload),
    )
    await answer(peer, request, response)
    status, body = await call.result()
    report.expect_equal(
        f"{name}: HTTP API returns the COMMAND RESPONSE payload",
        (status, body),
        (200, response),
    )
    return request


async def run_command_checks(
    report: Report, peer: Peer, api: EndpointApi, server_id
) -> None:
    """Run the GET, POST, base64, error pass-through and concurrency checks."""
    get_jobs = {
        "uri": "/netbackup/admin/jobs?page[limit]=2",
        "method": "GET",
        "headers": {"Accept": MEDIA_TYPE},
    }
    await round_trip(
        report,
        "GET jobs",
        peer,
        api,
        server_id,
        get_jobs,
        canned_response(get_jobs["uri"]),
    )

    login = json.dumps({"userName": "admin", "password": "admin"})
    post = {
        "uri": "/netbackup/login",
        "method": "POST",
        "headers": {"Content-Type": MEDIA_TYPE},
        "parameters": login,
    }
    created = {
        "statusCode": 201,
        "headers": {"content-type": MEDIA_TYPE},
        "body": json.dumps({"token": "canned"}),
    }
    request = await round_trip(
        report, "POST login with string parameters", peer, api, server_id, post, created
    )
    if request is not None:
        report.expect_equal(
            "POST login: parameters passed through as the same string",
            request["payload"].get("parameters"),
            login,
        )

    post_object = dict(post, parameters={"userName": "admin", "password": "admin"})
    request = await round_trip(
        report,
        "POST login with object parameters",
        peer,
        api,
        server_id,
        post_object,
        created,
    )
    if request is not None:
        parameters = request["payload"].get("parameters")
        report.check(
            "POST login: object parameters sent as a JSON-escaped string",
            isinstance(parameters, str)
            and json.loads(parameters) == post_object["parameters"],
            f"parameters is {parameters!r}",
        )

    binary = {
        "statusCode": 200,
        "headers": {"content-type": "application/octet-stream"},
        "body": "AAEC/w==",
        "bodyEncoding": "base64",
    }
    await round_trip(report, "base64 body", peer, api, server_id, get_jobs, binary)

    rejected = {
        "statusCode": 403,
        "headers": {
            "content-type": "application/json",
            "x-nbwss-error": "URI_REJECTED",
        },
        "body": json.dumps({"errorCode": 403, "errorMessage": "uri rejected"}),
    }
    await round_trip(
        report, "service-generated 403", peer, api, server_id, get_jobs, rejected
    )

    await peer.send(
        wire.make_message(
            "COMMAND", "RESPONSE", canned_response("/unsolicited"), wire.new_id()
        )
    )
    await round_trip(
        report,
        "GET after a response with an unknown id",
        peer,
        api,
        server_id,
        get_jobs,
        canned_response(get_jobs["uri"]),
    )

    await check_out_of_order(report, peer, api, server_id)


async def check_out_of_order(
    report: Report, peer: Peer, api: EndpointApi, server_id, count: int = 3
) -> None:
    """Respond to ``count`` concurrent calls in reverse order.

    Each HTTP call must still get its own response.
    """
    calls = []
    for index in range(count):
        uri = f"/netbackup/admin/jobs/{index + 1}"
        calls.append(
            CommandCall(api, server_id, {"uri": uri, "method": "GET", "headers": {}})
        )
    requests = []
    for _ in calls:
        try:
            requests.append(await peer.next_request(REQUEST_TIMEOUT))
        except TimeoutError:
            report.check(
                f"{count} concurrent calls: all COMMAND REQUESTs received",
                False,
                f"{len(requests)} of {count}",
            )
            return
    ids = {request.get("id") for request in requests}
    report.expect_equal(f"{count} concurrent calls: distinct ids", len(ids), count)
    for request in reversed(requests):
        await answer(peer, request, canned_response(request["payload"]["uri"]))
    problems = []
    for call in calls:
        status, body = await call.result()
        expected = canned_response(call.http_payload["uri"])
        if (status, body) != (200, expected):
            problems.append(f"{call.http_payload['uri']}: got {status} {body!r}")
    report.check_problems(
        f"{count} concurrent calls: responses sent in reverse order reach their callers",
        problems,
    )
