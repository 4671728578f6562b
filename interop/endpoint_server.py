"""The WebSocket side of the Python endpoint: CONNECT handling and acceptance.

:class:`Endpoint` is the handler that ``websockets`` calls for each connection
from the service. It rejects a CONNECT REQUEST with a wrong token with
``{"valid": false}`` and records the close code the service sends next. Other
connections wait in a queue, without a CONNECT RESPONSE, until the scenario accepts them with
:func:`accept`, so a check can act before the CONNECT RESPONSE is sent.
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

import wire
from peer import Peer
from report import Report

log = logging.getLogger("interop.endpoint_server")

# Seconds to wait for the CONNECT REQUEST after the WebSocket opens.
CONNECT_WAIT = 30
# Seconds to wait for the service to open a connection (first or again).
ARRIVAL_WAIT = 120
# Inbound limit of this endpoint, above anything the service should send.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class Arrival:
    """A connection whose CONNECT REQUEST carried the expected token, still without a response."""

    connection: ServerConnection
    connect: dict


@dataclass
class Rejection:
    """A CONNECT with a wrong token, and the close code the service sent afterwards."""

    connect: object
    close_code: int | None


class Endpoint:
    """WebSocket handler: rejects wrong tokens and queues the other connections."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.arrivals: asyncio.Queue[Arrival] = asyncio.Queue()
        self.rejections: asyncio.Queue[Rejection] = asyncio.Queue()

    async def handle(self, connection: ServerConnection) -> None:
        """Read the CONNECT REQUEST, then reject it or hand the connection to the scenario."""
        try:
            text = await asyncio.wait_for(connection.recv(), CONNECT_WAIT)
        except (TimeoutError, ConnectionClosed) as error:
            log.warning(
                "no CONNECT REQUEST peer=%s error=%r", connection.remote_address, error
            )
            return
        try:
            message = json.loads(text)
        except ValueError:
            message = text
        payload = message.get("payload") if isinstance(message, dict) else None
        token = payload.get("token") if isinstance(payload, dict) else None
        if token != self.token:
            await self.reject(connection, message)
            return
        log.info(
            "CONNECT REQUEST with the expected token peer=%s", connection.remote_address
        )
        self.arrivals.put_nowait(Arrival(connection, message))
        await connection.wait_closed()

    async def reject(self, connection: ServerConnection, message) -> None:
        """Send ``{"valid": false}`` and record how the service closes the connection."""
        log.info(
            "CONNECT REQUEST with a wrong token peer=%s", connection.remote_address
        )
        message_id = message.get("id") if isinstance(message, dict) else None
        response = wire.make_message(
            "CONNECT", "RESPONSE", {"valid": False}, message_id
        )
        try:
            await connection.send(wire.encode(response))
            await asyncio.wait_for(connection.wait_closed(), 15)
            close_code = connection.close_code
        except ConnectionClosed:
            close_code = connection.close_code
        except TimeoutError:
            close_code = None
        self.rejections.put_nowait(Rejection(message, close_code))


def connect_request_problems(arrival: Arrival, token: str) -> list[str]:
    """Check the CONNECT REQUEST and that the token stays out of the URL and headers."""
    problems = wire.envelope_problems(arrival.connect, "CONNECT", "REQUEST")
    payload = arrival.connect.get("payload")
    if isinstance(payload, dict):
        problems.extend(wire.connect_request_problems(payload, token))
    request = arrival.connection.request
    if request is not None:
        if token in request.path:
            problems.append("token appears in the request path")
        if any(token in value for _, value in request.headers.raw_items()):
            problems.append("token appears in an HTTP header")
    return problems


def note_connect_details(report: Report, connect: dict) -> None:
    """Record observations on the CONNECT REQUEST that the protocol allows."""
    message_id = connect.get("id")
    if isinstance(message_id, str) and message_id != message_id.upper():
        report.note(
            f"CONNECT id {message_id!r} is not upper-case (allowed, original uses upper-case)"
        )
    stamp = connect.get("timeStamp")
    if wire.is_integer(stamp) and abs(stamp - time.time()) > 300:
        report.note(f"CONNECT timeStamp {stamp} is more than 300 s from this clock")
    extensions = {k: v for k, v in connect.get("payload", {}).items() if k != "token"}
    report.note(f"CONNECT extension keys: {json.dumps(extensions)}")


async def accept(
    report: Report, endpoint: Endpoint, token: str, label: str
) -> tuple[Peer, str] | None:
    """Wait for the next arrival, check its CONNECT REQUEST and start a Peer on it.

    Returns the Peer and the CONNECT REQUEST id, for the caller's CONNECT RESPONSE.
    """
    try:
        arrival = await asyncio.wait_for(endpoint.arrivals.get(), ARRIVAL_WAIT)
    except TimeoutError:
        report.check(
            f"{label}: CONNECT REQUEST received",
            False,
            f"no connection within {ARRIVAL_WAIT} s",
        )
        return None
    report.check_problems(
        f"{label}: CONNECT REQUEST follows the protocol",
        connect_request_problems(arrival, token),
    )
    note_connect_details(report, arrival.connect)
    peer = Peer(arrival.connection)
    peer.start()
    return peer, arrival.connect.get("id")


async def answer_connect(peer: Peer, connect_id: str) -> None:
    """Send ``{"valid": true}`` for the CONNECT REQUEST with ``connect_id``."""
    await peer.send(
        wire.make_message("CONNECT", "RESPONSE", {"valid": True}, connect_id)
    )
