"""From a nats-py message to a Delivery: decoded per message, the raw message always kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from nats.aio.msg import Msg

from cesdk import CESDKError, CloudEvent, Delivery, RawMessage
from cesdk.bindings.nats import from_nats

__all__ = ["decode", "raw_message"]


def _headers(msg: Msg) -> tuple[tuple[str, str], ...]:
    # nats-py parses header names and values as str already.
    return tuple(msg.headers.items()) if msg.headers else ()


class _Metadata(Mapping[str, Any]):
    """Where a message came from, parsed from its reply subject only when first read.

    Most deliveries decode and nobody reads their metadata: parsing it for each of
    them would cost the hot path a tenth of its time.
    """

    __slots__ = ("_msg", "_parsed")

    def __init__(self, msg: Msg) -> None:
        self._msg = msg
        self._parsed: dict[str, Any] | None = None

    def _items(self) -> dict[str, Any]:
        if self._parsed is None:
            parsed: dict[str, Any] = {"subject": self._msg.subject}
            try:
                meta = self._msg.metadata
            except Exception:  # no JetStream reply subject: no stream metadata
                pass
            else:
                parsed.update(
                    stream=meta.stream,
                    consumer=meta.consumer,
                    sequence=meta.sequence.stream,
                    consumer_sequence=meta.sequence.consumer,
                    delivered=meta.num_delivered,
                )
            self._parsed = parsed
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return repr(self._items())


def raw_message(msg: Msg, *, jetstream: bool) -> RawMessage:
    """Return the message as received, with where it came from in ``metadata``."""
    metadata: Mapping[str, Any] = _Metadata(msg) if jetstream else {"subject": msg.subject}
    return RawMessage(bytes(msg.data), _headers(msg), metadata)


def decode(msg: Msg) -> tuple[CloudEvent | None, Exception | None]:
    """Decode a binary or structured message; never raise on bad input."""
    try:
        return from_nats(msg), None
    except CESDKError as exc:
        return None, exc
    except Exception as exc:  # a malformed message must become a dead letter, not a crash
        return None, exc


def make_delivery(msg: Msg, *, jetstream: bool, **settle: Any) -> Delivery:
    """Return the Delivery for ``msg``; ``settle`` holds ``on_ack``/``on_nack``."""
    event, error = decode(msg)
    # The raw copy is made only if someone reads it (a dead letter).
    return Delivery(
        event, lambda: raw_message(msg, jetstream=jetstream), error, key=msg.subject, **settle
    )
