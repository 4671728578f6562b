"""The order of the checks that endpoint.py runs against ``nbwss serve``.

Phases: a wrong token, a withheld CONNECT RESPONSE, COMMAND checks, notification
checks and an unreachable upstream. Then come the phases that end a connection
and expect the service to connect again. They are an undecodable message
(close 1007), a message over the hard size limit (close 1009), a binary
message, unanswered pings, a close by the endpoint, and deactivation (close
1000) followed by activation. Where a phase needs something done outside the WebSocket, it
writes ``NAME.request`` in the state folder and waits for run.sh to write
``NAME.done``. The actions are ``notify``, ``stop-upstream``, ``deactivate``
and ``activate``, and scenario_service.sh performs them.
"""

import argparse
import asyncio
import json
import time
from pathlib import Path

import command_checks
import command_rule_checks
from endpoint_server import ARRIVAL_WAIT, Endpoint, accept, answer_connect
from notification_checks import run_notification_checks
from peer import Peer
from report import Report
from upstream import Upstream

# Seconds that run.sh may take to perform one requested action.
ACTION_WAIT = 120
# Seconds to wait for the service to close a connection after a trigger.
CLOSE_WAIT = 30
# Seconds to wait for a reaction that the protocol does not specify.
OBSERVE_WAIT = 10


async def request_action(report: Report, state_dir: Path, name: str) -> bool:
    """Ask run.sh to perform action ``name`` and wait until it reports it done."""
    (state_dir / f"{name}.request").write_text("")
    done = state_dir / f"{name}.done"
    deadline = time.monotonic() + ACTION_WAIT
    while not done.exists():
        if time.monotonic() > deadline:
            report.check(
                f"run.sh performs action {name}",
                False,
                f"not done within {ACTION_WAIT} s",
            )
            return False
        await asyncio.sleep(0.1)
    return True


async def check_rejection(report: Report, endpoint: Endpoint) -> None:
    """Expect one CONNECT with the wrong token, rejected with valid false, then close code 1008."""
    try:
        rejection = await asyncio.wait_for(endpoint.rejections.get(), ARRIVAL_WAIT)
    except TimeoutError:
        report.check(
            "wrong token: CONNECT REQUEST received",
            False,
            f"none within {ARRIVAL_WAIT} s",
        )
        return
    report.expect_equal(
        "wrong token: service closes with 1008 after valid false",
        rejection.close_code,
        1008,
    )


async def check_withheld_connect(
    report: Report, endpoint: Endpoint, token: str
) -> None:
    """Send no CONNECT RESPONSE and expect close code 1008 after connect.responseTimeout."""
    accepted = await accept(report, endpoint, token, "withheld CONNECT RESPONSE")
    if accepted is None:
        return
    peer, _ = accepted
    close_code = await peer.wait_closed(CLOSE_WAIT)
    report.expect_equal(
        "withheld CONNECT RESPONSE: service closes with 1008", close_code, 1008
    )


async def run_command_phase(
    report: Report, peer: Peer, args: argparse.Namespace
) -> None:
    """Run every COMMAND check on an established connection."""
    credentials = command_checks.Credentials(
        args.api_key, args.user_name, args.password
    )
    upstream = Upstream(args.upstream_url, args.upstream_ca)
    report.check(
        "service replies to a WebSocket ping",
        await peer.pong_received(15),
        "no pong within 15 s",
    )
    await command_checks.run_relay_checks(report, peer, upstream, credentials)
    await command_rule_checks.run_envelope_checks(report, peer, credentials)
    await command_rule_checks.run_rejection_checks(
        report, peer, credentials, args.max_inbound_bytes
    )
    await command_rule_checks.run_concurrency_check(report, peer, credentials)
    await command_rule_checks.run_limit_checks(
        report, peer, upstream, credentials, args.max_response_bytes
    )
    await command_rule_checks.observe_unspecified(report, peer, credentials)


async def check_upstream_unreachable(
    report: Report, peer: Peer, name: str, api_key: str
) -> None:
    """Expect 502 UPSTREAM_UNREACHABLE once run.sh has stopped the simulator."""
    headers = {"Authorization": api_key}
    message = command_checks.command_message(
        {"uri": command_checks.JOBS_URI, "method": "GET", "headers": headers}
    )
    await command_checks.expect_generated_error(
        report, name, peer, message, 502, "UPSTREAM_UNREACHABLE"
    )


async def reconnect(
    report: Report, endpoint: Endpoint, args: argparse.Namespace, label: str
) -> Peer | None:
    """Accept the service's next connection, send valid true and check that it relays a command."""
    accepted = await accept(report, endpoint, args.token, label)
    if accepted is None:
        return None
    new_peer, connect_id = accepted
    await answer_connect(new_peer, connect_id)
    await check_upstream_unreachable(
        report, new_peer, f"{label}: COMMAND", args.api_key
    )
    return new_peer


