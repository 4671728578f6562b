"""Call the upstream REST API (``nbwss sim``) directly, to compare with relayed calls.

The endpoint checks send the same request once through the tunnel and once
here, then compare status, headers and body. Only loopback URLs are expected.
Retries and paging are left to the callers.
"""

import asyncio
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass
class UpstreamReply:
    """Status, lower-cased headers (repeats joined with ", ") and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


class Upstream:
    """HTTPS client for the simulator, trusting only its generated certificate."""

    def __init__(self, base_url: str, ca_file: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.context = ssl.create_default_context(cafile=ca_file)

    async def fetch(
        self, method: str, uri: str, headers: dict[str, str], body: bytes | None = None
    ) -> UpstreamReply:
        """Send one request in a worker thread and return the reply, error statuses included."""
        return await asyncio.to_thread(self._fetch_blocking, method, uri, headers, body)

    def _fetch_blocking(
        self, method: str, uri: str, headers: dict[str, str], body: bytes | None
    ) -> UpstreamReply:
        request = urllib.request.Request(
            self.base_url + uri, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(
                request, context=self.context, timeout=30
            ) as response:
                return UpstreamReply(
                    response.status, joined_headers(response.headers), response.read()
                )
        except urllib.error.HTTPError as error:
            with error:
                return UpstreamReply(
                    error.code, joined_headers(error.headers), error.read()
                )


def joined_headers(message) -> dict[str, str]:
    """Lower-case header names and join repeated headers with ", "."""
    joined: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined
