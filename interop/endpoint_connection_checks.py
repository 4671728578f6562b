"""Connection-level checks that the Python service side runs against ``nbwss endpoint``.

These open extra WebSocket connections for CONNECT variants and bad input,
and check that an HTTP API call fails when its backup server disconnects
before it responds. Where the protocol leaves the endpoint's reaction open, the
result is a NOTE instead of a check. backup_server.py supplies the connection
helpers and decides the order.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable

from websockets.exceptions import ConnectionClosed

import wire
from endpoint_api import EndpointApi
from endpoint_command_checks import CommandCall
from peer import Peer
from report import Report

OBSERVE_WAIT = 10

Opener = Callable[[], Awaitable[object]]


async def send_and_read(connection, text: str) -> str:
    """Send ``text`` and describe what comes back within OBSERVE_WAIT seconds."""
    await connection.send(text)
    try:
        reply = await asyncio.wait_for(connection.recv(), OBSERVE_WAIT)
    except TimeoutError:
        return f"nothing within {OBSERVE_WAIT} s, connection open"
    except ConnectionClosed:
        return f"connection closed with {connection.close_code}"
    return f"reply {reply[:200]}"


async def check_connect_without_token(report: Report, open_connection: Opener) -> None:
    """A CONNECT REQUEST without ``payload.token`` must not be accepted."""
    connection = await open_connection()
    request = wire.make_message(
        "CONNECT", "REQUEST", {"serverName": "interop-no-token"}
    )
    outcome = await send_and_read(connection, wire.encode(request))
    accepted = outcome.startswith("reply") and '"valid":true' in outcome.replace(
        " ", ""
    )
    report.check("CONNECT without token is not accepted", not accepted, outcome)
    report.note(f"CONNECT without token: {outcome}")
    await connection.close()


async def observe_connect_version(
    report: Report, open_connection: Opener, token: str
) -> None:
    """Record the reaction to a CONNECT REQUEST with version 2.0 and a valid token."""
    connection = await open_connection()
    request = dict(
        wire.make_message(
            "CONNECT", "REQUEST", {"token": token, "serverName": "interop-v2"}
        ),
        version="2.0",
    )
    outcome = await send_and_read(connection, wire.encode(request))
    report.note(f"CONNECT with version 2.0: {outcome}")
    await connection.close()


async def observe_undecodable(
    report: Report, open_connection: Opener, token: str
) -> None:
    """Record the reaction to text that is not JSON after a successful CONNECT."""
    connection = await open_connection()
    request = wire.make_message(
        "CONNECT", "REQUEST", {"token": token, "serverName": "interop-undecodable"}
    )
    await connection.send(wire.encode(request))
    reply = json.loads(await asyncio.wait_for(connection.recv(), OBSERVE_WAIT))
    if reply.get("payload") != {"valid": True}:
        report.note(f"undecodable message not tried: CONNECT RESPONSE was {reply!r}")
        await connection.close()
        return
    outcome = await send_and_read(connection, "this is not JSON {")
    report.note(f"undecodable message to the endpoint: {outcome}")
    await connection.close()


async def check_disconnect_mid_command(
    report: Report, peer: Peer, api: EndpointApi, server_id
) -> None:
    """Close the WebSocket while a command is pending. The HTTP call must fail, not hang."""
    call = CommandCall(
        api, server_id, {"uri": "/netbackup/admin/jobs", "method": "GET", "headers": {}}
    )
    try:
        await peer.next_request(30)
    except TimeoutError:
        report.check(
            "disconnect mid-command: COMMAND REQUEST received",
            False,
            "none within 30 s",
        )
        return
    await peer.stop()
    try:
        status, body = await call.result()
    except (TimeoutError, OSError) as error:
        report.check(
            "disconnect mid-command: HTTP call ends with an error status",
            False,
            repr(error),
        )
        return
    report.check(
        "disconnect mid-command: HTTP call ends with an error status",
        status >= 400,
        f"got {status} {body!r}",
    )
    report.note(f"disconnect mid-command: HTTP API returned {status} {body!r}")
