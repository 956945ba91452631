"""Event formats: one module per wire format, each with the same shape.

Every format module has ``CONTENT_TYPE``, ``encode``, ``decode`` and, where the format
defines batches, ``BATCH_CONTENT_TYPE``, ``encode_batch`` and ``decode_batch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cesdk._event import CloudEvent
from cesdk.formats import json

__all__ = ["Format", "json"]


class Format(Protocol):
    """What every event format module provides."""

    CONTENT_TYPE: str

    def encode(self, event: CloudEvent) -> bytes: ...
    def decode(self, data: bytes) -> CloudEvent: ...


class BatchFormat(Format, Protocol):
    """A format that also defines batches."""

    BATCH_CONTENT_TYPE: str

    def encode_batch(self, events: Iterable[CloudEvent]) -> bytes: ...
    def decode_batch(self, data: bytes) -> list[CloudEvent]: ...
