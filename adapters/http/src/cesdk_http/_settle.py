"""Answer after settlement: each request waits until the pipeline acked its deliveries.

A request holds a ``Waiter``; each event it carried becomes a ``Ticket`` in the
``Inbox``. The pipeline takes tickets as deliveries; an ack counts the ticket as
settled, and once all are settled the request is answered. A nack puts the ticket back
(after its delay) while the request may still wait; otherwise, or while stopping, the
request is answered ``503`` with ``Retry-After`` so that the sender retries it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator

import cesdk

__all__ = ["Inbox", "Ticket", "Waiter"]


class Waiter:
    """One request's settlement: a future set to ``None`` (settled) or a retry delay."""

    __slots__ = ("deadline", "future", "remaining")

    def __init__(self, count: int, deadline: float) -> None:
        self.future: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
        self.remaining = count
        self.deadline = deadline

    def settled_one(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0 and not self.future.done():
            self.future.set_result(None)

    def refuse(self, retry_after: float) -> None:
        if not self.future.done():
            self.future.set_result(retry_after)


class Ticket:
    """One event (or undecodable message) of a request, on its way to the pipeline."""

    __slots__ = ("error", "event", "inbox", "raw", "waiter")

    def __init__(
        self,
        inbox: Inbox,
        waiter: Waiter,
        event: cesdk.CloudEvent | None,
        raw: cesdk.RawMessage,
        error: Exception | None = None,
    ) -> None:
        self.inbox, self.waiter = inbox, waiter
        self.event, self.raw, self.error = event, raw, error

    async def ack(self) -> None:
        self.waiter.settled_one()

    async def nack(self, delay: float | None) -> None:
        self.inbox.redeliver(self, delay or 0.0)

    def delivery(self) -> cesdk.Delivery:
        return cesdk.Delivery(self.event, self.raw, self.error, on_ack=self.ack, on_nack=self.nack)


class Inbox:
    """The tickets waiting for the pipeline, bounded so that a flood meets ``503``.

    Args:
        capacity: tickets waiting at most; more are refused (overloaded).
        retry_after: the delay suggested to senders refused while stopping.
    """

    def __init__(self, capacity: int, retry_after: float) -> None:
        self.capacity = capacity
        self.retry_after = retry_after
        self.stopping = False
        self._tickets: deque[Ticket] = deque()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._tickets)

    def has_room(self, count: int) -> bool:
        """Whether ``count`` more tickets fit."""
        return len(self._tickets) + count <= self.capacity

    def put(self, ticket: Ticket) -> None:
        """Queue a ticket for the pipeline."""
        self._tickets.append(ticket)
        self._ready.set()

    def redeliver(self, ticket: Ticket, delay: float) -> None:
        """Queue a nacked ticket again after ``delay``, or refuse its request."""
        waiter = ticket.waiter
        if self.stopping or waiter.future.done() or time.monotonic() + delay > waiter.deadline:
            waiter.refuse(max(delay, self.retry_after))
        elif delay > 0:
            asyncio.get_running_loop().call_later(delay, self._back, ticket)
        else:
            self._back(ticket)

    def _back(self, ticket: Ticket) -> None:
        if self.stopping:
            ticket.waiter.refuse(self.retry_after)
        else:
            self.put(ticket)

    def stop(self) -> None:
        """Refuse every waiting request (``503``) and any later one."""
        self.stopping = True
        while self._tickets:
            self._tickets.popleft().waiter.refuse(self.retry_after)
        self._ready.set()

    def start(self) -> None:
        """Accept requests again (a source entered anew)."""
        self.stopping = False

    async def deliveries(self) -> AsyncIterator[cesdk.Delivery]:
        """Yield a delivery per ticket until stopped; stop when the iteration ends."""
        tickets, ready = self._tickets, self._ready
        try:
            while not self.stopping:
                if not tickets:
                    ready.clear()
                    await ready.wait()
                    continue
                ticket = tickets.popleft()
                if ticket.waiter.future.done():
                    continue  # its request was answered already (timed out or refused)
                yield ticket.delivery()
        finally:
            # The pipeline stops fetching: whoever waits in the queue is told to retry.
            self.stop()
