"""Contract tests every source and sink passes: subclass, fill in the hooks, run pytest.

The classes hold ``test_*`` methods (async; run them with pytest-asyncio in auto mode,
or mark the subclass). A subclass provides the peer-specific hooks; the tests check
the adapter contract of DESIGN.md: settlement, redelivery after nack, undecodable input
kept as raw bytes, extension round trips, clean close and cancel, the error classes.

Example:
    ::

        class TestMySink(SinkContract):
            async def open_sink(self):
                return MySink(url=self.peer.url)

            async def received(self, count, timeout):
                return await self.peer.wait_for(count, timeout)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from cesdk._errors import DeliveryError
from cesdk._event import CloudEvent
from cesdk._pipeline._contracts import Delivery, RawMessage, Sink, Source

__all__ = ["SinkContract", "SourceContract", "contract_event"]


def contract_event(n: int = 0, **extensions: Any) -> CloudEvent:
    """Return the n-th sample event the contract tests send, with some extensions."""
    return CloudEvent(
        type="dev.cesdk.contract",
        source="/cesdk/contract",
        id=f"contract-{n}",
        subject=f"item/{n}",
        data={"n": n, "text": "héllo ☁"},
        extensions={"partitionkey": f"key-{n % 3}", "sequence": f"{n:08d}", **extensions},
    )


async def _next(iterator: AsyncIterator[Delivery], timeout: float) -> Delivery:
    async with asyncio.timeout(timeout):
        return await anext(iterator)


class SinkContract:
    """The contract every sink passes. Override the hooks marked *required*.

    Attributes:
        timeout: seconds to wait for the peer to receive something.
        carries_full_events: False for sinks whose peer cannot show the whole event
            (Slack, email): then only ``id`` arrival is compared by default.
    """

    timeout: ClassVar[float] = 10.0
    carries_full_events: ClassVar[bool] = True

    async def open_sink(self) -> Sink:
        """*Required*: return a sink (not yet entered) that delivers to the test peer."""
        raise NotImplementedError

    async def received(self, count: int, timeout: float) -> list[CloudEvent]:
        """*Required*: wait until the peer holds ``count`` events; return them in order."""
        raise NotImplementedError

    async def open_unreachable_sink(self) -> Sink | None:
        """A sink pointed at a peer that is down; ``None`` skips the error test."""
        return None

    def assert_same(self, sent: CloudEvent, got: CloudEvent) -> None:
        """Check that the peer got ``sent``; override for sinks that reshape events."""
        if self.carries_full_events:
            assert got == sent, f"sent {sent!r}, the peer got {got!r}"
        else:
            assert got.id == sent.id

    async def test_sends_one_event(self) -> None:
        """An event sent is received, equal to what was sent."""
        event = contract_event(1)
        async with await self.open_sink() as sink:
            await sink.send(event)
            got = await self.received(1, self.timeout)
        self.assert_same(event, got[-1])

    async def test_extensions_survive(self) -> None:
        """Extension attributes of every type arrive unchanged (as canonical strings)."""
        event = contract_event(2, flag=True, count=42, blob=b"\x00\xff")
        async with await self.open_sink() as sink:
            await sink.send(event)
            got = await self.received(1, self.timeout)
        self.assert_same(event, got[-1])

    async def test_concurrent_sends_all_arrive(self) -> None:
        """Concurrent sends neither lose nor corrupt events."""
        events = [contract_event(n) for n in range(20)]
        async with await self.open_sink() as sink:
            await asyncio.gather(*(sink.send(ev) for ev in events))
            got = await self.received(len(events), self.timeout)
        assert sorted(ev.id for ev in got[-len(events) :]) == sorted(ev.id for ev in events)

    async def test_enter_exit_twice(self) -> None:
        """A sink can be entered and closed, then entered again."""
        sink = await self.open_sink()
        async with sink:
            pass
        async with sink:
            await sink.send(contract_event(3))
            await self.received(1, self.timeout)

    async def test_failures_raise_delivery_errors(self) -> None:
        """A peer that is down gives RetryableDeliveryError or PermanentDeliveryError."""
        sink = await self.open_unreachable_sink()
        if sink is None:
            return
        async with sink:
            try:
                await sink.send(contract_event(4))
            except DeliveryError:
                pass
            else:
                raise AssertionError("a send to a peer that is down succeeded")


class SourceContract:
    """The contract every source passes. Override the hooks marked *required*.

    Attributes:
        timeout: seconds to wait for a delivery.
        redelivers: whether a nacked (or unacked, after reopening) message comes back;
            False for at-most-once sources such as core NATS.
    """

    timeout: ClassVar[float] = 10.0
    redelivers: ClassVar[bool] = True

    async def open_source(self) -> Source:
        """*Required*: return a source (not yet entered) reading the test peer."""
        raise NotImplementedError

    async def publish(self, event: CloudEvent) -> None:
        """*Required*: put one event into the peer, as a producer would."""
        raise NotImplementedError

    async def publish_raw(self, body: bytes) -> None:
        """Put bytes that are not a CloudEvent into the peer; skip if not possible."""
        raise NotImplementedError

    async def test_yields_published_event(self) -> None:
        """A published event comes out of the source, equal to what was published."""
        event = contract_event(10, flag=True, count=7)
        source = await self.open_source()
        async with source:
            iterator = aiter(source)
            await self.publish(event)
            delivery = await _next(iterator, self.timeout)
            await delivery.ack()
        assert delivery.event == event
        assert delivery.error is None
        assert isinstance(delivery.raw, RawMessage)

    async def test_undecodable_input_is_kept(self) -> None:
        """Bytes that are not a CloudEvent come out with event=None, an error and the bytes."""
        body = b"\xffthis is not a CloudEvent"
        source = await self.open_source()
        async with source:
            iterator = aiter(source)
            try:
                await self.publish_raw(body)
            except NotImplementedError:
                return
            delivery = await _next(iterator, self.timeout)
            await delivery.ack()
        assert delivery.event is None
        assert delivery.error is not None
        assert body in delivery.raw.body or delivery.raw.body == body

    async def test_nack_redelivers(self) -> None:
        """A nacked delivery comes back; an acked one does not."""
        if not self.redelivers:
            return
        first, second = contract_event(11), contract_event(12)
        source = await self.open_source()
        async with source:
            iterator = aiter(source)
            await self.publish(first)
            delivery = await _next(iterator, self.timeout)
            await delivery.nack()
            again = await _next(iterator, self.timeout)
            assert again.event == first
            await again.ack()
            await self.publish(second)
            after = await _next(iterator, self.timeout)
            await after.ack()
        assert after.event == second  # the acked first one did not come back before it

    async def test_cancel_is_clean(self) -> None:
        """Cancelling a waiting iteration ends it promptly and the source closes cleanly."""
        source = await self.open_source()
        async with source:
            iterator = aiter(source)
            waiting = asyncio.ensure_future(anext(iterator))
            await asyncio.sleep(0)  # let it start waiting: nothing to synchronise with
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                async with asyncio.timeout(self.timeout):
                    await waiting
