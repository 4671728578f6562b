"""The service side of NBWSS in Python, checking ``nbwss endpoint`` against the protocol.

It dials the endpoint's ``wss://`` URL as a websockets client. TLS chain
checks are off, and the SHA-256 of the peer certificate must equal
``--fingerprint`` before anything is sent. It checks that a wrong token gets
``{"valid": false}`` and the right one ``{"valid": true}``. It then responds to
the COMMAND REQUESTs that the endpoint's HTTP API produces with canned COMMAND
RESPONSEs, and checks that NOTIFICATION REQUESTs are acknowledged with the same
``id``. Starting ``nbwss endpoint`` is left to run.sh. Every check prints a
PASS or FAIL line, and the exit status is 1 when one failed.
"""

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import certs
import wire
from endpoint_api import EndpointApi
from endpoint_command_checks import run_command_checks
from endpoint_connection_checks import (
    check_connect_without_token,
    check_disconnect_mid_command,
    observe_connect_version,
    observe_undecodable,
)
from endpoint_notification_checks import run_notification_checks
from peer import Peer
from report import Report

log = logging.getLogger("interop.backup_server")

SERVER_NAME = "interop-backup-server"
RESPONSE_TIMEOUT = 30
DETAILS_KEYS = {"hostName", "url", "groupId", "priority", "token"}


class FingerprintMismatch(Exception):
    """The endpoint's certificate is not the pinned one."""


async def open_pinned(url: str, fingerprint: str) -> ClientConnection:
    """Open a WebSocket to ``url`` and close it unless the leaf certificate matches."""
    connection = await connect(
        url,
        ssl=certs.pinning_client_context(),
        max_size=16 * 1024 * 1024,
        open_timeout=30,
    )
    ssl_object = connection.transport.get_extra_info("ssl_object")
    actual = certs.peer_fingerprint(ssl_object)
    if certs.normalise_fingerprint(actual) != certs.normalise_fingerprint(fingerprint):
        await connection.close(code=1008)
        raise FingerprintMismatch(
            f"certificate fingerprint {actual} is not the pinned {fingerprint}"
        )
    return connection


async def exchange_connect(
    connection: ClientConnection, connect_payload: dict
) -> tuple[dict, dict | None]:
    """Send a CONNECT REQUEST and return it with the response, or with None when none arrived."""
    request = wire.make_message("CONNECT", "REQUEST", connect_payload)
    await connection.send(wire.encode(request))
    try:
        text = await asyncio.wait_for(connection.recv(), RESPONSE_TIMEOUT)
    except (TimeoutError, ConnectionClosed):
        return request, None
    try:
        return request, json.loads(text)
    except ValueError:
        return request, {"undecodable": text}


def connect_response_problems(
    request: dict, response: dict | None, valid: bool
) -> list[str]:
    """Check a CONNECT RESPONSE: envelope, echoed id and ``{"valid": ...}`` payload."""
    if response is None:
        return [f"no CONNECT RESPONSE within {RESPONSE_TIMEOUT} s"]
    problems = wire.envelope_problems(response, "CONNECT", "RESPONSE")
    if response.get("id") != request["id"]:
        problems.append(
            f"id {response.get('id')!r} differs from request id {request['id']!r}"
        )
    if response.get("payload") != {"valid": valid}:
        problems.append(
            f"payload is {response.get('payload')!r}, expected {{'valid': {str(valid).lower()}}}"
        )
    return problems


async def check_wrong_token(
    report: Report, url: str, fingerprint: str, token: str
) -> None:
    """Check that the endpoint rejects a wrong token with valid false, then close with 1008."""
    connection = await open_pinned(url, fingerprint)
    request, response = await exchange_connect(
        connection, {"token": token + "-wrong", "serverName": "interop-rejected"}
    )
    report.check_problems(
        "wrong token: CONNECT RESPONSE valid false",
        connect_response_problems(request, response, False),
    )
    if connection.close_code is not None:
        report.note(
            f"endpoint closed the rejected connection itself with {connection.close_code}"
        )
    await connection.close(code=1008, reason="CONNECT rejected")


