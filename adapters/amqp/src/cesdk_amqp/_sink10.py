"""The AMQP 1.0 side of AmqpSink: a sender link in a proton thread, outcomes to asyncio."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cesdk_amqp._amqp10 import Endpoint, Handler, ProtonThread, condition_text

__all__ = ["Amqp10Publisher", "Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a send ended: ``accepted``, ``rejected``, ``released`` or ``lost``, and why."""

    state: str
    detail: str = ""


Resolve = Callable[[Outcome], None]


class _Sending(Handler):
    """Send messages on one sender link, connecting when there is something to send.

    Every message waits for the broker's outcome; anything that ends the connection
    (a link, session or connection error, a lost socket) ends each waiting send as
    ``lost``, and the next send connects again.
    """

    def __init__(self, publisher: Amqp10Publisher) -> None:
        super().__init__(prefetch=0, auto_accept=False, auto_settle=True)
        self.publisher = publisher
        self.container: Any = None
        self.sender: Any = None
        self.pending: deque[tuple[Any, Resolve]] = deque()
        self.outstanding: dict[Any, Resolve] = {}

    def on_start(self, event: Any) -> None:
        self.container = event.container

    def send(self, message: Any, resolve: Resolve) -> None:
        if self.closing:
            resolve(Outcome("lost", "the sink is closing"))
            return
        if self.connection is None:
            self.connection = self.publisher.endpoint.connect(self.container)
            self.sender = self.container.create_sender(self.connection, self.publisher.address)
        self.pending.append((message, resolve))
        self._pump()

    def forget(self, resolve: Resolve) -> None:
        """Drop a send that timed out, if it is still waiting for credit."""
        self.pending = deque(item for item in self.pending if item[1] is not resolve)

    def _pump(self) -> None:
        sender = self.sender
        while sender is not None and sender.credit and self.pending:
            message, resolve = self.pending.popleft()
            self.outstanding[sender.send(message)] = resolve

    def on_sendable(self, event: Any) -> None:
        self._pump()

    def _settled(self, event: Any, outcome: Outcome) -> None:
        resolve = self.outstanding.pop(event.delivery, None)
        if resolve is not None:
            resolve(outcome)

    def on_accepted(self, event: Any) -> None:
        self._settled(event, Outcome("accepted"))

    def on_rejected(self, event: Any) -> None:
        self._settled(event, Outcome("rejected", condition_text(event.delivery.remote)))

    def on_released(self, event: Any) -> None:  # "released" or "modified"
        self._settled(event, Outcome("released", condition_text(event.delivery.remote)))

    def on_link_error(self, event: Any) -> None:
        self._lost(f"the broker closed the link: {condition_text(event.link)}")

    def on_session_error(self, event: Any) -> None:
        self._lost(f"the broker closed the session: {condition_text(event.session)}")

    def on_connection_error(self, event: Any) -> None:
        self._lost(f"the broker closed the connection: {condition_text(event.connection)}")

    def on_transport_error(self, event: Any) -> None:
        self._lost(condition_text(event.transport))

    def on_disconnected(self, event: Any) -> None:
        self._lost("disconnected")

    def shutdown(self) -> None:
        super().shutdown()
        self._lost("the sink closed")

    def _lost(self, why: str) -> None:
        connection, self.connection, self.sender = self.connection, None, None
        if connection is not None:
            connection.close()
        waiting = [resolve for _, resolve in self.pending] + list(self.outstanding.values())
        self.pending.clear()
        self.outstanding.clear()
        for resolve in waiting:
            resolve(Outcome("lost", why))


class Amqp10Publisher:
    """Send proton messages to ``address`` and await each outcome (AmqpSink's engine)."""

    def __init__(self, *, url: str, address: str, name: str) -> None:
        self.endpoint = Endpoint.parse(url)
        self.address = address
        self.name = name
        self._handler: _Sending | None = None
        self._thread: ProtonThread | None = None

    def open(self) -> None:
        self._handler = _Sending(self)
        self._thread = ProtonThread(self._handler, name=self.name)
        self._thread.start()

    async def close(self) -> None:
        thread, self._thread, self._handler = self._thread, None, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, thread.stop)

    async def send(self, message: Any, timeout: float) -> Outcome:
        """Send ``message``; return the broker's outcome, or ``lost`` after ``timeout``."""
        thread, handler = self._thread, self._handler
        if thread is None or handler is None:
            raise RuntimeError("enter the sink first: async with AmqpSink(...) as sink")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Outcome] = loop.create_future()

        def deliver(outcome: Outcome) -> None:
            if not done.done():
                done.set_result(outcome)

        def resolve(outcome: Outcome) -> None:  # runs in the proton thread
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(deliver, outcome)

        thread.call(lambda: handler.send(message, resolve))
        try:
            async with asyncio.timeout(timeout):
                return await done
        except TimeoutError:
            thread.call(lambda: handler.forget(resolve))
            return Outcome("lost", f"no outcome from the broker within {timeout}s")
