"""Events to AMQP 0-9-1 messages and back, through cesdk's AMQP binding.

The binding (``cesdk.bindings.amqp``) maps an event to AMQP 1.0 application
properties; over AMQP 0-9-1 those travel as the message's header table, under the
same ``cloudEvents_`` names, with each value in the header type that matches its
AMQP 1.0 type: boolean ``t``, long ``l`` (or a narrower integer), long string ``S``,
byte array ``x``, timestamp ``T``. A 0-9-1 timestamp counts whole seconds, so the
binding is asked for ``timestamp_digits=0``: a ``time`` with a fraction travels as
its canonical string, and no digit is lost.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from cesdk import CESDKError, CloudEvent, EncodeError, RawMessage
from cesdk.bindings.amqp import AmqpMessage, from_amqp, to_binary, to_structured
from cesdk.formats import Format

__all__ = ["decode", "encode", "raw_message"]

# pamqp writes header names as short strings and truncates past 128 bytes.
_MAX_HEADER_NAME: Final = 128
# A 0-9-1 timestamp is an unsigned 64-bit count of seconds; pamqp reads values past
# 2**32 as milliseconds, so only 1970 ..< 2106 round-trips as a timestamp.
_FIRST_YEAR: Final = 1970
_LAST_YEAR: Final = 2105
_SHORTSTR: Final = 255


def _header_value(value: object) -> object:
    # pamqp writes bytearray (not bytes) as the byte-array type "x".
    return bytearray(value) if isinstance(value, bytes) else value


def _timestamp_fits(message: AmqpMessage) -> bool:
    stamp = message.application_properties.get("cloudEvents_time")
    return not isinstance(stamp, datetime) or _FIRST_YEAR <= stamp.year <= _LAST_YEAR


def encode(event: CloudEvent, *, mode: str, format: Format, persistent: bool) -> aio_pika.Message:
    """Return the 0-9-1 message for ``event``, binary or structured.

    Raises:
        EncodeError: the binding cannot carry the event, or an attribute name is too
            long for a 0-9-1 header name.
    """
    if mode == "structured":
        message = to_structured(event, format=format)
    else:
        message = to_binary(event, timestamp_digits=0)
        if not _timestamp_fits(message):
            message = to_binary(event, timestamp_digits=None)
    headers: dict[str, Any] = {}
    for name, value in message.application_properties.items():
        if len(name.encode("utf-8")) > _MAX_HEADER_NAME:
            raise EncodeError(
                f"header {name!r} is longer than {_MAX_HEADER_NAME} bytes, which an AMQP "
                "0-9-1 header name cannot be; shorten the extension attribute's name"
            )
        headers[name] = _header_value(value)
    return aio_pika.Message(
        message.body,
        headers=headers or None,
        content_type=message.properties.get("content_type"),
        delivery_mode=(
            aio_pika.DeliveryMode.PERSISTENT if persistent else aio_pika.DeliveryMode.NOT_PERSISTENT
        ),
        message_id=event.id if len(event.id.encode("utf-8")) <= _SHORTSTR else None,
    )


@dataclass(frozen=True, slots=True)
class _Received:
    """A received 0-9-1 message in the shape ``from_amqp`` reads."""

    properties: dict[str, Any] = field(default_factory=dict)
    application_properties: Mapping[str, Any] = field(default_factory=dict)
    body: bytes = b""


def decode(message: AbstractIncomingMessage) -> tuple[CloudEvent | None, Exception | None]:
    """Decode a binary or structured message (``cloudEvents_`` or ``cloudEvents:``
    headers); never raise on bad input."""
    properties = {} if message.content_type is None else {"content_type": message.content_type}
    received = _Received(properties, message.headers or {}, bytes(message.body))
    try:
        return from_amqp(received), None
    except CESDKError as exc:
        return None, exc
    except Exception as exc:  # a malformed message must become a dead letter, not a crash
        return None, exc


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def raw_message(message: AbstractIncomingMessage, *, queue: str) -> RawMessage:
    """Return the message as received: body, headers as text, where it came from."""
    headers = tuple((str(name), _text(value)) for name, value in (message.headers or {}).items())
    metadata: dict[str, Any] = {
        "queue": queue,
        "exchange": message.exchange,
        "routing_key": message.routing_key,
        "redelivered": bool(message.redelivered),
    }
    if message.content_type is not None:
        metadata["content_type"] = message.content_type
    if message.message_id is not None:
        metadata["message_id"] = message.message_id
    return RawMessage(bytes(message.body), headers, metadata)
