"""NOTIFICATION checks that the Python service side runs against ``nbwss endpoint``.

The checks send NOTIFICATION REQUESTs with one JOB or IMAGE item and
expect a NOTIFICATION RESPONSE with the same ``id`` and a payload of ``[]``,
``{}`` or none. They also read the endpoint's notification stream to see that
each ``id`` reaches the cloud application once, even when it is sent twice.
"""

import wire
from endpoint_api import EndpointApi
from peer import Peer
from report import Report

ACK_TIMEOUT = 30

JOB_ITEM = {
    "notificationType": "INFO",
    "object": "JOB",
    "data": [
        {
            "jobId": 144,
            "parentJobId": 144,
            "jobType": "BACKUP",
            "state": "DONE",
            "status": 0,
            "startTime": 1700000000,
            "policyName": "vmware2",
            "policyType": "VMWARE",
            "scheduleType": "ST_FULL",
            "clientName": "vm1.example.com",
        }
    ],
}
IMAGE_ITEM = {
    "notificationType": "INFO",
    "object": "IMAGE",
    "data": [
        {
            "backupId": "vm1.example.com_1700000000",
            "clientName": "vm1.example.com",
            "clientType": "VMWARE",
            "backupTime": 1700000000,
            "createdTime": 1700000100,
            "operationId": "CREATE",
        }
    ],
}


async def send_and_check_ack(
    report: Report, name: str, peer: Peer, message: dict
) -> bool:
    """Send a NOTIFICATION REQUEST, check the acknowledgement and return True when it arrived."""
    try:
        response = await peer.request(message, ACK_TIMEOUT)
    except (TimeoutError, ConnectionError) as error:
        report.check(
            f"{name}: acknowledged", False, f"no NOTIFICATION RESPONSE: {error!r}"
        )
        return False
    problems = wire.envelope_problems(
        response, "NOTIFICATION", "RESPONSE", payload_optional=True
    )
    if response.get("id") != message["id"]:
        problems.append(
            f"id {response.get('id')!r} differs from request id {message['id']!r}"
        )
    return report.check_problems(f"{name}: acknowledged with the same id", problems)


async def next_stream_event(report: Report, name: str, stream) -> dict | None:
    """Return the data of the next ``notification`` event on the stream, or None."""
    try:
        event, data = await stream.next_event(ACK_TIMEOUT)
    except TimeoutError:
        report.check(name, False, f"no stream event within {ACK_TIMEOUT} s")
        return None
    if event != "notification" or not isinstance(data, dict):
        report.check(name, False, f"event {event!r} with data {data!r}")
        return None
    return data


async def run_notification_checks(report: Report, peer: Peer, api: EndpointApi) -> None:
    """Check acknowledgement, delivery to the stream and dropping of a duplicate id."""
    stream = api.open_notification_stream()
    await stream.wait_open(ACK_TIMEOUT)

    first = wire.make_message("NOTIFICATION", "REQUEST", [JOB_ITEM])
    await send_and_check_ack(report, "JOB notification", peer, first)
    data = await next_stream_event(
        report, "JOB notification reaches the stream", stream
    )
    if data is not None:
        report.expect_equal(
            "JOB notification: stream messageId", data.get("messageId"), first["id"]
        )
        report.expect_equal(
            "JOB notification: stream items", data.get("items"), [JOB_ITEM]
        )

    await send_and_check_ack(
        report, "JOB notification sent again with the same id", peer, first
    )

    second = wire.make_message(
        "NOTIFICATION", "REQUEST", [IMAGE_ITEM], wire.new_id().lower()
    )
    await send_and_check_ack(
        report, "IMAGE notification with a lower-case id", peer, second
    )
    data = await next_stream_event(
        report, "IMAGE notification reaches the stream", stream
    )
    if data is not None:
        report.expect_equal(
            "duplicate id dropped: next stream event is the IMAGE notification",
            data.get("messageId"),
            second["id"],
        )
        report.expect_equal(
            "IMAGE notification: stream items", data.get("items"), [IMAGE_ITEM]
        )
