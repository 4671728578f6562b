"""An NBWSS endpoint in Python that checks ``nbwss serve`` against the protocol.

It is the WebSocket server that the service dials into: TLS with a self-signed
certificate generated at start, on 127.0.0.1 and a port chosen by the system.
This file contains the command line and starts the server of endpoint_server.py.
The checks run in service_scenario.py. Registering the endpoint, queueing
notifications and stopping the simulator are left to run.sh, which reads
``details.json``, ``details-wrong-token.json`` and ``fingerprint`` from
``--state-dir`` and performs the actions that service_scenario.py requests
there.

Every check prints a PASS or FAIL line. The exit status is 1 when one failed.
"""

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from websockets.asyncio.server import serve

import certs
from endpoint_server import MAX_MESSAGE_BYTES, Endpoint
from report import Report
from service_scenario import run_scenario

log = logging.getLogger("interop.endpoint")


def write_details(state_dir: Path, url: str, group_id: str, token: str) -> None:
    """Write the details files that run.sh registers with ``nbwss servers add``."""
    details = {
        "hostName": "127.0.0.1",
        "url": url,
        "groupId": group_id,
        "priority": 0,
        "token": token,
    }
    (state_dir / "details.json").write_text(json.dumps(details, indent=2) + "\n")
    wrong = dict(details, token=token + "-wrong")
    (state_dir / "details-wrong-token.json").write_text(
        json.dumps(wrong, indent=2) + "\n"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--state-dir", type=Path, required=True, help="folder shared with run.sh"
    )
    parser.add_argument("--token", required=True, help="CONNECT token to accept")
    parser.add_argument(
        "--group-id", default="interop", help="groupId written to details.json"
    )

    parser.add_argument(
        "--upstream-url",
        required=True,
        help="simulator base URL, https://127.0.0.1:PORT",
    )
    parser.add_argument(
        "--upstream-ca", required=True, help="simulator certificate (PEM)"
    )
    parser.add_argument("--api-key", required=True, help="simulator API key")
    parser.add_argument(
        "--user-name", default="admin", help="simulator login user name"
    )
    parser.add_argument("--password", default="admin", help="simulator login password")

    parser.add_argument(
        "--expected-notifications",
        required=True,
        help="JSON array of the items run.sh queues",
    )

    # The service's limits, as run.sh sets them with --set.
    parser.add_argument(
        "--max-inbound-bytes",
        type=int,
        required=True,
        help="the service's connection.maxInboundMessageBytes",
    )
    parser.add_argument(
        "--hard-max-inbound-bytes",
        type=int,
        required=True,
        help="the service's connection.hardMaxInboundMessageBytes",
    )
    parser.add_argument(
        "--max-response-bytes",
        type=int,
        required=True,
        help="the service's command.maxResponseBytes",
    )

    parser.add_argument(
        "--resend-limit", type=float, default=30, help="seconds to wait for a resend"
    )
    parser.add_argument(
        "--quiet-window",
        type=float,
        default=10,
        help="seconds in which an acknowledged id must not return",
    )
    return parser.parse_args()


async def main() -> int:
    args = parse_args()
    report = Report("endpoint.py vs nbwss serve")
    endpoint = Endpoint(args.token)
    cert_path, key_path, fingerprint = certs.write_self_signed(args.state_dir)
    context = certs.server_context(cert_path, key_path)
    async with serve(
        endpoint.handle, "127.0.0.1", 0, ssl=context, max_size=MAX_MESSAGE_BYTES
    ) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"wss://127.0.0.1:{port}/nbwss"
        write_details(args.state_dir, url, args.group_id, args.token)
        (args.state_dir / "fingerprint").write_text(fingerprint + "\n")
        log.info("endpoint listening url=%s fingerprint=%s", url, fingerprint)
        await run_scenario(args, endpoint, report)
    report.print_summary()
    return report.exit_code()


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sys.exit(asyncio.run(main()))