async def find_server(
    report: Report, api: EndpointApi, server_name: str
) -> dict | None:
    """Poll the HTTP API until a server with ``server_name`` is listed (at most 30 s)."""
    for _ in range(150):
        servers = await api.servers()
        for server in servers:
            if server.get("serverName") == server_name:
                return server
        await asyncio.sleep(0.2)
    report.check(f"HTTP API lists {server_name}", False, "not listed within 30 s")
    return None


def check_details_file(report: Report, path: Path, url: str, token: str) -> None:
    """Check the details file written by ``nbwss endpoint --details-out``."""
    details = json.loads(path.read_text())
    problems = []
    if set(details) != DETAILS_KEYS:
        problems.append(f"keys are {sorted(details)}, expected {sorted(DETAILS_KEYS)}")
    if details.get("url") != url:
        problems.append(f"url is {details.get('url')!r}, expected {url!r}")
    if details.get("token") != token:
        problems.append("token differs from the tokens file")
    report.check_problems("details file has the registry keys", problems)


async def run(args: argparse.Namespace, report: Report) -> None:
    """Run the checks in order: details, CONNECT variants, commands, notifications, disconnect."""
    check_details_file(report, args.details, args.url, args.token)
    api = EndpointApi(args.api_url)
    await check_wrong_token(report, args.url, args.fingerprint, args.token)
    servers = await api.servers()
    report.check(
        "wrong token: server not listed by the HTTP API",
        all(s.get("serverName") != "interop-rejected" for s in servers),
        f"{servers}",
    )

    def open_connection():
        return open_pinned(args.url, args.fingerprint)

    await check_connect_without_token(report, open_connection)
    await observe_connect_version(report, open_connection, args.token)
    await observe_undecodable(report, open_connection, args.token)

    connection = await open_pinned(args.url, args.fingerprint)
    connect_payload = {
        "token": args.token,
        "serverName": SERVER_NAME,
        "serviceVersion": "interop-1",
        "capabilities": ["error-responses"],
    }
    request, response = await exchange_connect(connection, connect_payload)
    if not report.check_problems(
        "right token: CONNECT RESPONSE valid true",
        connect_response_problems(request, response, True),
    ):
        await connection.close(code=1008)
        return
    peer = Peer(connection)
    peer.start()
    report.check(
        "endpoint replies to a WebSocket ping",
        await peer.pong_received(15),
        "no pong within 15 s",
    )
    server = await find_server(report, api, SERVER_NAME)
    if server is None:
        await peer.stop()
        return
    report.expect_equal(
        "HTTP API shows serviceVersion from CONNECT",
        server.get("serviceVersion"),
        "interop-1",
    )
    await run_command_checks(report, peer, api, server["id"])
    await run_notification_checks(report, peer, api)
    report.check(
        "no unsolicited RESPONSE from the endpoint",
        not peer.unmatched_responses,
        f"{peer.unmatched_responses[:3]}",
    )
    report.check(
        "no binary or undecodable message from the endpoint",
        not peer.invalid_inbound,
        f"{peer.invalid_inbound[:3]}",
    )
    await check_disconnect_mid_command(report, peer, api, server["id"])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the endpoint's wss:// URL")
    parser.add_argument(
        "--fingerprint",
        required=True,
        help="SHA-256 of the endpoint certificate, AB:CD:...",
    )
    parser.add_argument(
        "--token", required=True, help="a token listed in the endpoint's tokens file"
    )
    parser.add_argument(
        "--api-url",
        required=True,
        help="base URL of the endpoint's HTTP API, http://127.0.0.1:PORT",
    )
    parser.add_argument(
        "--details",
        type=Path,
        required=True,
        help="details file written by --details-out",
    )
    return parser.parse_args()


async def main() -> int:
    args = parse_args()
    report = Report("backup_server.py vs nbwss endpoint")
    try:
        await run(args, report)
    except FingerprintMismatch as error:
        report.check(
            "endpoint certificate matches the printed fingerprint", False, str(error)
        )
    report.print_summary()
    return report.exit_code()


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sys.exit(asyncio.run(main()))
