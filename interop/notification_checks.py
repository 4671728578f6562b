"""NOTIFICATION checks that the Python endpoint runs against ``nbwss serve``.

run.sh queues items with ``nbwss notify`` once endpoint.py requests it. These
checks hold back the acknowledgement of the first NOTIFICATION REQUEST. The
service must send it again with the same ``id`` and payload, because it resends
an unacknowledged request every notification.scheduledRate seconds. The checks
then acknowledge every request and compare the records received with the
records queued. run.sh checks the backlog afterwards through ``nbwss status``.
"""

import time

import wire
from peer import Peer
from report import Report

# Acknowledgement payloads rotate through the three forms that the protocol allows
# (absent, {} and []), the less common forms first.
ACK_PAYLOADS = [None, {}, []]


class NotificationReceiver:
    """State of one notification run: ids acknowledged and records received."""

    def __init__(self, report: Report, peer: Peer) -> None:
        self.report = report
        self.peer = peer
        self.acked_ids: list[str] = []
        self.records: list[tuple[str, dict]] = []
        self.first_payloads: dict[str, list] = {}

    async def receive(self, timeout: float) -> dict:
        """Return the next NOTIFICATION REQUEST, checking its envelope and payload once per id."""
        message = await self.peer.next_request(timeout)
        message_id = message.get("id")
        if message_id not in self.first_payloads:
            problems = wire.envelope_problems(message, "NOTIFICATION", "REQUEST")
            problems.extend(wire.notification_problems(message.get("payload")))
            self.report.check_problems(
                f"NOTIFICATION {message_id}: follows the protocol", problems
            )
            self.first_payloads[message_id] = message.get("payload")
            self.collect_records(message.get("payload"))
        return message

    def collect_records(self, payload) -> None:
        if not isinstance(payload, list):
            return
        for item in payload:
            if isinstance(item, dict) and isinstance(item.get("data"), list):
                self.records.extend(
                    (item.get("object"), record) for record in item["data"]
                )

    async def acknowledge(self, message: dict) -> None:
        """Send a NOTIFICATION RESPONSE with the same id, in the next of the three forms."""
        ack_payload = ACK_PAYLOADS[len(self.acked_ids) % len(ACK_PAYLOADS)]
        response = wire.make_message(
            "NOTIFICATION", "RESPONSE", ack_payload, message["id"]
        )
        await self.peer.send(response)
        if message["id"] not in self.acked_ids:
            self.acked_ids.append(message["id"])


async def run_notification_checks(
    report: Report,
    peer: Peer,
    expected_items: list[dict],
    resend_limit: float,
    quiet_window: float,
) -> None:
    """Check delivery, resend of an unacknowledged request, order and acknowledgement.

    ``resend_limit`` bounds the wait for the resend in seconds.
    ``quiet_window`` is how long, after the last acknowledgement, an
    acknowledged id must not come back.
    """
    receiver = NotificationReceiver(report, peer)
    try:
        first = await receiver.receive(timeout=60)
    except TimeoutError:
        report.check(
            "NOTIFICATION REQUEST received after nbwss notify",
            False,
            "none within 60 s",
        )
        return
    report.check("NOTIFICATION REQUEST received after nbwss notify", True)

    resent = await wait_for_resend(receiver, first, resend_limit)
    if resent is not None:
        report.expect_equal(
            "unacknowledged NOTIFICATION resent with the same payload",
            resent.get("payload"),
            first.get("payload"),
        )
        await receiver.acknowledge(resent)

    expected = [
        (item["object"], record) for item in expected_items for record in item["data"]
    ]
    await receive_until_complete(receiver, len(expected), timeout=60)
    report.expect_equal(
        "records delivered in the order queued", receiver.records, expected
    )

    repeats = await watch_quiet_window(receiver, quiet_window)
    report.check(
        f"acknowledged ids not sent again within {quiet_window:.0f} s",
        not repeats,
        f"sent again: {repeats}",
    )


async def wait_for_resend(
    receiver: NotificationReceiver, first: dict, limit: float
) -> dict | None:
    """Wait for ``first`` to come back without acknowledging it, but acknowledge other ids."""
    deadline = time.monotonic() + limit
    while True:
        remaining = deadline - time.monotonic()
        try:
            message = await receiver.receive(timeout=max(remaining, 0.01))
        except TimeoutError:
            receiver.report.check(
                "unacknowledged NOTIFICATION resent with the same id",
                False,
                f"not resent within {limit:.0f} s",
            )
            return None
        if message.get("id") == first["id"]:
            receiver.report.check(
                "unacknowledged NOTIFICATION resent with the same id", True
            )
            return message
        receiver.report.note(
            f"NOTIFICATION {message.get('id')} arrived while {first['id']} was unacknowledged"
        )
        await receiver.acknowledge(message)


async def receive_until_complete(
    receiver: NotificationReceiver, expected_count: int, timeout: float
) -> None:
    """Acknowledge requests until ``expected_count`` records arrived or ``timeout`` s passed."""
    deadline = time.monotonic() + timeout
    while len(receiver.records) < expected_count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            message = await receiver.receive(timeout=remaining)
        except TimeoutError:
            return
        await receiver.acknowledge(message)


async def watch_quiet_window(
    receiver: NotificationReceiver, window: float
) -> list[str]:
    """Return the acknowledged ids that arrive again within ``window`` seconds."""
    repeats = []
    deadline = time.monotonic() + window
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = await receiver.receive(timeout=remaining)
        except TimeoutError:
            break
        if message.get("id") in receiver.acked_ids:
            repeats.append(message["id"])
        await receiver.acknowledge(message)
    return repeats