async def check_close_and_reconnect(
    report: Report,
    endpoint: Endpoint,
    peer: Peer,
    args: argparse.Namespace,
    text: str,
    name: str,
    expected_code: int,
) -> Peer | None:
    """Send ``text``, expect the service to close with ``expected_code`` and to connect again."""
    await peer.connection.send(text)
    close_code = await peer.wait_closed(CLOSE_WAIT)
    report.expect_equal(
        f"{name}: service closes with {expected_code}", close_code, expected_code
    )
    return await reconnect(report, endpoint, args, f"reconnection after {name}")


async def observe_binary_message(
    report: Report, endpoint: Endpoint, peer: Peer, args: argparse.Namespace
) -> Peer | None:
    """Send a binary message, which the protocol calls an error, and record the reaction."""
    await peer.connection.send(b'{"binary": true}')
    close_code = await peer.wait_closed(OBSERVE_WAIT)
    if close_code is None:
        report.note(
            f"binary message: connection still open after {OBSERVE_WAIT} s, no close"
        )
        return peer
    report.note(f"binary message: service closed the connection with {close_code}")
    return await reconnect(
        report, endpoint, args, "reconnection after a binary message"
    )


async def check_unanswered_pings(
    report: Report, endpoint: Endpoint, peer: Peer, args: argparse.Namespace
) -> Peer | None:
    """Stop reading so that no pong goes back, and expect the service to connect again.

    The service pings every keepAlive.scheduledRate seconds and closes after
    keepAlive.maxPongMissAllowed pings without a pong; run.sh sets both low.
    """
    peer.connection.transport.pause_reading()
    new_peer = await reconnect(
        report, endpoint, args, "reconnection after unanswered pings"
    )
    peer.connection.transport.resume_reading()
    close_code = await peer.wait_closed(CLOSE_WAIT)
    report.note(
        f"unanswered pings: the old connection ended with close code {close_code}"
    )
    return new_peer


async def check_endpoint_close(
    report: Report, endpoint: Endpoint, peer: Peer, args: argparse.Namespace
) -> Peer | None:
    """Close the connection with 1000 and expect the service to connect again."""
    await peer.stop()
    return await reconnect(
        report, endpoint, args, "reconnection after the endpoint closed with 1000"
    )


async def check_deactivate_and_activate(
    report: Report, endpoint: Endpoint, peer: Peer, args: argparse.Namespace
) -> None:
    """Expect close code 1000 on ``servers deactivate``, then a new connection on ``activate``."""
    if not await request_action(report, args.state_dir, "deactivate"):
        return
    close_code = await peer.wait_closed(CLOSE_WAIT)
    report.expect_equal(
        "servers deactivate: service closes with 1000", close_code, 1000
    )
    if not await request_action(report, args.state_dir, "activate"):
        return
    new_peer = await reconnect(
        report, endpoint, args, "reconnection after servers activate"
    )
    if new_peer is not None:
        await new_peer.stop()


def check_stray_messages(report: Report, peer: Peer) -> None:
    """Fail on unsolicited responses and on messages that were not JSON objects."""
    report.check(
        "no COMMAND RESPONSE with an unknown id",
        not peer.unmatched_responses,
        f"{peer.unmatched_responses[:3]}",
    )
    report.check(
        "no binary or undecodable message from the service",
        not peer.invalid_inbound,
        f"{peer.invalid_inbound[:3]}",
    )


def oversized_command(size: int) -> str:
    """Return a COMMAND REQUEST of more than ``size`` bytes of JSON text."""
    payload = {
        "uri": "/netbackup/login",
        "method": "POST",
        "headers": {},
        "parameters": "x" * size,
    }
    return json.dumps(command_checks.command_message(payload))


async def run_scenario(
    args: argparse.Namespace, endpoint: Endpoint, report: Report
) -> None:
    """Run the phases in order. A phase that cannot start ends the scenario."""
    await check_rejection(report, endpoint)
    await check_withheld_connect(report, endpoint, args.token)

    accepted = await accept(report, endpoint, args.token, "first connection")
    if accepted is None:
        return
    peer, connect_id = accepted
    await command_checks.check_not_connected(report, peer)
    await answer_connect(peer, connect_id)
    await run_command_phase(report, peer, args)

    if not await request_action(report, args.state_dir, "notify"):
        return
    expected_items = json.loads(Path(args.expected_notifications).read_text())
    await run_notification_checks(
        report, peer, expected_items, args.resend_limit, args.quiet_window
    )
    check_stray_messages(report, peer)

    if not await request_action(report, args.state_dir, "stop-upstream"):
        return
    await check_upstream_unreachable(report, peer, "simulator stopped", args.api_key)

    peer = await check_close_and_reconnect(
        report, endpoint, peer, args, "this is not JSON {", "undecodable message", 1007
    )
    if peer is None:
        return
    text = oversized_command(args.hard_max_inbound_bytes)
    peer = await check_close_and_reconnect(
        report, endpoint, peer, args, text, "message over the hard limit", 1009
    )
    for phase in (observe_binary_message, check_unanswered_pings, check_endpoint_close):
        if peer is None:
            return
        peer = await phase(report, endpoint, peer, args)
    if peer is not None:
        await check_deactivate_and_activate(report, endpoint, peer, args)
