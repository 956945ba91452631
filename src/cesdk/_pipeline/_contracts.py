"""The adapter contract: Source, Delivery, Sink and RawMessage (DESIGN.md "Adapter contract")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from cesdk._event import CloudEvent

__all__ = ["BatchSink", "BatchSource", "Delivery", "RawMessage", "Sink", "Source"]


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message exactly as received, kept so that nothing is lost when decoding fails.

    Attributes:
        body: the payload bytes.
        headers: the message headers as text, in the order received.
        metadata: where it came from (topic, partition, offset, subject, path, ...).
    """

    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


Settle = Callable[[], Awaitable[None]]
Retry = Callable[[float | None], Awaitable[None]]
OnRetry = Callable[[int, str, float], Awaitable[None]]


async def _no_op() -> None:
    return None


async def _no_op_delay(delay: float | None) -> None:
    return None


class Delivery:
    """One received message and the way to settle it.

    A source creates one per message: ``event`` is ``None`` when the message could not
    be decoded, with the reason in ``error``; ``raw`` always holds the message as
    received. Settle it once: ``ack`` when processed (never redeliver),
    ``nack`` to have it redelivered later. Later calls are ignored.

    Args:
        event: the decoded event, or ``None``.
        raw: the message as received, or a function of no arguments that builds it:
            a source on a hot path (Kafka) passes a function so the copy is made only
            when someone reads ``raw`` (a dead letter, a log).
        error: why decoding failed, when it did.
        on_ack: called once by ``ack``.
        on_nack: called once by ``nack`` with the delay.
        key: an ordering key the source knows (e.g. the Kafka partition), or ``None``.
        on_retry: called by the pipeline each time a send of this delivery's event failed
            and will be retried, with the attempt number, the reason and the delay; a
            source that shows progress (a Kubernetes status, say) records it there.

    Attributes:
        dead_letters: the reasons, one per route, for which the pipeline wrote this
            delivery's event to the dead letter sink instead of delivering it. Filled
            before ``ack``, so a source's ``on_ack`` can tell "delivered" from
            "dead-lettered" (``bool(delivery.dead_letters)``).
    """

    __slots__ = (
        "_on_ack",
        "_on_nack",
        "_on_retry",
        "_raw",
        "dead_letters",
        "error",
        "event",
        "key",
        "settled",
    )

    def __init__(
        self,
        event: CloudEvent | None,
        raw: RawMessage | Callable[[], RawMessage],
        error: Exception | None = None,
        *,
        on_ack: Settle = _no_op,
        on_nack: Retry = _no_op_delay,
        key: str | None = None,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.event = event
        self._raw = raw
        self.error = error
        self.key = key
        self.settled: str | None = None
        self._on_ack = on_ack
        self._on_nack = on_nack
        self._on_retry = on_retry
        self.dead_letters: list[str] = []

    @property
    def raw(self) -> RawMessage:
        """The message as received (built on first use when the source gave a function)."""
        raw = self._raw
        if not isinstance(raw, RawMessage):
            raw = self._raw = raw()
        return raw

    async def ack(self) -> None:
        """Mark the message processed: the source never redelivers it."""
        if self.settled is None:
            self.settled = "ack"
            await self._on_ack()

    async def nack(self, delay: float | None = None) -> None:
        """Have the message redelivered, after ``delay`` seconds when the source can wait."""
        if self.settled is None:
            self.settled = "nack"
            await self._on_nack(delay)

    async def retrying(self, attempt: int, reason: str, delay: float) -> None:
        """Tell the source a send failed and will be retried after ``delay`` seconds."""
        if self._on_retry is not None and self.settled is None:
            await self._on_retry(attempt, reason, delay)

    def __repr__(self) -> str:
        what = self.event.id if self.event is not None else f"undecodable: {self.error}"
        return f"<Delivery {what} settled={self.settled}>"


@runtime_checkable
class Source(Protocol):
    """An async context manager that yields deliveries when iterated."""

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any: ...

    def __aiter__(self) -> AsyncIterator[Delivery]: ...


@runtime_checkable
class Sink(Protocol):
    """An async context manager that delivers events.

    ``send`` returns once the event is delivered, or raises
    ``RetryableDeliveryError`` / ``PermanentDeliveryError``.
    """

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any: ...

    async def send(self, event: CloudEvent) -> None: ...


@runtime_checkable
class BatchSource(Source, Protocol):
    """A source that can also hand out what it already holds in one go.

    Optional: the pipeline uses ``batches`` instead of iterating one delivery at a
    time when the source has it (and no ``ordering`` is asked for), which saves a task
    per delivery on a hot stream. Each list holds deliveries ready now; the source
    waits only when it has none. Settlement is per delivery, as always.
    """

    def batches(self) -> AsyncIterator[Sequence[Delivery]]: ...


@runtime_checkable
class BatchSink(Sink, Protocol):
    """A sink that can send many events at once (optional).

    ``send_batch`` returns one outcome per event, in order: ``None`` when that event
    was delivered, or the exception ``send`` would have raised for it
    (``RetryableDeliveryError``, ``PermanentDeliveryError``, ...). It raises only when
    the whole batch failed the same way. The pipeline retries and dead-letters the
    failed events one by one, as for ``send``; routes with dedup or a rate limit, and
    traced pipelines, always use ``send``.
    """

    async def send_batch(self, events: Sequence[CloudEvent]) -> Sequence[BaseException | None]: ...
