"""Route NBWSS messages on one open WebSocket connection, for either side.

A :class:`Peer` reads every inbound text message in a background task. A
RESPONSE goes to the caller that sent the REQUEST with the same ``id``, and a
REQUEST goes to a queue that the scenario reads. The CONNECT exchange happens
before a Peer is started, in endpoint.py or backup_server.py. Checking message
contents is left to the callers.
"""

import asyncio
import json
import logging

from websockets.exceptions import ConnectionClosed

import wire

log = logging.getLogger("interop.peer")


class Peer:
    """Message router over one websockets connection (client or server side)."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.pending: dict[str, asyncio.Future] = {}
        self.collectors: dict[str, asyncio.Queue[dict]] = {}
        self.requests: asyncio.Queue[dict] = asyncio.Queue()
        self.unmatched_responses: list[dict] = []
        self.invalid_inbound: list[str] = []
        self.closed = asyncio.Event()
        self._reader: asyncio.Task | None = None

    def start(self) -> None:
        """Start the background reader. Call it once, after the CONNECT exchange."""
        self._reader = asyncio.create_task(self._read_loop())

    async def _read_loop(self) -> None:
        try:
            async for frame in self.connection:
                self._route(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(
                        ConnectionError("connection closed before the response")
                    )

    def _route(self, frame) -> None:
        if isinstance(frame, bytes):
            self.invalid_inbound.append(f"binary message of {len(frame)} bytes")
            return
        try:
            message = json.loads(frame)
        except ValueError:
            self.invalid_inbound.append(f"undecodable text message: {frame[:80]!r}")
            return
        if not isinstance(message, dict):
            self.invalid_inbound.append(f"JSON value is not an object: {frame[:80]!r}")
            return
        if message.get("subType") == "RESPONSE":
            collector = self.collectors.get(message.get("id"))
            if collector is not None:
                collector.put_nowait(message)
                return
            future = self.pending.pop(message.get("id"), None)
            if future is None or future.done():
                self.unmatched_responses.append(message)
            else:
                future.set_result(message)
            return
        log.debug(
            "request received type=%s id=%s", message.get("type"), message.get("id")
        )
        self.requests.put_nowait(message)

    async def request(self, message: dict, timeout: float) -> dict:
        """Send a REQUEST envelope and wait for the RESPONSE with the same id."""
        return await self.request_text(wire.encode(message), message["id"], timeout)

    async def request_text(self, text: str, message_id: str, timeout: float) -> dict:
        """Send raw text and wait for the RESPONSE whose id equals ``message_id``.

        Raw text lets a check send a message that the builders would not
        produce, such as a wrong version or an oversized body.
        """
        future = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        try:
            await self.connection.send(text)
            return await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(message_id, None)

    async def request_repeated(
        self, text: str, message_id: str, count: int, timeout: float
    ) -> list[dict]:
        """Send ``text`` ``count`` times back to back and return the responses with ``message_id``.

        Returns fewer than ``count`` responses when ``timeout`` s pass first.
        """
        collector: asyncio.Queue[dict] = asyncio.Queue()
        self.collectors[message_id] = collector
        responses = []
        try:
            for _ in range(count):
                await self.connection.send(text)
            for _ in range(count):
                responses.append(await asyncio.wait_for(collector.get(), timeout))
        except TimeoutError:
            pass
        finally:
            del self.collectors[message_id]
        return responses

    async def pong_received(self, timeout: float) -> bool:
        """Send a WebSocket ping and tell whether the pong came within ``timeout`` s."""
        try:
            pong = await self.connection.ping()
            await asyncio.wait_for(pong, timeout)
        except (TimeoutError, ConnectionClosed):
            return False
        return True

    async def send(self, message: dict) -> None:
        """Send one message without waiting for anything."""
        await self.connection.send(wire.encode(message))

    async def next_request(self, timeout: float) -> dict:
        """Return the next inbound REQUEST, or raise TimeoutError after ``timeout`` s."""
        return await asyncio.wait_for(self.requests.get(), timeout)

    async def wait_closed(self, timeout: float) -> int | None:
        """Wait for the connection to close and return the peer's close code.

        Returns None when the connection is still open after ``timeout`` s.
        """
        try:
            await asyncio.wait_for(self.connection.wait_closed(), timeout)
        except TimeoutError:
            return None
        return self.connection.close_code

    async def stop(self) -> None:
        """Close the connection normally and wait for the reader to finish."""
        await self.connection.close(code=1000)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 15)
