"""Event formats: one module per wire format, each with the same shape.

Every format module has ``CONTENT_TYPE``, ``encode``, ``decode`` and, where the format
defines batches, ``BATCH_CONTENT_TYPE``, ``encode_batch`` and ``decode_batch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cesdk import plugins
from cesdk._errors import DecodeError, PluginError
from cesdk._event import CloudEvent
from cesdk.formats import json

__all__ = ["BatchFormat", "Format", "essence", "json", "lookup"]


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


def essence(content_type: str) -> str:
    """The media type without parameters, lowercased: ``"application/cloudevents+json"``."""
    return content_type.split(";", 1)[0].strip(" \t").lower()


def lookup(content_type: str) -> Format:
    """The registered format whose ``CONTENT_TYPE`` or ``BATCH_CONTENT_TYPE`` matches.

    Formats are the ``cesdk.formats`` entry points (``json`` built in; ``avro`` and
    ``protobuf`` with their extras; plugins add more). Parameters such as ``charset`` are
    ignored. Raises :class:`cesdk.DecodeError` naming the media type and the known ones.
    """
    wanted = essence(content_type)
    if wanted in (json.CONTENT_TYPE, json.BATCH_CONTENT_TYPE):
        return json
    known: list[str] = []
    for name in plugins.available("cesdk.formats"):
        try:
            fmt = plugins.load("cesdk.formats", name)
        except PluginError:
            continue
        types = [getattr(fmt, "CONTENT_TYPE", None), getattr(fmt, "BATCH_CONTENT_TYPE", None)]
        if wanted in types:
            return fmt  # type: ignore[no-any-return]
        known.extend(t for t in types if isinstance(t, str))
    raise DecodeError(
        f"no event format is registered for {wanted!r}; known: {', '.join(sorted(set(known)))}"
        " (install the extra that provides it, e.g. cesdk[avro])",
        position="content-type",
    )
