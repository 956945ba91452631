"""A sink that records what it receives and fails on command."""

from __future__ import annotations

import asyncio
from types import TracebackType

from cesdk._errors import PermanentDeliveryError, RetryableDeliveryError
from cesdk._event import CloudEvent

__all__ = ["CapturingSink"]


class CapturingSink:
    """Record every event sent; optionally fail the first sends, or all of them.

    Args:
        fail: how many sends fail (retryably) before the sink starts succeeding.
        permanent: fail every send with ``PermanentDeliveryError``.
        retry_after: the ``retry_after`` carried by the retryable failures.
        delay: seconds each send takes (a slow sink, for backpressure tests).

    Attributes:
        events: the events delivered, in order.
        attempts: every call to ``send``, failed ones included.
    """

    def __init__(
        self,
        *,
        fail: int = 0,
        permanent: bool = False,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        self.fail = fail
        self.permanent = permanent
        self.retry_after = retry_after
        self.delay = delay
        self.events: list[CloudEvent] = []
        self.attempts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.entered = 0
        self.exited = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> CapturingSink:
        self.entered += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.exited += 1

    async def send(self, event: CloudEvent) -> None:
        """Record the event, or fail as configured."""
        self.attempts += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.permanent:
                raise PermanentDeliveryError(f"CapturingSink refuses {event.id} for good")
            if self.fail > 0:
                self.fail -= 1
                raise RetryableDeliveryError(
                    f"CapturingSink fails {event.id} for now", retry_after=self.retry_after
                )
            self.events.append(event)
        finally:
            self.in_flight -= 1
            async with self._changed:
                self._changed.notify_all()

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[CloudEvent]:
        """Wait until ``count`` events were delivered; return them.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.events) >= count)
        return self.events
