"""Client for the HTTP API of ``nbwss endpoint``, the cloud application's side.

README.md and ``--help`` do not describe this API; the shapes here are what
``nbwss endpoint`` printed at start and returned when probed:

- ``GET /api/v1/servers`` returns ``{"servers": [{"id", "serverName", ...}]}``.
- ``POST /api/v1/servers/{id}/commands`` takes a COMMAND REQUEST payload as
  the JSON body and returns the COMMAND RESPONSE payload.
- ``GET /api/v1/notifications/stream`` is a server-sent event stream whose
  ``notification`` events carry ``{"messageId", "items", "serverId", ...}``.

Blocking urllib calls run in worker threads so the WebSocket side keeps going.
"""

import asyncio
import json
import threading
import urllib.error
import urllib.request

HTTP_TIMEOUT = 60


class EndpointApi:
    """Plain-HTTP client of the reference endpoint's API on loopback."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def servers(self) -> list[dict]:
        """Return the connected backup servers."""
        status, body = await asyncio.to_thread(
            self._call, "GET", "/api/v1/servers", None
        )
        if status != 200:
            raise RuntimeError(f"GET /api/v1/servers returned {status}: {body!r}")
        return body.get("servers", [])

    async def command(self, server_id, payload: dict) -> tuple[int, object]:
        """Run one command on a backup server and return the HTTP status and JSON body."""
        path = f"/api/v1/servers/{server_id}/commands"
        return await asyncio.to_thread(self._call, "POST", path, payload)

    def _call(self, method: str, path: str, payload) -> tuple[int, object]:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                return response.status, parse_json(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, parse_json(error.read())

    def open_notification_stream(self) -> "NotificationStream":
        """Subscribe to the notification stream and return the reader."""
        return NotificationStream(self.base_url + "/api/v1/notifications/stream")


def parse_json(raw: bytes):
    """Decode JSON, or return the text when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class NotificationStream:
    """Reader of server-sent events in a daemon thread, delivered to an asyncio queue.

    Only ``event:`` and ``data:`` fields are read; an event ends at a blank line.
    The thread stops when the stream ends or stays idle for HTTP_TIMEOUT s.
    """

    def __init__(self, url: str) -> None:
        self.loop = asyncio.get_running_loop()
        self.events: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self.opened = threading.Event()
        self.open_error: Exception | None = None
        self.thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self.thread.start()

    def _read(self, url: str) -> None:
        try:
            response = urllib.request.urlopen(url, timeout=HTTP_TIMEOUT)
        except OSError as error:
            self.open_error = error
            self.opened.set()
            return
        self.opened.set()
        event, data = "message", []
        try:
            for raw_line in response:
                line = raw_line.decode(errors="replace").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[len("event:") :].strip()
                elif line.startswith("data:"):
                    data.append(line[len("data:") :].strip())
                elif line == "" and data:
                    self.loop.call_soon_threadsafe(
                        self.events.put_nowait,
                        (event, parse_json("\n".join(data).encode())),
                    )
                    event, data = "message", []
        except OSError:
            pass
        finally:
            response.close()

    async def wait_open(self, timeout: float) -> None:
        """Wait until the HTTP stream is open, and raise the error when opening failed."""
        if not await asyncio.to_thread(self.opened.wait, timeout):
            raise TimeoutError(f"notification stream not open within {timeout} s")
        if self.open_error is not None:
            raise self.open_error

    async def next_event(self, timeout: float) -> tuple[str, object]:
        """Return the next ``(event name, JSON data)``, or raise TimeoutError."""
        return await asyncio.wait_for(self.events.get(), timeout)
