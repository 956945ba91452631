"""What the pipeline tells a delivery besides ack/nack: retries, and dead letters before ack.

A source such as the NotificationRequest operator shows progress on the object it read
(attempts, last error, Sent or Failed), so it must tell "delivered" from "dead-lettered".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from runtime_doubles import make_event, run

import cesdk
from cesdk import Delivery, RawMessage


class ListSource:
    """Yields the given deliveries, then ends."""

    def __init__(self, deliveries: list[Delivery]) -> None:
        self.deliveries = deliveries

    async def __aenter__(self) -> ListSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        for delivery in self.deliveries:
            yield delivery


class FlakySink:
    """Fails the first ``failures`` sends with a retryable error, then delivers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[cesdk.CloudEvent] = []

    async def __aenter__(self) -> FlakySink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, event: cesdk.CloudEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise cesdk.RetryableDeliveryError("broker busy")
        self.sent.append(event)


class RefusingSink(FlakySink):
    async def send(self, event: cesdk.CloudEvent) -> None:
        raise cesdk.PermanentDeliveryError("channel_not_found")


def tracked(event: cesdk.CloudEvent | None, log: list[Any]) -> Delivery:
    holder: list[Delivery] = []

    async def on_ack() -> None:
        log.append(("ack", list(holder[0].dead_letters)))

    async def on_retry(attempt: int, reason: str, delay: float) -> None:
        log.append(("retry", attempt, reason, delay >= 0))

    delivery = Delivery(
        event,
        RawMessage(b"raw"),
        None if event is not None else ValueError("not JSON"),
        on_ack=on_ack,
        on_retry=on_retry,
    )
    holder.append(delivery)
    return delivery


FAST = cesdk.Retry(max_attempts=3, initial_delay=0.001, max_delay=0.002, jitter=False)


async def test_retries_are_reported_and_a_delivered_event_has_no_dead_letters() -> None:
    log: list[Any] = []
    sink = FlakySink(failures=2)
    pipeline = cesdk.Pipeline(
        ListSource([tracked(make_event(1), log)]),
        routes=[cesdk.Route(sink, name="out", retry=FAST)],
        dead_letter=cesdk.MemorySink(),
    )
    await run(pipeline)
    assert len(sink.sent) == 1
    assert log == [
        ("retry", 1, "retryable failure: broker busy", True),
        ("retry", 2, "retryable failure: broker busy", True),
        ("ack", []),
    ]


async def test_a_dead_lettered_event_is_acked_with_the_reason_per_route() -> None:
    log: list[Any] = []
    good = FlakySink(failures=0)
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        ListSource([tracked(make_event(1), log)]),
        routes=[
            cesdk.Route(good, name="mail", retry=FAST),
            cesdk.Route(RefusingSink(0), name="slack", retry=FAST),
        ],
        dead_letter=dead,
    )
    await run(pipeline)
    assert len(good.sent) == 1
    assert len(dead.events) == 1
    assert log == [("ack", ["slack: permanent failure: channel_not_found"])]


async def test_an_undecodable_delivery_is_acked_as_dead_lettered() -> None:
    log: list[Any] = []
    pipeline = cesdk.Pipeline(
        ListSource([tracked(None, log)]),
        routes=[cesdk.Route(FlakySink(0), name="out")],
        dead_letter=cesdk.MemorySink(),
    )
    await run(pipeline)
    assert log == [("ack", ["undecodable: not JSON"])]


async def test_a_failing_retry_hook_does_not_stop_the_retry() -> None:
    async def broken(attempt: int, reason: str, delay: float) -> None:
        raise RuntimeError("status patch failed")

    acked: list[bool] = []

    async def on_ack() -> None:
        acked.append(True)

    sink = FlakySink(failures=1)
    pipeline = cesdk.Pipeline(
        ListSource([Delivery(make_event(1), RawMessage(), on_ack=on_ack, on_retry=broken)]),
        routes=[cesdk.Route(sink, name="out", retry=FAST)],
        dead_letter=cesdk.MemorySink(),
    )
    await run(pipeline)
    assert len(sink.sent) == 1
    assert acked == [True]
